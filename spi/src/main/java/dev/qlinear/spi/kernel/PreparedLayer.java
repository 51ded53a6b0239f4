package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerConfig;

/**
 * A layer's weights in a kernel's own layout, on a device, made by {@link LinearKernel#prepare}. Only the kernel
 * that made it may use it. Closing it frees its device memory.
 */
public interface PreparedLayer extends AutoCloseable {

    LayerConfig config();

    /** Bytes of device memory held. */
    long deviceBytes();

    @Override
    void close();
}
