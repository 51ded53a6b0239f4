package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * A layer that multiplies quantized activations by quantized weights and applies the scales around the GEMM:
 * {@code y[m, n] = s_a(m) * s_w(n) * sum_k A_q[m, k] * W_q[n, k] + bias[n]} (FP8 W8A8, per-tensor or
 * per-token x per-channel "PTPC").
 *
 * @param shape K x N of this partition
 * @param weightQuant how the weight {@code [N, K]} is quantized
 * @param activationQuant how the activation {@code [M, K]} is quantized
 * @param inputType type of the activation entering the layer, before quantization
 * @param outputType type of the output
 * @param bias whether the layer adds a bias vector
 */
public record ScaledMmConfig(
        LayerShape shape,
        QuantKey weightQuant,
        QuantKey activationQuant,
        ScalarType inputType,
        ScalarType outputType,
        boolean bias) implements LayerConfig {

    public ScaledMmConfig {
        requireNonNull(shape, "shape is null");
        requireNonNull(weightQuant, "weightQuant is null");
        requireNonNull(activationQuant, "activationQuant is null");
        requireNonNull(inputType, "inputType is null");
        requireNonNull(outputType, "outputType is null");
        if (!weightQuant.staticScale()) {
            throw new IllegalArgumentException("weight scales must be static (loaded with the checkpoint), got dynamic " + weightQuant);
        }
        if (weightQuant.groupShape().equals(GroupShape.PER_TOKEN)) {
            throw new IllegalArgumentException("per-token scales apply to activations, not to the weight");
        }
        if (activationQuant.groupShape().equals(GroupShape.PER_CHANNEL)) {
            throw new IllegalArgumentException("per-channel scales apply to the weight, not to activations");
        }
        if (!outputType.isFloatingPoint()) {
            throw new IllegalArgumentException("output type must be a floating-point type, got " + outputType);
        }
    }

    @Override
    public LayerKind kind() {
        return LayerKind.SCALED_MM;
    }

    @Override
    public int k() {
        return shape.k();
    }

    @Override
    public int n() {
        return shape.n();
    }
}
