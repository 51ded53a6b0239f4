package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.spi.device.ExecutionStream;

import static java.util.Objects.requireNonNull;

/**
 * A HIP stream of one device: the null stream ({@link RocmDevice#defaultStream()}) or a non-blocking one from
 * {@link RocmDevice#newStream()}. Closing a stream waits for its work, then frees it and its workspaces; the null
 * stream is never destroyed.
 */
public final class RocmStream implements ExecutionStream, AutoCloseable {

    private final RocmDevice device;
    private final long handle;
    private volatile boolean closed;

    RocmStream(RocmDevice device, long handle) {
        this.device = requireNonNull(device, "device is null");
        this.handle = handle;
    }

    /** The {@code hipStream_t}, 0 for the null stream. */
    public long handle() {
        return handle;
    }

    public RocmDevice device() {
        return device;
    }

    public boolean isDefault() {
        return handle == 0;
    }

    @Override
    public void synchronize() {
        requireOpen();
        device.makeCurrent();
        device.check(HipRuntimeApi.hipStreamSynchronize(handle), () -> "hipStreamSynchronize of " + this);
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public void close() {
        if (isDefault() || closed) {
            return;
        }
        closed = true;
        device.closeStream(this);
    }

    @Override
    public String toString() {
        return (isDefault() ? "the null stream" : "stream 0x" + Long.toHexString(handle)) + " of " + device.name();
    }
}
