package dev.qlinear.core.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

import static java.util.Objects.requireNonNull;

/** A CUDA event with timing, for measuring device time between two points of a stream and for ordering streams. */
public final class CudaEvent implements AutoCloseable {

    private final CudaDevice device;
    private final CUevent event;
    private volatile boolean closed;

    CudaEvent(CudaDevice device, CUevent event) {
        this.device = requireNonNull(device, "device is null");
        this.event = requireNonNull(event, "event is null");
    }

    /** Captures the point the stream has reached: the event completes when the work queued before it has. */
    public void record(CudaStream stream) {
        requireNonNull(stream, "stream is null");
        requireOpen();
        device.requireOwn(stream);
        device.makeCurrent();
        device.check(JCudaDriver.cuEventRecord(event, stream.stream()), () -> "cuEventRecord on " + stream);
    }

    /** Blocks until the recorded work has finished. */
    public void synchronize() {
        requireOpen();
        device.makeCurrent();
        device.check(JCudaDriver.cuEventSynchronize(event), () -> "cuEventSynchronize");
    }

    /**
     * Milliseconds of device time from {@code start} to this event; both must have been recorded and completed (call
     * {@link #synchronize()} first). Resolution is about half a microsecond.
     */
    public float elapsedMillisSince(CudaEvent start) {
        requireNonNull(start, "start is null");
        requireOpen();
        start.requireOpen();
        float[] millis = new float[1];
        device.makeCurrent();
        device.check(JCudaDriver.cuEventElapsedTime(millis, start.event, event), () -> "cuEventElapsedTime (were both events recorded and completed?)");
        return millis[0];
    }

    CUevent event() {
        return event;
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
        device.check(JCudaDriver.cuEventDestroy(event), () -> "cuEventDestroy");
    }
}
