package dev.qlinear.spi.weights;

/** The logical dimension of a weight along which several codes share one 32-bit word. */
public enum PackedDimension {
    /** Consecutive input rows k share a word (GPTQ {@code qweight}, compressed-tensors {@code weight_packed}). */
    K,
    /** Consecutive output columns n share a word (AWQ {@code qweight}, GPTQ and AWQ {@code qzeros}). */
    N
}
