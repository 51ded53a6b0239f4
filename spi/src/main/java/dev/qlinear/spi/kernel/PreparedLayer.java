package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Tensor;

import java.util.Map;

/**
 * A layer's weights in a kernel's own layout, on a device, made by {@link LinearKernel#prepare}. Only the kernel
 * that made it may use it. Closing it frees its device memory.
 */
public interface PreparedLayer extends AutoCloseable {

    LayerConfig config();

    /** Bytes of device memory held. */
    long deviceBytes();

    /**
     * The tensors of the prepared layout by name, such as {@code "codes"} and {@code "scales"}, for a kernel that
     * declares its {@linkplain LinearKernel#preparedLayout() layout}: the conformance suite compares them bit for
     * bit with the reference packer of that layout. Empty for kernels that do not declare one.
     */
    default Map<String, Tensor> layoutTensors() {
        return Map.of();
    }

    @Override
    void close();
}
