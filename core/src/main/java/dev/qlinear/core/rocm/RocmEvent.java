package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipRuntimeApi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.util.Objects.requireNonNull;

/** A HIP event with timing, for measuring device time between two points of a stream. */
public final class RocmEvent implements AutoCloseable {

    private final RocmDevice device;
    private final long event;
    private volatile boolean closed;

    RocmEvent(RocmDevice device, long event) {
        this.device = requireNonNull(device, "device is null");
        this.event = event;
    }

    /** Captures the point the stream has reached: the event completes when the work queued before it has. */
    public void record(RocmStream stream) {
        requireOpen();
        RocmStream own = device.requireOwn(requireNonNull(stream, "stream is null"));
        device.makeCurrent();
        device.check(HipRuntimeApi.hipEventRecord(event, own.handle()), () -> "hipEventRecord on " + stream);
    }

    /** Blocks until the recorded work has finished. */
    public void synchronize() {
        requireOpen();
        device.makeCurrent();
        device.check(HipRuntimeApi.hipEventSynchronize(event), () -> "hipEventSynchronize");
    }

    /** Milliseconds of device time from {@code start} to this event; both must have been recorded and completed. */
    public float elapsedMillisSince(RocmEvent start) {
        requireNonNull(start, "start is null");
        requireOpen();
        start.requireOpen();
        device.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment millis = arena.allocate(JAVA_FLOAT);
            device.check(HipRuntimeApi.hipEventElapsedTime(millis, start.event, event), () -> "hipEventElapsedTime (were both events recorded and completed?)");
            return millis.get(JAVA_FLOAT, 0);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the event is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        device.check(HipRuntimeApi.hipEventDestroy(event), () -> "hipEventDestroy");
    }
}
