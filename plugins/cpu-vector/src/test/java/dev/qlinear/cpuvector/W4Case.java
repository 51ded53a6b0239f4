package dev.qlinear.cpuvector;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.ReferenceGemm;
import dev.qlinear.core.reference.RtnQuantizer;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.assertj.core.data.Offset;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A random W4A16 layer and activation with its reference answer: RTN-quantized normal weights (uint4b8, or uint4
 * with zero points), act-order from a random permutation, normal activations and bias in the activation type.
 */
record W4Case(String description, WeightOnlyConfig config, QuantizedMatrix matrix, QuantizedWeights.WeightOnly weights, int m, double[] x,
        Optional<double[]> bias) {

    static W4Case random(long seed, int m, int k, int n, int groupSize, ScalarType weightType, boolean actOrder, ScalarType dtype, boolean withBias,
            ScalarType scaleType, Arena arena) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] w = new double[k * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = Tensors.gaussian(random) * 0.05;
        }
        RtnQuantizer quantizer = new RtnQuantizer(weightType, groupSize, scaleType);
        QuantizedMatrix matrix = actOrder
                ? quantizer.quantizeActOrder(w, k, n, RtnQuantizer.randomPermutation(k, random.nextLong()))
                : quantizer.quantize(w, k, n);
        return of(seed, matrix, m, dtype, withBias, random, arena);
    }

    /** A case for given quantized weights, with random activations (and bias). */
    static W4Case of(long seed, QuantizedMatrix matrix, int m, ScalarType dtype, boolean withBias, SplittableRandom random, Arena arena) {
        int k = matrix.k();
        int n = matrix.n();
        Optional<double[]> bias = withBias ? Optional.of(Tensors.randomValues(random, n, 0.5, dtype)) : Optional.empty();
        Optional<Tensor> biasTensor = bias.map(values -> Tensors.vector(arena, dtype, values));
        QuantizedWeights.WeightOnly weights = CanonicalWeights.of(matrix, biasTensor, arena);
        LayerShape shape = new LayerShape(k, n);
        WeightOnlyConfig config = new WeightOnlyConfig(shape, shape, matrix.weightType(), dtype, matrix.groupSize(), matrix.hasZeroPoints(),
                matrix.hasActOrder(), dtype);
        double[] x = Tensors.randomValues(random, m * k, 1.0, dtype);
        String description = "seed " + seed + ": M=" + m + " K=" + k + " N=" + n + " " + matrix.weightType() + " G=" + matrix.groupSize()
                + (matrix.hasZeroPoints() ? " zero points" : "") + (matrix.hasActOrder() ? " act-order" : "") + " " + dtype
                + " scales " + matrix.scaleType() + (withBias ? " bias" : "");
        return new W4Case(description, config, matrix, weights, m, x, bias);
    }

    HostTensor input(Arena arena) {
        return Tensors.matrix(arena, config.activationType(), x, m, config.k());
    }

    double[] reference() {
        return bias.map(values -> ReferenceGemm.multiply(x, m, matrix, values)).orElseGet(() -> ReferenceGemm.multiply(x, m, matrix));
    }

    /**
     * Every element within one unit in the last place of the output type plus a bound on fp32 accumulation error,
     * and the mean error within one relative unit of the output type (the suite's class asks for 0.04).
     */
    void assertMatches(double[] out, double[] reference) {
        assertMatches(out, reference, config.outputType());
    }

    /**
     * The unrounded fp32 results: within the fp32 accumulation bound of the reference, with no output rounding. This
     * is the check that sees errors far below the 16-bit outputs' resolution.
     */
    void assertMatchesFloat32(float[] out, double[] reference) {
        double[] values = new double[out.length];
        for (int i = 0; i < out.length; i++) {
            values[i] = out[i];
        }
        assertMatches(values, reference, ScalarType.FLOAT32);
    }

    private void assertMatches(double[] out, double[] reference, ScalarType dtype) {
        int k = config.k();
        int n = config.n();
        int groups = matrix.groupCount();
        int groupRows = matrix.groupSize() == -1 ? k : matrix.groupSize();
        double[] rowAbs = new double[m];
        for (int row = 0; row < m; row++) {
            for (int inner = 0; inner < k; inner++) {
                rowAbs[row] += Math.abs(x[row * k + inner]);
            }
        }
        double[] columnScale = new double[n];
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                columnScale[column] = Math.max(columnScale[column], Math.abs(matrix.scale(group, column)));
            }
        }
        // |q| and |z| are at most 15; each fp32 step adds at most 2^-24 of a partial sum bounded by the terms' sum.
        double steps = groupRows + groups + 8;
        double[] biasAbs = new double[n];
        bias.ifPresent(values -> Arrays.setAll(biasAbs, column -> Math.abs(values[column])));
        for (int row = 0; row < m; row++) {
            for (int column = 0; column < n; column++) {
                int at = row * n + column;
                double terms = 30 * columnScale[column] * rowAbs[row] + biasAbs[column];
                double rounding = dtype.equals(ScalarType.FLOAT32) ? 0 : Tensors.ulp(dtype, Math.max(Math.abs(out[at]), Math.abs(reference[at])));
                double bound = rounding + 0x1p-24 * steps * terms;
                if (!(Math.abs(out[at] - reference[at]) <= bound)) {
                    assertThat(out[at]).as("%s: output [%d, %d], reference %s, bound %s", description, row, column, reference[at], bound)
                            .isCloseTo(reference[at], Offset.offset(bound));
                }
            }
        }
        assertThat(Tensors.relativeMeanError(out, reference)).as("%s: relative mean error", description)
                .isLessThan(Math.scalb(1.0, -Math.min(dtype.mantissaBits(), 16)))
                .isLessThan(0.04);
    }

    @Override
    public String toString() {
        return description;
    }
}
