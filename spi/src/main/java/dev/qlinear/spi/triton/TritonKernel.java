package dev.qlinear.spi.triton;

import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;

/**
 * One Triton kernel variant loaded on a device. Triton fixes a launch's block (32 threads a warp times the compiled
 * warps) and dynamic shared memory at compile time, and appends two scratch pointers to the parameters it was
 * given; this launches with the first two and fills the scratch pointers, so callers set only the kernel's own
 * parameters.
 */
public interface TritonKernel {

    TritonKernelInfo info();

    /**
     * Arguments for this kernel, to create once and refill before each launch: indices 0 to
     * {@code info().parameterKinds().size() - 1} are the kernel's own parameters in order; the appended scratch
     * pointers after them are set by the host.
     */
    KernelArguments newArguments();

    /**
     * Queues one launch of {@code gridX × gridY × gridZ} programs.
     *
     * @throws IllegalArgumentException when the arguments were not made by {@link #newArguments()} of a kernel with
     *         this signature
     */
    void launch(int gridX, int gridY, int gridZ, KernelArguments arguments, ExecutionStream stream);
}
