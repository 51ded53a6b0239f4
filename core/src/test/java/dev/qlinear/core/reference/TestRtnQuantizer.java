package dev.qlinear.core.reference;

import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestRtnQuantizer {

    private static final List<ScalarType> SCALE_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16, ScalarType.FLOAT32);

    @Test
    void symmetricUint4b8GroupTwoByHand() {
        // w[4, 2]; groups are rows {0, 1} and {2, 3}; s = max(|max / 7|, |min / -8|); q = clamp(round(w / s), -8, 7) + 8.
        double[] w = {
                1.75, 0.3,
                -0.9, -4.0,
                0.4375, 0.21875,
                -0.15625, 0.078125};
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4B8, 2).quantize(w, 4, 2);
        // group 0, col 0: max(1.75/7, 0.9/8) = 0.25       -> 1.75/0.25 = 7 -> 15;  -0.9/0.25 = -3.6 -> -4 -> 4
        // group 0, col 1: max(0.3/7, 4/8) = 0.5            -> 0.3/0.5 = 0.6 -> 1 -> 9;  -4/0.5 = -8 -> 0
        // group 1, col 0: max(0.4375/7, 0.15625/8) = 0.0625 -> 7 -> 15;  -0.15625/0.0625 = -2.5 -> -2 (half to even) -> 6
        // group 1, col 1: max(0.21875/7, |0.078125/-8|) = 0.03125 -> 7 -> 15;  0.078125/0.03125 = 2.5 -> 2 -> 10
        assertThat(q.codes()).containsExactly(
                15, 9,
                4, 0,
                15, 15,
                6, 10);
        // fp16: 0.25 = 0x3400, 0.5 = 0x3800, 2^-4 = 0x2C00, 2^-5 = 0x2800
        assertThat(q.scaleBits()).containsExactly(0x3400, 0x3800, 0x2C00, 0x2800);
        assertThat(q.hasZeroPoints()).isFalse();
        assertThat(q.hasActOrder()).isFalse();
        assertThat(ReferenceGemm.dequantize(q)).containsExactly(
                1.75, 0.5,
                -1.0, -4.0,
                0.4375, 0.21875,
                -0.125, 0.0625);
    }

    @Test
    void symmetricCodesUseTheScaleAsStored() {
        // One column, channelwise: s = 1/7, which fp16 stores as 0x3092 = (1 + 146/1024) / 8 = 0.142822265625.
        // w1 = 2.5/7 is exactly 2.5 scales of the unrounded 1/7 (would tie to 2, code 10), but
        // 0.35714285714285715 / 0.142822265625 = 2.50061... rounds to 3 with the stored scale: code 11.
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4B8, -1).quantize(new double[] {1.0, 2.5 / 7}, 2, 1);
        assertThat(q.scaleBits()).containsExactly(0x3092);
        assertThat(q.scale(0, 0)).isEqualTo(0.142822265625);
        assertThat(q.codes()).containsExactly(15, 11);          // 1.0 / 0.142822265625 = 7.0017 -> 7
        assertThat(q.dequantized(1, 0)).isEqualTo(0.428466796875);
    }

    @Test
    void scaleTypesRoundTheScaleDifferently() {
        // w = [1.0, -0.5], channelwise: s = max(1/7, 0.5/8) = 1/7.
        double[] w = {1.0, -0.5};
        // bf16: 1/7 = 1.142857 * 2^-3, mantissa 0.142857 * 128 = 18.29 -> 18: (1 + 18/128) / 8 = 0.142578125, bits 0x3E12.
        // -0.5 / 0.142578125 = -3.507 -> -4 -> 4.
        QuantizedMatrix bf16 = new RtnQuantizer(ScalarType.UINT4B8, -1, ScalarType.BFLOAT16).quantize(w, 2, 1);
        assertThat(bf16.scaleBits()).containsExactly(0x3E12);
        assertThat(bf16.codes()).containsExactly(15, 4);
        // fp32: 2^23 / 7 = 1198372.57 -> 1198373: 0x3E124925, slightly above 1/7, so -0.5 / s = -3.4999998 -> -3 -> 5
        // (the exact 1/7 would give the tie -3.5 -> -4 -> 4).
        QuantizedMatrix fp32 = new RtnQuantizer(ScalarType.UINT4B8, -1, ScalarType.FLOAT32).quantize(w, 2, 1);
        assertThat(fp32.scaleBits()).containsExactly(0x3E124925);
        assertThat(fp32.codes()).containsExactly(15, 5);
    }

    @Test
    void asymmetricUint4ByHand() {
        // w[6, 2], groups of 3 rows. lo = min(min, 0), hi = max(max, 0); s = (hi - lo) / 15; z = round(-lo / s);
        // q = clamp(round(w / s) + z, 0, 15).
        double[] w = {
                -1.25, -0.75,
                2.5, -0.1875,
                0.625, -3.75,
                0.5, 0.0,
                1.875, 0.0,
                0.3125, 0.0};
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4, 3).quantize(w, 6, 2);
        // group 0, col 0: lo -1.25, hi 2.5: s = 3.75/15 = 0.25, z = 5. -5+5 = 0; 10+5 = 15; 0.625/0.25 = 2.5 -> 2, +5 = 7
        // group 0, col 1: all negative, lo -3.75, hi 0: s = 0.25, z = 15. -3+15 = 12; -0.75 -> -1, +15 = 14; -15+15 = 0
        // group 1, col 0: all positive, lo 0, hi 1.875: s = 0.125, z = 0. 4; 15; 0.3125/0.125 = 2.5 -> 2
        // group 1, col 1: all zero: s = 1 (documented), z = 0, codes 0
        assertThat(q.codes()).containsExactly(
                0, 12,
                15, 14,
                7, 0,
                4, 0,
                15, 0,
                2, 0);
        assertThat(q.scaleBits()).containsExactly(0x3400, 0x3400, 0x3000, 0x3C00);
        assertThat(q.zeroPoints()).hasValueSatisfying(zeros -> assertThat(zeros).containsExactly(5, 15, 0, 0));
        assertThat(ReferenceGemm.dequantize(q)).containsExactly(
                -1.25, -0.75,
                2.5, -0.25,
                0.5, -3.75,
                0.5, 0.0,
                1.875, 0.0,
                0.25, 0.0);
    }

    @Test
    void eightBitTypesByHand() {
        // uint8b128: w = [127/64, -0.5]: s = max(1.984375/127, 0.5/128) = 1/64 (fp16 0x2400). 127 + 128 = 255; -32 + 128 = 96.
        QuantizedMatrix symmetric = new RtnQuantizer(ScalarType.UINT8B128, -1).quantize(new double[] {1.984375, -0.5}, 2, 1);
        assertThat(symmetric.scaleBits()).containsExactly(0x2400);
        assertThat(symmetric.codes()).containsExactly(255, 96);
        // uint8: w = [-1, 191/64, 0.5]: s = (2.984375 + 1) / 255 = 1/64, z = 64. 0; 191 + 64 = 255; 32 + 64 = 96.
        QuantizedMatrix asymmetric = new RtnQuantizer(ScalarType.UINT8, -1).quantize(new double[] {-1.0, 2.984375, 0.5}, 3, 1);
        assertThat(asymmetric.scaleBits()).containsExactly(0x2400);
        assertThat(asymmetric.zeroPoints()).hasValueSatisfying(zeros -> assertThat(zeros).containsExactly(64));
        assertThat(asymmetric.codes()).containsExactly(0, 255, 96);
    }

    @Test
    void allZeroGroupGetsScaleOne() {
        // Column 0 is all zero: s = 1 (0x3C00), codes at the bias 8, dequantized exactly 0.
        // Column 1: max(1.75/7, 0.5/8) = 0.25: 7 -> 15, -2 -> 6.
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4B8, -1).quantize(new double[] {0.0, 1.75, 0.0, -0.5}, 2, 2);
        assertThat(q.scaleBits()).containsExactly(0x3C00, 0x3400);
        assertThat(q.codes()).containsExactly(8, 15, 8, 6);
        assertThat(ReferenceGemm.dequantize(q)).containsExactly(0.0, 1.75, 0.0, -0.5);
    }

    @Test
    void scaleThatUnderflowsTheScaleTypeBecomesItsSmallestValue() {
        // s = 7 * 2^-30 / 7 = 2^-30, below half of fp16's smallest subnormal 2^-24: stored as 2^-24 (0x0001);
        // 7 * 2^-30 / 2^-24 = 0.11 -> 0 -> code 8.
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4B8, -1).quantize(new double[] {7 * 0x1p-30}, 1, 1);
        assertThat(q.scaleBits()).containsExactly(0x0001);
        assertThat(q.codes()).containsExactly(8);
    }

    @Test
    void actOrderByHand() {
        // K = 4, G = 2, permutation [2, 0, 3, 1]: positions 0-1 (rows 2, 0) are group 0, positions 2-3 (rows 3, 1) group 1.
        double[] w = {0.5, -8.0, 1.75, 4.0};
        QuantizedMatrix q = new RtnQuantizer(ScalarType.UINT4B8, 2).quantizeActOrder(w, 4, 1, new int[] {2, 0, 3, 1});
        assertThat(q.groupIndex()).hasValueSatisfying(index -> assertThat(index).containsExactly(0, 1, 0, 1));
        // group 0 = {0.5, 1.75}: s = max(1.75/7, 0.5/8) = 0.25 -> 2 -> 10, 7 -> 15
        // group 1 = {-8, 4}: s = max(4/7, 8/8) = 1 -> -8 -> 0, 4 -> 12
        // (without act-order, rows {0, 1} would share s = 1 and 0.5 would round to 0 or 1 scales)
        assertThat(q.scaleBits()).containsExactly(0x3400, 0x3C00);
        assertThat(q.codes()).containsExactly(10, 0, 15, 12);
        assertThat(ReferenceGemm.dequantize(q)).containsExactly(0.5, -8.0, 1.75, 4.0);
    }

    @Test
    void actOrderGroupIndexGivesEveryGroupExactlyGRows() {
        assertThat(RtnQuantizer.actOrderGroupIndex(new int[] {5, 3, 0, 1, 4, 2}, 3)).containsExactly(0, 1, 1, 0, 1, 0);
        assertThat(RtnQuantizer.actOrderGroupIndex(new int[] {1, 0}, -1)).containsExactly(0, 0);
        assertThat(RtnQuantizer.randomPermutation(8, 42)).containsExactly(RtnQuantizer.randomPermutation(8, 42))
                .containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void rejectsBadInput() {
        RtnQuantizer quantizer = new RtnQuantizer(ScalarType.UINT4B8, 32);
        // K=80 in groups of 32 leaves a last group of 16 rows: allowed, three groups
        assertThat(quantizer.quantize(new double[80], 80, 1).groupCount()).isEqualTo(3);
        assertThatThrownBy(() -> new RtnQuantizer(ScalarType.INT4, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got int4");
        assertThatThrownBy(() -> new RtnQuantizer(ScalarType.UINT4, 32, ScalarType.FLOAT8_E4M3FN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("scales must be float16, bfloat16 or float32, got float8_e4m3fn");
        assertThatThrownBy(() -> new RtnQuantizer(ScalarType.UINT4, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("group size must be -1 (channelwise) or positive, got 0");
        assertThatThrownBy(() -> new RtnQuantizer(ScalarType.UINT4, -1).quantize(new double[] {1.0, Double.NaN}, 1, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("weight at [0, 1] is NaN; RTN quantizes finite weights only");
        assertThatThrownBy(() -> new RtnQuantizer(ScalarType.UINT4B8, -1).quantize(new double[] {1e6}, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("scale 142857.14285714287 of group 0, column 0 overflows float16");
        assertThatThrownBy(() -> quantizer.quantizeActOrder(new double[64], 64, 1, RtnQuantizer.randomPermutation(32, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("permutation must have K=64 entries, got 32");
        assertThatThrownBy(() -> RtnQuantizer.actOrderGroupIndex(new int[] {0, 1, 1, 3}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("permutation holds row 1 twice; each row of [0, 4) must appear exactly once");
        assertThatThrownBy(() -> RtnQuantizer.actOrderGroupIndex(new int[] {0, 1, 4, 3}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("permutation entry 4 at position 2 is outside [0, 4)");
    }

    @Test
    void symmetricRtnErrorIsAtMostHalfAScaleAndCodesAreNearest() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 40; trial++) {
            ScalarType weightType = random.nextBoolean() ? ScalarType.UINT4B8 : ScalarType.UINT8B128;
            ScalarType scaleType = SCALE_TYPES.get(random.nextInt(SCALE_TYPES.size()));
            int groupSize = List.of(-1, 1, 2, 8, 16, 32).get(random.nextInt(6));
            int k = (groupSize == -1 ? 1 + random.nextInt(64) : groupSize * (1 + random.nextInt(4)));
            int n = 1 + random.nextInt(24);
            double[] w = randomWeights(random, k, n);
            QuantizedMatrix q = new RtnQuantizer(weightType, groupSize, scaleType).quantize(w, k, n);
            String what = "seed " + seed + " trial " + trial + ": " + weightType + " G=" + groupSize + " " + scaleType + " K=" + k + " N=" + n;
            double minQ = weightType.min();
            double maxQ = weightType.max();
            for (int group = 0; group < q.groupCount(); group++) {
                for (int column = 0; column < n; column++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double min = Double.POSITIVE_INFINITY;
                    for (int row = 0; row < k; row++) {
                        if (q.groupOf(row) == group) {
                            max = Math.max(max, w[row * n + column]);
                            min = Math.min(min, w[row * n + column]);
                        }
                    }
                    double exact = Math.max(Math.abs(max / maxQ), Math.abs(min / minQ));
                    if (!normal(exact, scaleType)) {
                        continue;
                    }
                    assertThat(q.scale(group, column)).as(what + " scale of group %d column %d is the exact scale rounded to nearest", group, column)
                            .isCloseTo(exact, Offset.offset(exact * Math.scalb(1.0, -scaleType.mantissaBits() - 1)));
                }
            }
            for (int row = 0; row < k; row++) {
                for (int column = 0; column < n; column++) {
                    int group = q.groupOf(row);
                    double scale = q.scale(group, column);
                    double value = q.code(row, column) - weightType.bias();
                    double weight = w[row * n + column];
                    String element = what + " element [" + row + ", " + column + "] w=" + weight + " s=" + scale;
                    assertThat(value).as(element).isBetween(minQ, maxQ);
                    double error = Math.abs(weight - value * scale);
                    if (normal(scale, scaleType)) {
                        assertThat(weight / scale).as(element + " lies within the code range").isBetween(minQ - 0.5, maxQ + 0.5);
                        assertThat(error).as(element + " error").isLessThanOrEqualTo(scale / 2);
                    }
                    for (double other : new double[] {value - 1, value + 1}) {
                        if (other >= minQ && other <= maxQ) {
                            assertThat(error).as(element + " is no nearer to code value " + other).isLessThanOrEqualTo(Math.abs(weight - other * scale));
                        }
                    }
                }
            }
        }
    }

    @Test
    void asymmetricRtnReconstructsWithinHalfAScaleInsideTheGrid() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 40; trial++) {
            ScalarType weightType = random.nextBoolean() ? ScalarType.UINT4 : ScalarType.UINT8;
            ScalarType scaleType = SCALE_TYPES.get(random.nextInt(SCALE_TYPES.size()));
            int groupSize = List.of(-1, 2, 4, 16, 32).get(random.nextInt(5));
            int k = (groupSize == -1 ? 1 + random.nextInt(64) : groupSize * (1 + random.nextInt(4)));
            int n = 1 + random.nextInt(24);
            double[] w = randomWeights(random, k, n);
            if (random.nextBoolean()) {
                for (int column = 0; column < n; column++) {
                    w[random.nextInt(k) * n + column] = 0.0;
                }
            }
            if (random.nextInt(4) == 0) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = Math.abs(w[i]);                       // groups of one sign
                }
            }
            QuantizedMatrix q = new RtnQuantizer(weightType, groupSize, scaleType).quantize(w, k, n);
            String what = "seed " + seed + " trial " + trial + ": " + weightType + " G=" + groupSize + " " + scaleType + " K=" + k + " N=" + n;
            double maxQ = weightType.max();
            // The grid's ends can miss the range by maxQ times the scale's rounding error.
            double slack = 0.5 + maxQ * Math.scalb(1.0, -scaleType.mantissaBits() - 1) * 1.01;
            for (int row = 0; row < k; row++) {
                for (int column = 0; column < n; column++) {
                    int group = q.groupOf(row);
                    double scale = q.scale(group, column);
                    int zero = q.zeroPoint(group, column);
                    int code = q.code(row, column);
                    double weight = w[row * n + column];
                    String element = what + " element [" + row + ", " + column + "] w=" + weight + " s=" + scale + " z=" + zero + " q=" + code;
                    assertThat(zero).as(element).isBetween(0, (int) maxQ);
                    assertThat(code).as(element).isBetween(0, (int) maxQ);
                    double error = Math.abs(weight - (code - zero) * scale);
                    for (int other : new int[] {code - 1, code + 1}) {
                        if (other >= 0 && other <= maxQ) {
                            assertThat(error).as(element + " is no nearer to code " + other).isLessThanOrEqualTo(Math.abs(weight - (other - zero) * scale));
                        }
                    }
                    if (weight >= (-zero - 0.5) * scale && weight <= (maxQ - zero + 0.5) * scale) {
                        assertThat(error).as(element + " error inside the grid").isLessThanOrEqualTo(scale / 2);
                    }
                    if (normal(scale, scaleType)) {
                        assertThat(error).as(element + " error").isLessThanOrEqualTo(scale * slack);
                    }
                    if (weight == 0) {
                        assertThat(code).as(element + " zero is exact").isEqualTo(zero);
                    }
                }
            }
        }
    }

    @Test
    void actOrderEqualsQuantizingThePermutedRows() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 30; trial++) {
            ScalarType weightType = List.of(ScalarType.UINT4B8, ScalarType.UINT4, ScalarType.UINT8B128, ScalarType.UINT8).get(random.nextInt(4));
            int groupSize = List.of(1, 2, 4, 8, 16).get(random.nextInt(5));
            int k = groupSize * (1 + random.nextInt(6));
            int n = 1 + random.nextInt(16);
            int[] permutation = RtnQuantizer.randomPermutation(k, random.nextLong());
            double[] w = randomWeights(random, k, n);
            double[] permuted = new double[k * n];
            for (int position = 0; position < k; position++) {
                System.arraycopy(w, permutation[position] * n, permuted, position * n, n);
            }
            RtnQuantizer quantizer = new RtnQuantizer(weightType, groupSize);
            QuantizedMatrix actOrder = quantizer.quantizeActOrder(w, k, n, permutation);
            QuantizedMatrix plain = quantizer.quantize(permuted, k, n);
            String what = "seed " + seed + " trial " + trial + ": " + weightType + " G=" + groupSize + " K=" + k + " N=" + n;
            int[] members = new int[k / groupSize];
            for (int position = 0; position < k; position++) {
                int row = permutation[position];
                assertThat(actOrder.groupOf(row)).as(what + " group of row " + row).isEqualTo(position / groupSize);
                members[actOrder.groupOf(row)]++;
                for (int column = 0; column < n; column++) {
                    assertThat(actOrder.code(row, column)).as(what + " code [" + row + ", " + column + "]").isEqualTo(plain.code(position, column));
                }
            }
            assertThat(members).as(what + " group sizes").containsOnly(groupSize);
            assertThat(actOrder.scaleBits()).as(what).containsExactly(plain.scaleBits());
            assertThat(actOrder.zeroPoints().orElse(new int[0])).as(what).containsExactly(plain.zeroPoints().orElse(new int[0]));
        }
    }

    @Test
    void quotientRoundingIsExactHalfToEven() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 20_000; i++) {
            double denominator = FloatCodec.FLOAT16.decode(0x0400 + random.nextInt(0x7800));   // a positive normal fp16
            double numerator = switch (i % 3) {
                case 0 -> random.nextDouble(-300, 300) * denominator;
                case 1 -> (random.nextInt(-300, 300) + 0.5) * denominator;                     // an exact tie
                default -> (random.nextBoolean() ? Math.nextUp((random.nextInt(-300, 300) + 0.5) * denominator)
                        : Math.nextDown((random.nextInt(-300, 300) + 0.5) * denominator));   // one ulp off a tie
            };
            BigDecimal exact = new BigDecimal(numerator).divide(new BigDecimal(denominator), new MathContext(120, RoundingMode.HALF_EVEN))
                    .setScale(0, RoundingMode.HALF_EVEN);
            assertThat(RtnQuantizer.roundHalfEvenQuotient(numerator, denominator)).as("seed %d: round(%s / %s)", seed, numerator, denominator)
                    .isEqualTo(exact.doubleValue());
        }
        assertThat(RtnQuantizer.roundHalfEvenQuotient(2.5, 1)).isEqualTo(2);
        assertThat(RtnQuantizer.roundHalfEvenQuotient(-2.5, 1)).isEqualTo(-2);
        assertThat(RtnQuantizer.roundHalfEvenQuotient(3.5, 1)).isEqualTo(4);
    }

    private static double[] randomWeights(SplittableRandom random, int k, int n) {
        double magnitude = Math.pow(10, random.nextDouble(-1, 2));
        double[] w = new double[k * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian() * magnitude;
        }
        return w;
    }

    /** Scales below twice the smallest normal carry a large relative rounding error; the bounds do not apply. */
    private static boolean normal(double scale, ScalarType scaleType) {
        return scale >= Math.scalb(2.0, 1 - scaleType.exponentBias());
    }
}
