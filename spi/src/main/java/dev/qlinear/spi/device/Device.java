package dev.qlinear.spi.device;

import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One device as the host gives it to kernels: memory, copies, streams and, on GPUs, loading kernel images. The
 * host implements it; plugins never bind native GPU libraries themselves, since a JNI library can be loaded by
 * one class loader only.
 */
public interface Device {

    Platform platform();

    /**
     * Allocates a contiguous tensor owned by {@code owner}; {@link #release} frees everything an owner holds.
     *
     * @param owner who the memory is accounted to, such as a prepared layer
     */
    Tensor allocate(Object owner, ScalarType dtype, long... shape);

    /** Allocates a contiguous tensor of the type and shape of {@code like}, such as a host buffer to upload. */
    default Tensor allocateLike(Object owner, Tensor like) {
        return allocate(owner, like.dtype(), like.shape());
    }

    /** Frees every allocation of the owner. */
    void release(Object owner);

    /** Copies between host and device or within one; the shapes and types must match. */
    void copy(Tensor source, Tensor destination, ExecutionStream stream);

    ExecutionStream defaultStream();

    /**
     * Loads a compiled kernel image shipped by a plugin: a cubin or fatbin, or PTX text that the driver compiles.
     *
     * @param name a name for errors and diagnostics, such as the resource path
     * @throws UnsupportedOperationException on a device that runs no kernel images, such as a CPU
     */
    GpuModule loadModule(String name, byte[] image);

    /**
     * Raises the size of every stream's workspace to at least {@code bytes}. Kernels that need scratch memory call it
     * in {@code prepare}, so that {@link #workspace} never allocates in {@code apply} (nor inside a graph capture,
     * once the stream has been used).
     */
    void reserveWorkspace(long bytes);

    /**
     * Scratch memory on a stream: a contiguous tensor at the start of that stream's workspace, for work queued on the
     * stream until the next call of this method for it. Streams order their work, so kernels applied one after the
     * other on a stream may each use it; kernels on different streams never share it.
     *
     * @throws IllegalStateException naming both sizes when the tensor exceeds what {@link #reserveWorkspace} reserved
     */
    Tensor workspace(ExecutionStream stream, ScalarType dtype, long... shape);

    /**
     * Raises the number of every stream's arrival counters to at least {@code count}; called in {@code prepare} by
     * kernels that use {@link #counters}.
     */
    void reserveCounters(int count);

    /**
     * Arrival counters on a stream: {@code count} int32 values, zero whenever no kernel on the stream runs. A kernel
     * that counts in them, such as a split-K reduction where the last block to arrive adds the partial sums, must leave
     * them at zero. Work on one stream runs in order, so its kernels share the counters; other streams have their own.
     *
     * @throws IllegalStateException naming both counts when {@code count} exceeds what {@link #reserveCounters} reserved
     */
    Tensor counters(ExecutionStream stream, int count);

    /**
     * Loads one variant of a plugin's Triton images: the image {@link TritonImages#targetFor} picks for this device,
     * with its manifest.
     *
     * @throws IllegalArgumentException naming the variant and the targets there are when none runs on this device
     * @throws UnsupportedOperationException on a device that runs no kernel images, such as a CPU
     */
    default TritonKernel loadTriton(TritonImages images, String variant) {
        throw new UnsupportedOperationException(platform().spec() + " runs no Triton kernels");
    }

    /**
     * Loads a native library of host entry points that queue work on this device's streams ({@link HostLibrary} gives
     * the calling convention).
     *
     * @throws IllegalArgumentException naming the file and the loader's error when it does not load
     * @throws UnsupportedOperationException on a device whose host calls no such libraries
     */
    default HostLibrary loadHostLibrary(Path library) {
        throw new UnsupportedOperationException(platform().spec() + " calls no host libraries");
    }

    /** The host's dense float16/bfloat16 GEMM on this device, when it has one (cuBLAS on CUDA). */
    default Optional<DenseGemm> denseGemm() {
        return Optional.empty();
    }
}
