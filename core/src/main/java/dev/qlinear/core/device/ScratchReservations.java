package dev.qlinear.core.device;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What prepared layers reserved of a device's per-stream scratch: the largest workspace in bytes and the most arrival
 * counters asked for. Layers reserve in {@code prepare}; {@code apply} takes at most that much, which is checked here so
 * that every device refuses alike.
 */
public final class ScratchReservations {

    private final AtomicLong workspaceBytes = new AtomicLong();
    private final AtomicInteger counters = new AtomicInteger();

    public void reserveWorkspace(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a workspace of " + bytes + " bytes cannot be reserved");
        }
        workspaceBytes.accumulateAndGet(bytes, Math::max);
    }

    /** The largest size reserved so far: each stream's workspace has this size once used. */
    public long workspaceBytes() {
        return workspaceBytes.get();
    }

    /**
     * The reserved workspace size, after checking that a tensor of this type and shape, {@code bytes} long, fits it.
     *
     * @throws IllegalStateException when it does not
     */
    public long workspaceFor(ScalarType dtype, long[] shape, long bytes) {
        long reserved = workspaceBytes.get();
        if (bytes > reserved) {
            throw new IllegalStateException("a workspace tensor " + dtype + Arrays.toString(shape) + " of " + bytes + " bytes exceeds the " + reserved
                    + " bytes reserved; call reserveWorkspace in prepare");
        }
        return reserved;
    }

    public void reserveCounters(int count) {
        if (count < 0) {
            throw new IllegalArgumentException(count + " arrival counters cannot be reserved");
        }
        counters.accumulateAndGet(count, Math::max);
    }

    /**
     * The reserved count of arrival counters, after checking that {@code count} of them, at least one, fit it.
     *
     * @throws IllegalStateException when they do not
     */
    public int countersFor(int count) {
        int reserved = counters.get();
        if (count < 1 || count > reserved) {
            throw new IllegalStateException(count + " arrival counters asked for, " + reserved + " reserved; call reserveCounters in prepare");
        }
        return reserved;
    }
}
