package dev.qlinear.core.reference;

import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static java.util.Objects.requireNonNull;

/**
 * Round-to-nearest (RTN) weight quantization to a GPTQ-style {@link QuantizedMatrix}: the reference quantizer of
 * the conformance suite (vLLM {@code quantize_weights}, KERNELS.md §7.1). Weights are {@code w[K, N]}, row-major;
 * each (group, column) gets one scale, and for the asymmetric types one zero point.
 *
 * <p><b>Symmetric</b> ({@code uint4b8}, {@code uint8b128}; the bias is the zero point): with {@code (min_q, max_q)}
 * the value range of the type ((-8, 7) or (-128, 127)) and {@code min}, {@code max} the group's extremes,
 * {@code s = max(|max / max_q|, |min / min_q|)} and {@code q = clamp(round(w / s), min_q, max_q) + bias}.
 *
 * <p><b>Asymmetric</b> ({@code uint4}, {@code uint8} with zero points): {@code s = (hi - lo) / max_q},
 * {@code z = clamp(round(-lo / s), 0, max_q)}, {@code q = clamp(round(w / s) + z, 0, max_q)}, where
 * {@code lo = min(min, 0)} and {@code hi = max(max, 0)}: like GPTQ, the range always includes 0, so a group of one
 * sign still spans its values, {@code z} needs no clamping, and 0 dequantizes to exactly 0. For a group holding
 * both signs this is the plain {@code (max - min) / max_q}.
 *
 * <p>Every scale is rounded (nearest-even) to the scale type <em>before</em> the codes are computed, and the codes
 * and zero points use that stored scale, so {@link QuantizedMatrix#dequantized(int, int)} is what the codes were
 * chosen for. {@code round} is round half to even, computed exactly (not from a rounded quotient). Scales are
 * computed in double and rounded once to the scale type.
 *
 * <p>Degenerate groups: an all-zero group gets scale 1 (codes at the zero point, dequantizing to exactly 0; 1 is
 * exact in every scale type and keeps kernels away from subnormal scales). A non-zero group whose scale rounds to 0
 * in the scale type gets the type's smallest positive value. A scale that overflows the scale type is an error.
 *
 * <p>Act-order ({@link #quantizeActOrder}): rows are visited in a given permutation and the j-th block of
 * {@code G} permuted rows forms group j (KERNELS.md §5.2), so every group has exactly {@code G} rows; codes stay at
 * their original rows and {@code g_idx} records each row's group.
 *
 * @param weightType {@code uint4b8}, {@code uint8b128} (symmetric) or {@code uint4}, {@code uint8} (asymmetric)
 * @param groupSize rows per group along K, or -1 for channelwise (one group)
 * @param scaleType fp16, bf16 or fp32
 */
public record RtnQuantizer(ScalarType weightType, int groupSize, ScalarType scaleType) {

    private static final List<ScalarType> WEIGHT_TYPES = List.of(ScalarType.UINT4B8, ScalarType.UINT8B128, ScalarType.UINT4, ScalarType.UINT8);
    private static final List<ScalarType> SCALE_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16, ScalarType.FLOAT32);

    public RtnQuantizer {
        requireNonNull(weightType, "weightType is null");
        requireNonNull(scaleType, "scaleType is null");
        if (!WEIGHT_TYPES.contains(weightType)) {
            throw new IllegalArgumentException("RTN quantizes to uint4b8 or uint8b128 (symmetric) or uint4 or uint8 (asymmetric), got " + weightType);
        }
        if (groupSize != -1 && groupSize < 1) {
            throw new IllegalArgumentException("group size must be -1 (channelwise) or positive, got " + groupSize);
        }
        if (!SCALE_TYPES.contains(scaleType)) {
            throw new IllegalArgumentException("scales must be float16, bfloat16 or float32, got " + scaleType);
        }
    }

    /** A quantizer with fp16 scales. */
    public RtnQuantizer(ScalarType weightType, int groupSize) {
        this(weightType, groupSize, ScalarType.FLOAT16);
    }

    /** Whether the type's bias is the zero point (no explicit zero points). */
    public boolean symmetric() {
        return weightType.hasBias();
    }

    /**
     * Quantizes {@code w[K, N]} with groups of consecutive rows ({@code g(k) = k div G}).
     *
     * @throws IllegalArgumentException if the array does not hold K·N finite
     *         values, or a scale overflows the scale type
     */
    public QuantizedMatrix quantize(double[] weights, int k, int n) {
        checkShape(weights, k, n);
        int[] groupOfRow = new int[k];
        for (int row = 0; row < k; row++) {
            groupOfRow[row] = groupSize == -1 ? 0 : row / groupSize;
        }
        return quantize(weights, k, n, groupOfRow, Optional.empty());
    }

    /**
     * Quantizes {@code w[K, N]} in act-order: position j of the permutation names the j-th row visited, and the
     * rows at positions {@code [jG, (j+1)G)} form group j. The result carries {@code g_idx}. With group size -1
     * every row is in group 0.
     *
     * @param permutation each row of {@code [0, K)} exactly once
     */
    public QuantizedMatrix quantizeActOrder(double[] weights, int k, int n, int[] permutation) {
        checkShape(weights, k, n);
        requireNonNull(permutation, "permutation is null");
        if (permutation.length != k) {
            throw new IllegalArgumentException("permutation must have K=" + k + " entries, got " + permutation.length);
        }
        int[] groupIndex = actOrderGroupIndex(permutation, groupSize);
        return quantize(weights, k, n, groupIndex, Optional.of(groupIndex));
    }

    /**
     * The act-order group index of a permutation: {@code g_idx[permutation[j]] = j div G} (0 for group size -1).
     *
     * @throws IllegalArgumentException if the array is not a permutation of {@code [0, K)}
     */
    public static int[] actOrderGroupIndex(int[] permutation, int groupSize) {
        requireNonNull(permutation, "permutation is null");
        int k = permutation.length;
        if (k == 0) {
            throw new IllegalArgumentException("permutation is empty; K must be positive");
        }
        if (groupSize != -1 && groupSize < 1) {
            throw new IllegalArgumentException("group size must be -1 (channelwise) or positive, got " + groupSize);
        }
        int[] groupIndex = new int[k];
        boolean[] seen = new boolean[k];
        for (int position = 0; position < k; position++) {
            int row = permutation[position];
            if (row < 0 || row >= k) {
                throw new IllegalArgumentException("permutation entry " + row + " at position " + position + " is outside [0, " + k + ")");
            }
            if (seen[row]) {
                throw new IllegalArgumentException("permutation holds row " + row + " twice; each row of [0, " + k + ") must appear exactly once");
            }
            seen[row] = true;
            groupIndex[row] = groupSize == -1 ? 0 : position / groupSize;
        }
        return groupIndex;
    }

    /**
     * A uniformly random permutation of {@code [0, K)} (Fisher-Yates over {@link Random}, whose algorithm the JDK
     * specifies, so a seed gives the same permutation on every JDK).
     */
    public static int[] randomPermutation(int k, long seed) {
        if (k < 1) {
            throw new IllegalArgumentException("K must be positive, got " + k);
        }
        int[] permutation = new int[k];
        for (int i = 0; i < k; i++) {
            permutation[i] = i;
        }
        Random random = new Random(seed);
        for (int i = k - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = swap;
        }
        return permutation;
    }

    private void checkShape(double[] weights, int k, int n) {
        requireNonNull(weights, "weights is null");
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("K and N must be positive, got K=" + k + " N=" + n);
        }
        if (weights.length != (long) k * n) {
            throw new IllegalArgumentException("weights must hold K*N=" + (long) k * n + " values, got " + weights.length);
        }

        for (int i = 0; i < weights.length; i++) {
            if (!Double.isFinite(weights[i])) {
                throw new IllegalArgumentException("weight at [" + i / n + ", " + i % n + "] is " + weights[i] + "; RTN quantizes finite weights only");
            }
        }
    }

    private QuantizedMatrix quantize(double[] weights, int k, int n, int[] groupOfRow, Optional<int[]> groupIndex) {
        int groups = groupSize == -1 ? 1 : (k + groupSize - 1) / groupSize;
        boolean symmetric = symmetric();
        double[] low = new double[groups * n];
        double[] high = new double[groups * n];
        if (symmetric) {
            Arrays.fill(low, Double.POSITIVE_INFINITY);
            Arrays.fill(high, Double.NEGATIVE_INFINITY);
        }
        for (int row = 0; row < k; row++) {
            int base = groupOfRow[row] * n;
            for (int column = 0; column < n; column++) {
                double w = weights[row * n + column];
                low[base + column] = Math.min(low[base + column], w);
                high[base + column] = Math.max(high[base + column], w);
            }
        }

        FloatCodec scaleCodec = FloatCodec.of(scaleType);
        double minQ = weightType.min();
        double maxQ = weightType.max();
        int[] scaleBits = new int[groups * n];
        double[] scales = new double[groups * n];
        int[] zeros = new int[symmetric ? 0 : groups * n];
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                int at = group * n + column;
                double scale = symmetric
                        ? Math.max(Math.abs(high[at] / maxQ), Math.abs(low[at] / minQ))
                        : (high[at] - low[at]) / maxQ;
                scaleBits[at] = storedScaleBits(scaleCodec, scale, group, column);
                scales[at] = scaleCodec.decode(scaleBits[at]);
                if (!symmetric) {
                    zeros[at] = (int) clamp(roundHalfEvenQuotient(-low[at], scales[at]), 0, maxQ);
                }
            }
        }

        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            int base = groupOfRow[row] * n;
            for (int column = 0; column < n; column++) {
                double scale = scales[base + column];
                double rounded = roundHalfEvenQuotient(weights[row * n + column], scale);
                codes[row * n + column] = symmetric
                        ? (int) clamp(rounded, minQ, maxQ) + weightType.bias()
                        : (int) clamp(rounded + zeros[base + column], 0, maxQ);
            }
        }
        return new QuantizedMatrix(weightType, k, n, groupSize, scaleType, codes, scaleBits,
                symmetric ? Optional.empty() : Optional.of(zeros), groupIndex);
    }

    private int storedScaleBits(FloatCodec codec, double scale, int group, int column) {
        if (scale == 0) {
            return codec.encode(1.0);
        }
        int bits = codec.encode(scale);
        double stored = codec.decode(bits);
        if (Double.isInfinite(stored)) {
            throw new IllegalArgumentException("scale " + scale + " of group " + group + ", column " + column + " overflows "
                    + scaleType + " (largest " + codec.max() + "); the weights are too large for " + weightType + " with " + scaleType + " scales");
        }
        if (stored == 0) {
            return codec.encode(codec.minSubnormal());
        }
        return bits;
    }

    private static double clamp(double value, double min, double max) {
        return Math.max(min, Math.min(max, value));
    }

    /**
     * {@code round(numerator / denominator)}, half to even, for {@code denominator > 0}, exactly: the rounded
     * double quotient is corrected with the exact remainder, which {@code fma} gives without rounding here.
     */
    static double roundHalfEvenQuotient(double numerator, double denominator) {
        double q = Math.rint(numerator / denominator);
        double twiceRemainder = 2 * Math.fma(-q, denominator, numerator);
        boolean odd = Math.abs(q) % 2 == 1;
        if (twiceRemainder > denominator || (twiceRemainder == denominator && odd)) {
            return q + 1;
        }
        if (twiceRemainder < -denominator || (twiceRemainder == -denominator && odd)) {
            return q - 1;
        }
        return q;
    }
}
