package dev.qlinear.cpuvector;

import dev.qlinear.core.reference.Fp8Matrix;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.reference.Fp8Scaling;
import dev.qlinear.core.reference.ReferenceGemm;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.assertj.core.data.Offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A random FP8 layer and activation with its reference answer: normal weights quantized to e4m3fn per channel (or
 * per tensor), normal activations in the input type, quantized by the reference the way the config says.
 */
record Fp8Case(String description, ScaledMmConfig config, Fp8Matrix weightMatrix, QuantizedWeights.ScaledMm weights, int m, double[] x,
        Optional<double[]> bias, Optional<Float> staticScale) {

    static final Fp8Scaling SCALING = Fp8Scaling.of(ScalarType.FLOAT8_E4M3FN);

    static Fp8Case random(long seed, int m, int k, int n, GroupShape weightScales, GroupShape activationScales, boolean staticActivation,
            ScalarType inputType, ScalarType outputType, boolean withBias, Arena arena) {
        return random(seed, m, k, n, weightScales, activationScales, staticActivation, inputType, outputType, withBias, 0, arena);
    }

    /**
     * @param magnitudeOctaves each weight is scaled down by 2^-u, u uniform in [0, octaves): with 20 octaves and
     *        per-tensor scales a good share of the codes are subnormal
     */
    static Fp8Case random(long seed, int m, int k, int n, GroupShape weightScales, GroupShape activationScales, boolean staticActivation,
            ScalarType inputType, ScalarType outputType, boolean withBias, int magnitudeOctaves, Arena arena) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] w = new double[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = Tensors.gaussian(random) * 0.05 * (magnitudeOctaves == 0 ? 1 : Math.pow(2, -random.nextDouble(magnitudeOctaves)));
        }
        Fp8Matrix weightMatrix = weightScales.equals(GroupShape.PER_CHANNEL)
                ? Fp8Reference.quantizePerToken(w, n, k, SCALING)
                : Fp8Reference.quantizePerTensor(w, n, k, SCALING);
        double[] x = Tensors.randomValues(random, m * k, 1.0, inputType);
        // A static scale a little small, so that the largest activations saturate.
        Optional<Float> staticScale = staticActivation ? Optional.of(3.0f / 448.0f) : Optional.empty();
        Optional<double[]> bias = withBias ? Optional.of(Tensors.randomValues(random, n, 0.5, outputType)) : Optional.empty();

        HostTensor weight = HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, n, k);
        MemorySegment.copy(weightMatrix.codes(), 0, weight.segment(), ValueLayout.JAVA_BYTE, 0, n * k);
        float[] scales = weightMatrix.scales();
        HostTensor weightScale = weightScales.equals(GroupShape.PER_CHANNEL)
                ? HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1)
                : HostTensor.allocate(arena, ScalarType.FLOAT32, 1);
        MemorySegment.copy(scales, 0, weightScale.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, scales.length);
        Optional<Tensor> inputScale = staticScale.map(scale -> {
            HostTensor tensor = HostTensor.allocate(arena, ScalarType.FLOAT32, 1);
            tensor.segment().set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, scale);
            return tensor;
        });
        Optional<Tensor> biasTensor = bias.map(values -> Tensors.vector(arena, outputType, values));
        QuantizedWeights.ScaledMm weights = new QuantizedWeights.ScaledMm(weight, weightScale, inputScale, biasTensor);
        ScaledMmConfig config = new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(ScalarType.FLOAT8_E4M3FN, weightScales, true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, activationScales, staticActivation), inputType, outputType, withBias);
        String description = "seed " + seed + ": M=" + m + " K=" + k + " N=" + n + " weights " + weightScales + ", activations " + activationScales
                + (staticActivation ? " static" : " dynamic") + ", " + inputType + " -> " + outputType + (withBias ? " bias" : "");
        return new Fp8Case(description, config, weightMatrix, weights, m, x, bias, staticScale);
    }

    /** The same layer with other activations, rounded to the input type. */
    Fp8Case withActivations(double[] activations, int rows) {
        double[] rounded = ReferenceGemm.roundTo(activations, config.inputType());
        return new Fp8Case(description + " (" + rows + " rows of other activations)", config, weightMatrix, weights, rows, rounded, bias, staticScale);
    }

    HostTensor input(Arena arena) {
        return Tensors.matrix(arena, config.inputType(), x, m, config.k());
    }

    Fp8Matrix activations() {
        int k = config.k();
        if (staticScale.isPresent()) {
            return Fp8Reference.quantizeWithScale(x, m, k, SCALING, staticScale.get());
        }
        return config.activationQuant().groupShape().equals(GroupShape.PER_TOKEN)
                ? Fp8Reference.quantizePerToken(x, m, k, SCALING)
                : Fp8Reference.quantizePerTensor(x, m, k, SCALING);
    }

    double[] reference() {
        Fp8Matrix activations = activations();
        return bias.map(values -> Fp8Reference.scaledMm(activations, weightMatrix, values)).orElseGet(() -> Fp8Reference.scaledMm(activations, weightMatrix));
    }

    /**
     * Every element within one unit in the last place of the output type plus the fp32 summation bound, the mean
     * error within one relative unit of the output type, and the FP8 class's {@code rtol = 0.5, atol = 0.15}.
     */
    void assertMatches(double[] out, double[] reference) {
        assertMatches(out, reference, config.outputType());
    }

    /**
     * The unrounded fp32 results: within the fp32 summation bound of the reference, with no output rounding. This is
     * the check that sees errors far below the 16-bit outputs' resolution.
     */
    void assertMatchesFloat32(float[] out, double[] reference) {
        double[] values = new double[out.length];
        for (int i = 0; i < out.length; i++) {
            values[i] = out[i];
        }
        assertMatches(values, reference, ScalarType.FLOAT32);
    }

    private void assertMatches(double[] out, double[] reference, ScalarType dtype) {
        Fp8Matrix activations = activations();
        int k = config.k();
        int n = config.n();
        double[] rowAbs = new double[m];
        for (int row = 0; row < m; row++) {
            for (int inner = 0; inner < k; inner++) {
                rowAbs[row] += Math.abs(activations.value(row, inner));
            }
        }
        double[] columnMax = new double[n];
        for (int column = 0; column < n; column++) {
            for (int inner = 0; inner < k; inner++) {
                columnMax[column] = Math.max(columnMax[column], Math.abs(weightMatrix.value(column, inner)));
            }
        }
        double[] biasAbs = new double[n];
        bias.ifPresent(values -> Arrays.setAll(biasAbs, column -> Math.abs(values[column])));
        for (int row = 0; row < m; row++) {
            for (int column = 0; column < n; column++) {
                int at = row * n + column;
                double scale = (double) activations.scale(row) * weightMatrix.scale(column);
                double rounding = dtype.equals(ScalarType.FLOAT32) ? 0 : Tensors.ulp(dtype, Math.max(Math.abs(out[at]), Math.abs(reference[at])));
                double bound = rounding
                        + 0x1p-24 * (k / 4.0 + 8) * scale * rowAbs[row] * columnMax[column]
                        + 0x1p-22 * (Math.abs(reference[at]) + biasAbs[column]);
                if (!(Math.abs(out[at] - reference[at]) <= bound)) {
                    assertThat(out[at]).as("%s: output [%d, %d], reference %s, bound %s", description, row, column, reference[at], bound)
                            .isCloseTo(reference[at], Offset.offset(bound));
                }
                if (!(Math.abs(out[at] - reference[at]) <= 0.15 + 0.5 * Math.abs(reference[at]))) {
                    assertThat(out[at]).as("%s: output [%d, %d] against the FP8 class", description, row, column)
                            .isCloseTo(reference[at], Offset.offset(0.15 + 0.5 * Math.abs(reference[at])));
                }
            }
        }
        assertThat(Tensors.relativeMeanError(out, reference)).as("%s: relative mean error", description)
                .isLessThan(Math.scalb(1.0, -Math.min(dtype.mantissaBits(), 16)));
    }

    @Override
    public String toString() {
        return description;
    }
}
