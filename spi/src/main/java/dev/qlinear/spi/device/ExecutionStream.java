package dev.qlinear.spi.device;

/** An ordered queue of device work (a CUDA or HIP stream; the calling thread on a CPU). */
public interface ExecutionStream {

    /** Blocks until all work queued so far has finished. */
    void synchronize();
}
