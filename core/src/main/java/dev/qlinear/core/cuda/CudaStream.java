package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.ExecutionStream;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A CUDA stream of one device. Streams from {@link CudaDevice#newStream()} are non-blocking: they do not wait for the
 * legacy default stream nor it for them, so work on different streams is ordered only through events or
 * {@link #synchronize()}. Closing a stream waits for its work, then frees it and its workspaces; the default stream is
 * never destroyed.
 */
public final class CudaStream implements ExecutionStream, AutoCloseable {

    private final CudaDevice device;
    private final Handles.Stream stream;
    private final boolean legacyDefault;
    private final AtomicLong launches = new AtomicLong();
    private volatile boolean closed;

    CudaStream(CudaDevice device, Handles.Stream stream, boolean legacyDefault) {
        this.device = requireNonNull(device, "device is null");
        this.stream = requireNonNull(stream, "stream is null");
        this.legacyDefault = legacyDefault;
    }

    /** The raw {@code CUstream}, 0 for the legacy default stream. */
    public long handle() {
        return stream.raw();
    }

    /** Whether this is the legacy default stream (handle 0), which cannot be captured into a graph. */
    public boolean isDefault() {
        return legacyDefault;
    }

    public CudaDevice device() {
        return device;
    }

    /**
     * Kernels launched on this stream through {@link CudaFunction} so far (work queued by cuBLAS or copies is not
     * counted): what lets a benchmark tell how many launches one call of a kernel makes.
     */
    public long launches() {
        return launches.get();
    }

    void countLaunch() {
        launches.incrementAndGet();
    }

    /** Makes later work on this stream wait until the event's recorded work has finished, without blocking the host. */
    public void waitFor(CudaEvent event) {
        requireNonNull(event, "event is null");
        requireOpen();
        device.makeCurrent();
        device.check(JCudaDriver.cuStreamWaitEvent(stream, event.event(), 0), () -> "cuStreamWaitEvent on " + this);
    }

    @Override
    public void synchronize() {
        requireOpen();
        device.makeCurrent();
        device.check(JCudaDriver.cuStreamSynchronize(stream), () -> "cuStreamSynchronize of " + this);
    }

    Handles.Stream stream() {
        return stream;
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (legacyDefault || closed) {
            return;
        }
        closed = true;
        device.closeStream(this);
    }

    /** Destroys the CUDA stream; called by the device once the stream's work is done and its buffers freed. */
    void destroy() {
        device.makeCurrent();
        device.check(JCudaDriver.cuStreamDestroy(stream), () -> "cuStreamDestroy of " + this);
    }

    @Override
    public String toString() {
        return (legacyDefault ? "the default stream" : "stream 0x" + Long.toHexString(stream.raw())) + " of cuda:" + device.info().ordinal();
    }
}
