package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.Map;

/**
 * The reference packer of a prepared layout a kernel declares ({@code LinearKernel.preparedLayout()}): written
 * from the layout's definition, independently of the kernel's own (fast) packer, so the conformance suite can
 * compare the kernel's {@code PreparedLayer.layoutTensors()} with it bit for bit.
 */
public interface ReferenceLayout {

    /** The layout's name, as kernels declare it. */
    String name();

    /** The tensors the layout holds for these canonical weights, by the names the kernel exposes them under. */
    Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Arena arena);

    /**
     * The tensors the layout holds for these canonical weights on a platform, for layouts whose content depends on
     * it (such as e4m3fn weights converted to e4m3fnuz where the matrix cores take e4m3fnuz). Most layouts do not
     * depend on it: by default the same as {@link #pack(LayerConfig, QuantizedWeights, Arena)}.
     */
    default Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Platform platform, Arena arena) {
        return pack(config, weights, arena);
    }

    /**
     * Whether FP8 weights are normalized to e4m3fnuz on this platform (KERNELS.md §1.3): where its matrix cores take
     * e4m3fnuz (MI300), a kernel converts an e4m3fn checkpoint before anything else.
     */
    static boolean normalizesToFnuz(Platform platform) {
        return platform.architecture() instanceof Architecture.Rocm rocm && rocm.fp8Type().filter(ScalarType.FLOAT8_E4M3FNUZ::equals).isPresent();
    }

    /** The logical matrix of weight-only weights, for packers of weight-only layouts. */
    static QuantizedMatrix weightOnlyMatrix(String layout, QuantizedWeights weights) {
        if (!(weights instanceof QuantizedWeights.WeightOnly weightOnly)) {
            throw new IllegalArgumentException(layout + " holds weight-only weights, got " + weights.getClass().getSimpleName());
        }
        return CanonicalWeights.toMatrix(weightOnly);
    }
}
