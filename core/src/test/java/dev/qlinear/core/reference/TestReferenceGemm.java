package dev.qlinear.core.reference;

import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestReferenceGemm {

    /** uint4b8 [K=3, N=2], channelwise fp16 scales [0.5, 0.25]: Ŵ = (q - 8) · s. */
    private static QuantizedMatrix threeByTwo() {
        // codes - 8 = [[1, -2], [4, 0], [-3, 7]]  ->  Ŵ = [[0.5, -0.5], [2.0, 0.0], [-1.5, 1.75]]
        return new QuantizedMatrix(ScalarType.UINT4B8, 3, 2, -1, ScalarType.FLOAT16,
                new int[] {9, 6, 12, 8, 5, 15}, new int[] {0x3800, 0x3400}, Optional.empty(), Optional.empty());
    }

    @Test
    void twoByThreeTimesThreeByTwoWithBias() {
        double[] x = {
                1.0, 2.0, 3.0,
                -1.0, 0.5, 2.0};
        assertThat(ReferenceGemm.dequantize(threeByTwo())).containsExactly(0.5, -0.5, 2.0, 0.0, -1.5, 1.75);
        // y00 = 1*0.5 + 2*2 + 3*(-1.5) = 0          y01 = 1*(-0.5) + 2*0 + 3*1.75 = 4.75
        // y10 = -1*0.5 + 0.5*2 + 2*(-1.5) = -2.5    y11 = -1*(-0.5) + 0.5*0 + 2*1.75 = 4.0
        assertThat(ReferenceGemm.multiply(x, 2, threeByTwo())).containsExactly(0.0, 4.75, -2.5, 4.0);
        // + bias [0.25, -1]
        assertThat(ReferenceGemm.multiply(x, 2, threeByTwo(), new double[] {0.25, -1.0})).containsExactly(0.25, 3.75, -2.25, 3.0);
    }

    @Test
    void asymmetricActOrderWeightsByHand() {
        // uint4, K = 4, N = 1, G = 2, g_idx = [1, 0, 0, 1]; group 0: s = 0.5, z = 4; group 1: s = 0.125, z = 7.
        QuantizedMatrix weights = new QuantizedMatrix(ScalarType.UINT4, 4, 1, 2, ScalarType.FLOAT16,
                new int[] {3, 10, 0, 15}, new int[] {0x3800, 0x3000}, Optional.of(new int[] {4, 7}), Optional.of(new int[] {1, 0, 0, 1}));
        // row 0: (3 - 7) * 0.125 = -0.5; row 1: (10 - 4) * 0.5 = 3; row 2: (0 - 4) * 0.5 = -2; row 3: (15 - 7) * 0.125 = 1
        assertThat(ReferenceGemm.dequantize(weights)).containsExactly(-0.5, 3.0, -2.0, 1.0);
        // x = [1, 2, 3, 4]: -0.5 + 6 - 6 + 4 = 3.5
        assertThat(ReferenceGemm.multiply(new double[] {1, 2, 3, 4}, 1, weights)).containsExactly(3.5);
    }

    @Test
    void fused16RoundsTheDequantizedWeightToTheActivationType() {
        // uint4b8, K = 2, N = 1, fp32 scale 1 + 3 * 2^-9 = 1.005859375 (0x3F80C000); code values 7 and -3.
        QuantizedMatrix weights = new QuantizedMatrix(ScalarType.UINT4B8, 2, 1, -1, ScalarType.FLOAT32,
                new int[] {15, 5}, new int[] {0x3F80C000}, Optional.empty(), Optional.empty());
        // exact: 7 * 1.005859375 = 7.041015625, -3 * 1.005859375 = -3.017578125
        assertThat(ReferenceGemm.dequantize(weights)).containsExactly(7.041015625, -3.017578125);
        // bf16: the scale rounds to 1 + 2^-7 (0.75 of a 2^-7 step rounds up) = 1.0078125;
        // 7 * 1.0078125 = 7.0546875 = 225.75 steps of 2^-5 -> 226 -> 7.0625;
        // -3 * 1.0078125 = -3.0234375 = 193.5 steps of 2^-6 -> 194 (even) -> -3.03125
        assertThat(ReferenceGemm.dequantizeFused16(weights, ScalarType.BFLOAT16)).containsExactly(7.0625, -3.03125);
        // fp16: the scale is exact; 7.041015625 = 1802.5 steps of 2^-8 -> 1802 -> 7.0390625; -3.017578125 is exact
        assertThat(ReferenceGemm.dequantizeFused16(weights, ScalarType.FLOAT16)).containsExactly(7.0390625, -3.017578125);
        double[] x = {1.0, 1.0};
        assertThat(ReferenceGemm.multiply(x, 1, weights)).containsExactly(4.0234375);
        assertThat(ReferenceGemm.multiplyFused16(x, 1, weights, ScalarType.BFLOAT16)).containsExactly(4.03125);
        assertThat(ReferenceGemm.multiplyFused16(x, 1, weights, ScalarType.FLOAT16, new double[] {-4.0})).containsExactly(0.021484375);
    }

    @Test
    void roundsOutputsNearestEven() {
        // fp16 near 1 steps by 2^-10: 1 + 2^-11 ties to 1; 1 + 3 * 2^-11 ties to 1 + 2^-9; 65520 ties to infinity.
        assertThat(ReferenceGemm.roundTo(new double[] {1 + 0x1p-11, 1 + 3 * 0x1p-11, 65520, -65519, 0.1}, ScalarType.FLOAT16))
                .containsExactly(1.0, 1 + 0x1p-9, Double.POSITIVE_INFINITY, -65504.0, 0.0999755859375);
        // bf16 near 1 steps by 2^-7; 3.0234375 is half-way between 3.015625 and 3.03125.
        assertThat(ReferenceGemm.roundTo(new double[] {1 + 0x1p-8, 3.0234375}, ScalarType.BFLOAT16)).containsExactly(1.0, 3.03125);
    }

    @Test
    void rejectsShapesThatDoNotFit() {
        assertThatThrownBy(() -> ReferenceGemm.multiply(new double[5], 2, threeByTwo()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("x must hold M*K=6 values, got 5");
        assertThatThrownBy(() -> ReferenceGemm.multiply(new double[6], 2, threeByTwo(), new double[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bias must hold N=2 values, got 3");
        assertThatThrownBy(() -> ReferenceGemm.multiplyFused16(new double[6], 2, threeByTwo(), ScalarType.FLOAT32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fused 16-bit dequantization needs a float16 or bfloat16 activation type, got float32");
    }

    @Test
    void matchesAnExactEvaluation() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        List<ScalarType> types = List.of(ScalarType.UINT4B8, ScalarType.UINT4, ScalarType.UINT8B128, ScalarType.UINT8);
        for (int trial = 0; trial < 20; trial++) {
            ScalarType weightType = types.get(random.nextInt(types.size()));
            int groupSize = List.of(-1, 4, 16).get(random.nextInt(3));
            int k = groupSize == -1 ? 1 + random.nextInt(80) : groupSize * (1 + random.nextInt(5));
            int m = 1 + random.nextInt(9);
            int n = 1 + random.nextInt(20);
            double[] w = new double[k * n];
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextGaussian();
            }
            RtnQuantizer quantizer = new RtnQuantizer(weightType, groupSize, random.nextBoolean() ? ScalarType.FLOAT16 : ScalarType.BFLOAT16);
            QuantizedMatrix weights = random.nextBoolean()
                    ? quantizer.quantize(w, k, n)
                    : quantizer.quantizeActOrder(w, k, n, RtnQuantizer.randomPermutation(k, random.nextLong()));
            double[] x = new double[m * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = Float.float16ToFloat(Float.floatToFloat16((float) (random.nextGaussian() * 4)));
            }
            double[] bias = new double[n];
            for (int i = 0; i < n; i++) {
                bias[i] = Float.float16ToFloat(Float.floatToFloat16((float) random.nextGaussian()));
            }
            double[] y = ReferenceGemm.multiply(x, m, weights, bias);
            for (int row = 0; row < m; row++) {
                for (int column = 0; column < n; column++) {
                    BigDecimal exact = new BigDecimal(bias[column]);
                    double magnitude = Math.abs(bias[column]);
                    for (int inner = 0; inner < k; inner++) {
                        double wHat = weights.dequantized(inner, column);
                        exact = exact.add(new BigDecimal(x[row * k + inner]).multiply(new BigDecimal(wHat)));
                        magnitude += Math.abs(x[row * k + inner] * wHat);
                    }
                    double bound = (k + 1) * Math.ulp(1.0) * magnitude;
                    assertThat(Math.abs(y[row * n + column] - exact.doubleValue()))
                            .as("seed %d trial %d: y[%d, %d] of %s G=%d K=%d", seed, trial, row, column, weightType, groupSize, k)
                            .isLessThanOrEqualTo(bound);
                }
            }
        }
    }
}
