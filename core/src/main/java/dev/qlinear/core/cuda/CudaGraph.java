package dev.qlinear.core.cuda;

import jcuda.driver.CUgraphExec;
import jcuda.driver.JCudaDriver;

import static java.util.Objects.requireNonNull;

/** An instantiated CUDA graph: work captured from a stream once, replayed with one launch. */
public final class CudaGraph implements AutoCloseable {

    private final CudaDevice device;
    private final CUgraphExec executable;
    private volatile boolean closed;

    CudaGraph(CudaDevice device, CUgraphExec executable) {
        this.device = requireNonNull(device, "device is null");
        this.executable = requireNonNull(executable, "executable is null");
    }

    /** Queues the captured work on a stream of the same device (it reads and writes the memory it was captured with). */
    public void replay(CudaStream stream) {
        requireNonNull(stream, "stream is null");
        if (closed) {
            throw new IllegalStateException("the graph is closed");
        }
        device.requireOwn(stream);
        device.makeCurrent();
        device.check(JCudaDriver.cuGraphLaunch(executable, stream.stream()), () -> "cuGraphLaunch on " + stream);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        device.check(JCudaDriver.cuGraphExecDestroy(executable), () -> "cuGraphExecDestroy");
    }
}
