package dev.qlinear.core.reference;

import dev.qlinear.spi.type.ScalarType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestFp8Reference {

    private static final ScalarType FN = ScalarType.FLOAT8_E4M3FN;
    private static final ScalarType FNUZ = ScalarType.FLOAT8_E4M3FNUZ;

    /** x[2, 3]: fp16-exact activations whose row maxima make exact power-of-two scales. */
    private static final double[] X = {
            0.546875, -3.5, 7.0,
            0.421875, 0.0, -0.875};

    /** W[N=2, K=3] in e4m3fn: [[1, 2, -0.5], [4, 0, 1.5]], per-channel scales [0.5, 0.125]. */
    private static Fp8Matrix weights() {
        // 1.0 = field 7 -> 0x38; 2.0 = 0x40; -0.5 = field 6 + sign -> 0xB0; 4.0 = 0x48; 1.5 = 0x38 + mantissa 4 -> 0x3C
        return new Fp8Matrix(FN, 2, 3, bytes(0x38, 0x40, 0xB0, 0x48, 0x00, 0x3C), new float[] {0.5f, 0.125f});
    }

    @Test
    void perTokenQuantizationByHand() {
        Fp8Matrix a = Fp8Reference.quantizePerToken(X, 2, 3, FN);
        // row 0: amax 7, s = 7/448 = 2^-6. x/s = 35 -> between 32 and 36 (step 4): 36 = 1.125 * 2^5 -> 0x61;
        //        -224 = -(1.75 * 2^7) -> 0xF6; 448 -> 0x7E
        // row 1: amax 0.875, s = 0.875/448 = 2^-9. x/s = 216 -> half-way 208 (mantissa 5) / 224 (mantissa 6): 224 -> 0x76;
        //        0 -> 0x00; -448 -> 0xFE
        assertThat(a.scales()).containsExactly(0x1p-6f, 0x1p-9f);
        assertThat(a.codes()).containsExactly(bytes(0x61, 0xF6, 0x7E, 0x76, 0x00, 0xFE));
        assertThat(Fp8Reference.dequantize(a)).containsExactly(0.5625, -3.5, 7.0, 0.4375, 0.0, -0.875);
    }

    @Test
    void ptpcGemmWithTwoTokensByHand() {
        Fp8Matrix a = Fp8Reference.quantizePerToken(X, 2, 3, FN);
        // A_q = [[36, -224, 448], [224, 0, -448]], s_a = [2^-6, 2^-9]; W_q = [[1, 2, -0.5], [4, 0, 1.5]], s_w = [0.5, 0.125]
        // y00 = 2^-6 * 0.5   * (36 - 448 - 224)   = -636 / 128  = -4.96875
        // y01 = 2^-6 * 0.125 * (144 + 0 + 672)   =  816 / 512  =  1.59375
        // y10 = 2^-9 * 0.5   * (224 + 0 + 224)   =  448 / 1024 =  0.4375
        // y11 = 2^-9 * 0.125 * (896 + 0 - 672)   =  224 / 4096 =  0.0546875
        assertThat(Fp8Reference.scaledMm(a, weights())).containsExactly(-4.96875, 1.59375, 0.4375, 0.0546875);
        // + bias [1, -2]
        assertThat(Fp8Reference.scaledMm(a, weights(), new double[] {1.0, -2.0})).containsExactly(-3.96875, -0.40625, 1.4375, -1.9453125);
    }

    @Test
    void perTensorQuantizationByHand() {
        Fp8Matrix a = Fp8Reference.quantizePerTensor(X, 2, 3, Fp8Scaling.of(FN));
        // amax 7 over the tensor: s = 2^-6. Row 1: 0.421875 * 64 = 27 -> half-way 26 (0x5D) / 28 (0x5E): 0x5E;
        // -0.875 * 64 = -56 = -(1.75 * 2^5) -> 0xE6
        assertThat(a.perTensor()).isTrue();
        assertThat(a.scales()).containsExactly(0x1p-6f);
        assertThat(a.codes()).containsExactly(bytes(0x61, 0xF6, 0x7E, 0x5E, 0x00, 0xE6));
        // per-tensor activations times per-channel weights: row 1 = 2^-6 * [0.5 * (28 + 0 + 28), 0.125 * (112 + 0 - 84)]
        assertThat(Fp8Reference.scaledMm(a, weights())).containsExactly(-4.96875, 1.59375, 0.4375, 0.0546875);
    }

    @Test
    void fnuzSaturatesAt240OrAtTheAdjustedMax() {
        // amax 1.875, s = 1.875/240 = 2^-7: 0.9375 -> 120 = 1.875 * 2^6 -> field 14 (bias 8), mantissa 7 -> 0x77; -240 -> 0xFF
        Fp8Matrix a = Fp8Reference.quantizePerToken(new double[] {0.9375, -1.875}, 1, 2, FNUZ);
        assertThat(a.scales()).containsExactly(0x1p-7f);
        assertThat(a.codes()).containsExactly(bytes(0x77, 0xFF));
        // vLLM's HIP kernels map the maximum to 224: s = 3.5/224 = 2^-6; 1.75 -> 112 -> 0x76; -3.5 -> -224 -> 0xFE
        Fp8Matrix adjusted = Fp8Reference.quantizePerToken(new double[] {1.75, -3.5}, 1, 2, Fp8Scaling.of(FNUZ).withQuantizationMax(224));
        assertThat(adjusted.scales()).containsExactly(0x1p-6f);
        assertThat(adjusted.codes()).containsExactly(bytes(0x76, 0xFE));
    }

    @Test
    void allZeroRowGetsTheMinimumScale() {
        Fp8Matrix a = Fp8Reference.quantizePerToken(new double[] {0, 0, 0, 1, -0.0, 2}, 2, 3, FN);
        // 1 / (448 * 512) in fp32 for the zero row; row 1: 2/448 = 1/224
        assertThat(Fp8Scaling.of(FN).minimumScale()).isEqualTo(1.0f / 229376.0f);
        assertThat(a.scales()).containsExactly(1.0f / 229376.0f, 2.0f / 448.0f);
        assertThat(a.code(0, 0)).isZero();
        assertThat(a.code(0, 1)).isZero();
        assertThat(a.code(0, 2)).isZero();
    }

    @Test
    void upperBoundCapsTheScaleAndSaturates() {
        // amax 7 capped at 3.5: s = 3.5/448 = 2^-7. 0.546875 * 128 = 70 -> between 64 and 72 (step 8): 72 -> 0x69;
        // 7 * 128 = 896 -> clamped to 448 -> 0x7E
        Fp8Matrix a = Fp8Reference.quantizePerToken(new double[] {0.546875, 7.0}, 1, 2, Fp8Scaling.of(FN).withUpperBound(3.5f));
        assertThat(a.scales()).containsExactly(0x1p-7f);
        assertThat(a.codes()).containsExactly(bytes(0x69, 0x7E));
        // static scale 0.5: 1 -> 2 -> 0x40; -1000 -> -2000 -> -448 -> 0xFE
        Fp8Matrix b = Fp8Reference.quantizeWithScale(new double[] {1.0, -1000.0}, 1, 2, Fp8Scaling.of(FN), 0.5f);
        assertThat(b.codes()).containsExactly(bytes(0x40, 0xFE));
    }

    @Test
    void normalizationToFnuzByHand() {
        FnuzWeights fnuz = Fp8Reference.normalizeE4m3fnToFnuz(bytes(0x80, 0x38, 0xC6), new float[] {0.5f, 3.0f}, Optional.of(0.25f));
        // -0 (0x80) becomes +0; other bytes stay; scales double. fn 0x38 = 1.0 at 0.5 -> fnuz 0x38 = 0.5 at 1.0
        assertThat(fnuz.weight()).containsExactly(bytes(0x00, 0x38, 0xC6));
        assertThat(fnuz.weightScales()).containsExactly(1.0f, 6.0f);
        assertThat(fnuz.inputScale()).contains(0.5f);
        assertThat(Fp8Reference.normalizeE4m3fnToFnuz(bytes(0x38), new float[] {1f}).inputScale()).isEmpty();
        // The whole PTPC product is unchanged on normalized weights.
        Fp8Matrix a = Fp8Reference.quantizePerToken(X, 2, 3, FN);
        Fp8Matrix w = Fp8Reference.normalizeE4m3fnToFnuz(weights());
        assertThat(w.type()).isEqualTo(FNUZ);
        assertThat(w.scales()).containsExactly(1.0f, 0.25f);
        assertThat(Fp8Reference.scaledMm(a, w)).containsExactly(-4.96875, 1.59375, 0.4375, 0.0546875);
    }

    @Test
    void normalizationKeepsScaleTimesValueForEveryCode() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] all = new byte[256];
        for (int code = 0; code < 256; code++) {
            all[code] = (byte) code;
        }
        for (int trial = 0; trial < 100; trial++) {
            float scale = (float) Math.scalb(random.nextDouble(1, 2), random.nextInt(-40, 40));
            FnuzWeights fnuz = Fp8Reference.normalizeE4m3fnToFnuz(all, new float[] {scale});
            byte[] codes = fnuz.weight();
            float doubled = fnuz.weightScales()[0];
            assertThat(doubled).isEqualTo(scale * 2);
            for (int code = 0; code < 256; code++) {
                if (code == 0x80 || code == 0x7F || code == 0xFF) {
                    continue;
                }
                double before = FN.decode(code) * scale;
                double after = FNUZ.decode(Byte.toUnsignedInt(codes[code])) * doubled;
                assertThat(after).as("seed %d: code 0x%02X at scale %s", seed, code, scale).isEqualTo(before);
            }
            assertThat(codes[0x80]).isZero();
            assertThat(FNUZ.decode(Byte.toUnsignedInt(codes[0x80])) * doubled).isZero();
        }
    }

    @Test
    void quantizedActivationsAreTheNearestCodes() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (Fp8Scaling scaling : new Fp8Scaling[] {Fp8Scaling.of(FN), Fp8Scaling.of(FNUZ), Fp8Scaling.of(FNUZ).withQuantizationMax(224)}) {
            for (int trial = 0; trial < 40; trial++) {
                int m = 1 + random.nextInt(8);
                int k = 1 + random.nextInt(64);
                double magnitude = Math.pow(10, random.nextDouble(-3, 3));
                double[] x = new double[m * k];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Float.float16ToFloat(Float.floatToFloat16((float) (random.nextGaussian() * magnitude)));
                }
                Fp8Matrix a = Fp8Reference.quantizePerToken(x, m, k, scaling);
                for (int row = 0; row < m; row++) {
                    double amax = 0;
                    for (int column = 0; column < k; column++) {
                        amax = Math.max(amax, Math.abs(x[row * k + column]));
                    }
                    float expectedScale = Math.max((float) amax / scaling.quantizationMax(), scaling.minimumScale());
                    String what = "seed " + seed + " " + scaling + " trial " + trial + " row " + row;
                    assertThat(a.scale(row)).as(what + " scale").isEqualTo(expectedScale);
                    for (int column = 0; column < k; column++) {
                        double target = Math.max(-scaling.quantizationMax(), Math.min(scaling.quantizationMax(), x[row * k + column] / (double) a.scale(row)));
                        assertThat(a.code(row, column)).as(what + " column " + column + " x/s = " + target)
                                .isEqualTo(nearestCode(scaling.type(), target));
                    }
                }
            }
        }
    }

    @Test
    void scaledMmMatchesAnExactEvaluation() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 30; trial++) {
            ScalarType type = random.nextBoolean() ? FN : FNUZ;
            int m = 1 + random.nextInt(6);
            int n = 1 + random.nextInt(6);
            int k = 1 + random.nextInt(100);
            Fp8Matrix a = randomMatrix(random, type, m, k, random.nextBoolean());
            Fp8Matrix w = randomMatrix(random, type, n, k, random.nextBoolean());
            double[] bias = random.doubles(n, -4, 4).toArray();
            double[] y = Fp8Reference.scaledMm(a, w, bias);
            for (int row = 0; row < m; row++) {
                for (int column = 0; column < n; column++) {
                    BigDecimal sum = BigDecimal.ZERO;
                    for (int inner = 0; inner < k; inner++) {
                        sum = sum.add(new BigDecimal(a.dequantized(row, inner)).multiply(new BigDecimal(w.dequantized(column, inner))));
                    }
                    double exact = sum.add(new BigDecimal(bias[column])).doubleValue();
                    double tolerance = 2 * Math.ulp(Math.abs(sum.doubleValue()) + Math.abs(bias[column]));
                    assertThat(y[row * n + column]).as("seed %d trial %d: y[%d, %d]", seed, trial, row, column)
                            .isCloseTo(exact, Offset.offset(tolerance));
                }
            }
        }
    }

    @Test
    void rejectsWhatDoesNotFit() {
        Fp8Matrix a = Fp8Reference.quantizePerToken(X, 2, 3, FN);
        assertThatThrownBy(() -> Fp8Reference.scaledMm(a, new Fp8Matrix(FN, 2, 2, new byte[4], new float[] {1f})))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("activations [2, 3] and weights [2, 2] disagree on K; weights are [N, K]");
        assertThatThrownBy(() -> Fp8Reference.scaledMm(a, new Fp8Matrix(FN, 1, 3, bytes(0, 0x7F, 0), new float[] {1f})))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("code 0x7f at [0, 1] is NaN in float8_e4m3fn");
        assertThatThrownBy(() -> Fp8Scaling.of(FNUZ).withQuantizationMax(230))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("quantization max 230.0 must be a positive value of float8_e4m3fnuz no larger than 240.0");
        assertThatThrownBy(() -> new Fp8Matrix(FN, 1, 1, new byte[1], new float[] {0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("scale 0.0 at 0 must be finite and positive");
        assertThatThrownBy(() -> Fp8Reference.quantizePerToken(new double[] {1, Double.NaN}, 1, 2, FN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("x at [0, 1] is NaN; FP8 quantization takes no NaN input");
        assertThatThrownBy(() -> Fp8Reference.normalizeE4m3fnToFnuz(new Fp8Matrix(FNUZ, 1, 1, new byte[1], new float[] {1f})))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("normalization to e4m3fnuz starts from float8_e4m3fn, got float8_e4m3fnuz");
    }

    /** Brute force over all codes: the nearest finite value, ties to the even code, sign applied afterwards. */
    private static int nearestCode(ScalarType type, double value) {
        double magnitude = Math.abs(value);
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int code = 0; code < 0x80; code++) {
            double candidate = type.decode(code);
            if (Double.isNaN(candidate)) {
                continue;
            }
            double distance = Math.abs(candidate - magnitude);
            if (distance < bestDistance || (distance == bestDistance && (code & 1) == 0)) {
                best = code;
                bestDistance = distance;
            }
        }
        boolean noNegativeZero = type.equals(FNUZ);
        return value < 0 || (value == 0 && Double.doubleToRawLongBits(value) < 0) ? (best == 0 && noNegativeZero ? 0 : best | 0x80) : best;
    }

    private static Fp8Matrix randomMatrix(SplittableRandom random, ScalarType type, int rows, int columns, boolean perTensor) {
        byte[] codes = new byte[rows * columns];
        for (int i = 0; i < codes.length; i++) {
            int code;
            do {
                code = random.nextInt(256);
            }
            while (Double.isNaN(type.decode(code)));
            codes[i] = (byte) code;
        }
        float[] scales = new float[perTensor ? 1 : rows];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) random.nextDouble(1e-4, 1);
        }
        return new Fp8Matrix(type, rows, columns, codes, scales);
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }
}
