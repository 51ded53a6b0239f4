package dev.qlinear.spi.config;

/** The two families of quantized linear layers, one per {@link LayerConfig} subtype. */
public enum LayerKind {
    /** Integer weights, 16-bit activations (W4A16, W8A16): {@link WeightOnlyConfig}. */
    WEIGHT_ONLY,
    /** Quantized weights and activations with scales applied around the GEMM (FP8 W8A8): {@link ScaledMmConfig}. */
    SCALED_MM
}
