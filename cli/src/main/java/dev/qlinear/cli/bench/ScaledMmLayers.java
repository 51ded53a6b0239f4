package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.type.ScalarType;

/**
 * The FP8 layer {@code --kind scaled-mm} times on every shape: PTPC (KERNELS.md §2.3), float8_e4m3fn weights
 * {@code [N, K]} with static per-channel fp32 scales, activations quantized to float8_e4m3fn per token with dynamic fp32
 * scales by the kernel itself, bf16 input and output, no bias; what {@code torch._scaled_mm} row-wise computes on
 * activations already quantized.
 */
final class ScaledMmLayers {

    static final ScalarType FP8 = ScalarType.FLOAT8_E4M3FN;
    static final ScalarType INPUT_TYPE = ScalarType.BFLOAT16;
    static final ScalarType OUTPUT_TYPE = ScalarType.BFLOAT16;
    /** Weight: e4m3fn, one fp32 scale per output channel, loaded with the checkpoint. */
    static final QuantKey WEIGHT = QuantKey.of(FP8, GroupShape.PER_CHANNEL, true);
    /** Activation: e4m3fn, one fp32 scale per token, computed on every call. */
    static final QuantKey ACTIVATION = QuantKey.of(FP8, GroupShape.PER_TOKEN, false);
    /** The layer in the reports' legends. */
    static final String DESCRIPTION = "float8_e4m3fn weights [N, K] with per-channel fp32 scales (static), activations quantized to float8_e4m3fn per token "
            + "(dynamic fp32 scales, by the kernel), bfloat16 input and output, no bias";

    private ScaledMmLayers() {
    }

    /** The PTPC layer of N outputs and K inputs, unsharded. */
    static ScaledMmConfig ptpc(int n, int k) {
        return new ScaledMmConfig(new LayerShape(k, n), WEIGHT, ACTIVATION, INPUT_TYPE, OUTPUT_TYPE, false);
    }
}
