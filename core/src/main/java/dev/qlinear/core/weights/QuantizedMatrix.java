package dev.qlinear.core.weights;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A weight-only quantized weight in its plainest logical form, on the heap: one stored code per element of
 * {@code W[K, N]}, raw scale bits per (group, column), true zero points, and the act-order group of each row.
 * It is the meeting point of the quantizer, the format adapters and the reference math; tensors for kernels are
 * made from it in the canonical packed layout.
 */
public final class QuantizedMatrix {

    private final ScalarType weightType;
    private final int k;
    private final int n;
    private final int groupSize;
    private final ScalarType scaleType;
    private final int[] codes;
    private final int[] scaleBits;
    private final int[] zeroPoints;
    private final int[] groupIndex;

    /**
     * @param weightType the code type: codes are stored values, value = code - bias - zero
     * @param k rows (input features)
     * @param n columns (output features)
     * @param groupSize rows per group, -1 for channelwise
     * @param scaleType fp16, bf16 or fp32
     * @param codes stored codes, row-major {@code [K, N]}
     * @param scaleBits raw bit patterns of the scales in {@code scaleType}, row-major {@code [groups, N]}
     * @param zeroPoints true zero points {@code [groups, N]}, or empty for a type whose bias is its zero point
     * @param groupIndex the group of each row (act-order), or empty for {@code k / groupSize}
     */
    public QuantizedMatrix(ScalarType weightType, int k, int n, int groupSize, ScalarType scaleType, int[] codes, int[] scaleBits,
            Optional<int[]> zeroPoints, Optional<int[]> groupIndex) {
        this.weightType = requireNonNull(weightType, "weightType is null");
        this.scaleType = requireNonNull(scaleType, "scaleType is null");
        this.k = k;
        this.n = n;
        this.groupSize = groupSize;
        if (!weightType.isInteger() || weightType.signed()) {
            throw new IllegalArgumentException("codes must be of an unsigned integer type, got " + weightType);
        }
        if (!scaleType.equals(ScalarType.FLOAT16) && !scaleType.equals(ScalarType.BFLOAT16) && !scaleType.equals(ScalarType.FLOAT32)) {
            throw new IllegalArgumentException("scales must be float16, bfloat16 or float32, got " + scaleType);
        }
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("K and N must be positive, got K=" + k + " N=" + n);
        }
        if (groupSize != -1 && groupSize < 1) {
            throw new IllegalArgumentException("group size must be -1 (channelwise) or positive, got " + groupSize);
        }
        int groups = groupSize == -1 ? 1 : (k + groupSize - 1) / groupSize;
        this.codes = checkLength(codes, (long) k * n, "codes").clone();
        this.scaleBits = checkLength(scaleBits, (long) groups * n, "scale bits").clone();
        this.zeroPoints = requireNonNull(zeroPoints, "zeroPoints is null").map(zeros -> checkLength(zeros, (long) groups * n, "zero points").clone()).orElse(null);
        this.groupIndex = requireNonNull(groupIndex, "groupIndex is null").map(index -> checkLength(index, k, "group index").clone()).orElse(null);
        int maxCode = (1 << weightType.sizeBits()) - 1;
        for (int i = 0; i < this.codes.length; i++) {
            if (this.codes[i] < 0 || this.codes[i] > maxCode) {
                throw new IllegalArgumentException("code " + this.codes[i] + " at [" + i / n + ", " + i % n + "] is outside [0, " + maxCode + "] of " + weightType);
            }
        }
        if (this.zeroPoints != null) {
            if (weightType.hasBias()) {
                throw new IllegalArgumentException(weightType + " has its zero point in its bias; explicit zero points need uint4 or uint8");
            }
            for (int zero : this.zeroPoints) {
                if (zero < 0 || zero > maxCode) {
                    throw new IllegalArgumentException("zero point " + zero + " is outside [0, " + maxCode + "] of " + weightType);
                }
            }
        }
        if (this.groupIndex != null) {
            for (int row = 0; row < k; row++) {
                if (this.groupIndex[row] < 0 || this.groupIndex[row] >= groups) {
                    throw new IllegalArgumentException("group index " + this.groupIndex[row] + " of row " + row + " is outside [0, " + groups + ")");
                }
            }
        }
    }

    private static int[] checkLength(int[] values, long expected, String what) {
        requireNonNull(values, what + " is null");
        if (values.length != expected) {
            throw new IllegalArgumentException(what + " must have " + expected + " entries, got " + values.length);
        }
        return values;
    }

    public ScalarType weightType() {
        return weightType;
    }

    public int k() {
        return k;
    }

    public int n() {
        return n;
    }

    public int groupSize() {
        return groupSize;
    }

    public int groupCount() {
        return groupSize == -1 ? 1 : (k + groupSize - 1) / groupSize;
    }

    public ScalarType scaleType() {
        return scaleType;
    }

    public boolean hasZeroPoints() {
        return zeroPoints != null;
    }

    public boolean hasActOrder() {
        return groupIndex != null;
    }

    /** The stored code of element (row, column). */
    public int code(int row, int column) {
        return codes[row * n + column];
    }

    /** The raw bits of the scale of (group, column). */
    public int scaleBits(int group, int column) {
        return scaleBits[group * n + column];
    }

    /** The exact value of the scale of (group, column). */
    public double scale(int group, int column) {
        return scaleType.decode(scaleBits(group, column));
    }

    /** The zero point of (group, column): the explicit one, or the type's bias. */
    public int zeroPoint(int group, int column) {
        return zeroPoints != null ? zeroPoints[group * n + column] : weightType.bias();
    }

    /** The group of a row: from the act-order index, or {@code row / groupSize}. */
    public int groupOf(int row) {
        if (groupIndex != null) {
            return groupIndex[row];
        }
        return groupSize == -1 ? 0 : row / groupSize;
    }

    /** {@code (code - zero) * scale}, exactly. */
    public double dequantized(int row, int column) {
        int group = groupOf(row);
        return (code(row, column) - zeroPoint(group, column)) * scale(group, column);
    }

    public int[] codes() {
        return codes.clone();
    }

    public int[] scaleBits() {
        return scaleBits.clone();
    }

    public Optional<int[]> zeroPoints() {
        return Optional.ofNullable(zeroPoints).map(int[]::clone);
    }

    public Optional<int[]> groupIndex() {
        return Optional.ofNullable(groupIndex).map(int[]::clone);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof QuantizedMatrix that
                && weightType.equals(that.weightType) && k == that.k && n == that.n && groupSize == that.groupSize && scaleType.equals(that.scaleType)
                && Arrays.equals(codes, that.codes) && Arrays.equals(scaleBits, that.scaleBits)
                && Arrays.equals(zeroPoints, that.zeroPoints) && Arrays.equals(groupIndex, that.groupIndex);
    }

    @Override
    public int hashCode() {
        return ((31 * weightType.hashCode() + k) * 31 + n) * 31 + Arrays.hashCode(codes);
    }

    @Override
    public String toString() {
        return "QuantizedMatrix[" + weightType + " K=" + k + " N=" + n + " group " + groupSize + ", scales " + scaleType
                + (zeroPoints != null ? ", zero points" : "") + (groupIndex != null ? ", act-order" : "") + "]";
    }
}
