package dev.qlinear.spi.weights;

/** What a stored zero point means. */
public enum ZeroPointConvention {
    /** No zero points stored; the weight type's bias is the zero point (uint4b8: 8). */
    NONE,
    /** The stored value is the zero point z. */
    TRUE_VALUE,
    /** GPTQ v1: the stored value is z - 1, a historical off-by-one that kernels compensate by adding 1. */
    STORED_MINUS_ONE
}
