package dev.qlinear.spi.kernel;

/**
 * How closely a kernel's output must match the reference, by the arithmetic the kernel does. The conformance
 * suite applies the criterion of the class a kernel declares.
 */
public enum ToleranceClass {
    /** Every word equal: layouts and repacks, or kernels that reproduce the reference's arithmetic exactly. */
    BIT_EXACT,
    /**
     * {@code mean(|out - ref|) / mean(|ref|) < 0.04}: 16-bit tensor-core GEMMs with fp32 accumulation whose
     * summation order differs from the reference (Marlin-class kernels).
     */
    RELATIVE_MEAN_ERROR,
    /**
     * {@code rtol = atol = 1e-2} against an fp32 reference: kernels that round the dequantized weight to the
     * activation type before the dot product (Triton W4A16).
     */
    FUSED_16BIT,
    /** {@code rtol = 0.5, atol = 0.15}: FP8 W8A8 GEMMs, whose inputs carry 3 mantissa bits. */
    FP8_W8A8
}
