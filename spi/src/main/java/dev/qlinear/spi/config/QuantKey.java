package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * How one operand of a scaled GEMM is quantized: element type, scale granularity, and whether the scale is fixed
 * at load time (static) or computed from the data on every call (dynamic).
 *
 * @param type element type of the quantized operand, such as {@link ScalarType#FLOAT8_E4M3FN}
 * @param scaleType element type of the scales, usually fp32
 * @param groupShape the block sharing one scale
 * @param staticScale whether the scale is loaded with the checkpoint rather than computed per call
 * @param symmetric whether the operand has no zero point
 */
public record QuantKey(ScalarType type, ScalarType scaleType, GroupShape groupShape, boolean staticScale, boolean symmetric) {
    public QuantKey {
        requireNonNull(type, "type is null");
        requireNonNull(scaleType, "scaleType is null");
        requireNonNull(groupShape, "groupShape is null");
        if (!scaleType.isFloatingPoint()) {
            throw new IllegalArgumentException("scale type must be a floating-point type, got " + scaleType);
        }
    }

    /** A symmetric key with fp32 scales. */
    public static QuantKey of(ScalarType type, GroupShape groupShape, boolean staticScale) {
        return new QuantKey(type, ScalarType.FLOAT32, groupShape, staticScale, true);
    }

    @Override
    public String toString() {
        return type + " " + groupShape + " " + (staticScale ? "static" : "dynamic") + (symmetric ? "" : " asymmetric");
    }
}
