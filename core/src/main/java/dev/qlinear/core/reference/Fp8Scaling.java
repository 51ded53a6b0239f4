package dev.qlinear.core.reference;

import dev.qlinear.spi.type.ScalarType;

import java.util.OptionalDouble;

import static java.util.Objects.requireNonNull;

/**
 * How dynamic FP8 quantization chooses a scale: {@code s = max(min(amax, upperBound) / quantizationMax,
 * minimumScale)}, and quantized values are clamped to {@code ±quantizationMax}.
 *
 * <p>{@code quantizationMax} is the type's largest finite value by default (448 for e4m3fn, 240 for e4m3fnuz,
 * KERNELS.md §2.4). vLLM's own CUDA/HIP quantization kernels use 224 instead of 240 for e4m3fnuz
 * ({@code fp8_e4m3_adjusted_max}, "240 causes accuracy issues in dynamic quantization"); pass 224 to mirror them.
 *
 * @param type e4m3fn, e4m3fnuz or e5m2
 * @param quantizationMax the value the row (or tensor) maximum maps to; a positive value of the type, at most its max
 * @param upperBound an optional cap on the maximum used for the scale ({@code input_scale_ub}), a positive fp32 value
 */
public record Fp8Scaling(ScalarType type, float quantizationMax, OptionalDouble upperBound) {

    public Fp8Scaling {
        requireNonNull(type, "type is null");
        requireNonNull(upperBound, "upperBound is null");
        if (!type.isFloatingPoint() || type.sizeBits() != 8) {
            throw new IllegalArgumentException("FP8 quantization needs an 8-bit float type, got " + type);
        }
        FloatCodec codec = FloatCodec.of(type);
        if (!(quantizationMax > 0) || quantizationMax > codec.max() || codec.round(quantizationMax) != quantizationMax) {
            throw new IllegalArgumentException("quantization max " + quantizationMax + " must be a positive value of " + type + " no larger than " + codec.max());
        }
        if (upperBound.isPresent()) {
            double bound = upperBound.getAsDouble();
            if (!(bound > 0) || !Double.isFinite(bound) || (float) bound != bound) {
                throw new IllegalArgumentException("scale upper bound " + bound + " must be a finite positive fp32 value");
            }
        }
    }

    /** The type's own max, no upper bound. */
    public static Fp8Scaling of(ScalarType type) {
        requireNonNull(type, "type is null");
        return new Fp8Scaling(type, (float) type.max(), OptionalDouble.empty());
    }

    public Fp8Scaling withQuantizationMax(float max) {
        return new Fp8Scaling(type, max, upperBound);
    }

    public Fp8Scaling withUpperBound(float bound) {
        return new Fp8Scaling(type, quantizationMax, OptionalDouble.of(bound));
    }

    /**
     * The smallest scale, {@code 1 / (quantizationMax · 512)} in fp32 (vLLM's and TensorRT-LLM's
     * {@code min_scaling_factor}): an all-zero row gets it instead of dividing by zero, and quantizes to zeros.
     */
    public float minimumScale() {
        return 1.0f / (quantizationMax * 512.0f);
    }

    /**
     * The fp32 scale for a maximum magnitude: {@code max(min(amax, bound) / quantizationMax, minimumScale)}. The
     * maximum is taken as fp32, which is exact for fp16, bf16 and fp32 activations.
     */
    public float scaleFor(double amax) {
        if (!(amax >= 0) || Double.isInfinite(amax)) {
            throw new IllegalArgumentException("the maximum magnitude must be finite and non-negative, got " + amax);
        }
        float capped = (float) (upperBound.isPresent() ? Math.min(amax, upperBound.getAsDouble()) : amax);
        // fp32 division, rounded once, as the kernels compute it.
        return Math.max(capped / quantizationMax, minimumScale());
    }
}
