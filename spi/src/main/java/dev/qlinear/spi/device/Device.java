package dev.qlinear.spi.device;

import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;

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
}
