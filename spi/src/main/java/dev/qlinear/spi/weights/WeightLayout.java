package dev.qlinear.spi.weights;

import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * What the bytes of a weight-only layer's tensors mean, stated rather than guessed from shapes. The logical weight
 * is {@code W[K, N]} of codes in {@link #weightType()}, with groups of {@link #groupSize()} rows along K sharing a
 * scale (and a zero point).
 *
 * <p>A checkpoint stores the codes in int32 words as a 2-D tensor whose rows run along {@link #rowDimension()} and
 * whose words pack consecutive codes along {@link #packedDimension()}: GPTQ {@code qweight [K/8, N]} is (K, K),
 * AWQ {@code qweight [K, N/8]} is (K, N) with the AWQ slot order, compressed-tensors {@code weight_packed [N, K/8]}
 * is (N, K).
 *
 * <p>The {@linkplain #canonical canonical} layout, the one every kernel's {@code prepare} receives: codes packed
 * along K into int32 words {@code [ceil(K / pf), N]}, sequential slots (row {@code pf * r + i} of column n in slot i of
 * word (r, n), LSB first; a partial last word is padded with zero codes), zero points unpacked true values
 * {@code [groups, N]} (uint8), scales {@code [groups, N]}, act-order group index {@code [K]} int32.
 *
 * @param weightType the code type, such as {@link ScalarType#UINT4B8}
 * @param k input features K
 * @param n output features N
 * @param groupSize rows per group along K; -1 for one group (channelwise)
 * @param rowDimension the logical dimension the tensor's rows run along
 * @param packedDimension the dimension whose consecutive codes share a word
 * @param slotOrder the order of codes inside a word
 * @param zeroPoints what stored zero points mean
 * @param actOrder whether a group index maps rows to groups (GPTQ {@code desc_act})
 */
public record WeightLayout(
        ScalarType weightType,
        int k,
        int n,
        int groupSize,
        WeightDimension rowDimension,
        WeightDimension packedDimension,
        SlotOrder slotOrder,
        ZeroPointConvention zeroPoints,
        boolean actOrder) {

    public WeightLayout {
        requireNonNull(weightType, "weightType is null");
        requireNonNull(rowDimension, "rowDimension is null");
        requireNonNull(packedDimension, "packedDimension is null");
        requireNonNull(slotOrder, "slotOrder is null");
        requireNonNull(zeroPoints, "zeroPoints is null");
        if (!weightType.isInteger() || (weightType.sizeBits() != 4 && weightType.sizeBits() != 8)) {
            throw new IllegalArgumentException("packed weights hold 4- or 8-bit integer codes, got " + weightType);
        }
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("K and N must be positive, got K=" + k + " N=" + n);
        }
        if (groupSize != -1 && groupSize < 1) {
            throw new IllegalArgumentException("group size " + groupSize + " must be -1 or positive (a last group shorter than the others is allowed)");
        }
        if (slotOrder == SlotOrder.AWQ_INTERLEAVED && weightType.sizeBits() != 4) {
            throw new IllegalArgumentException("the AWQ interleave is defined for 4-bit codes, got " + weightType);
        }
        if (zeroPoints != ZeroPointConvention.NONE && weightType.hasBias()) {
            throw new IllegalArgumentException("weight type " + weightType + " has its zero point in its bias; stored zero points need a type without bias");
        }
    }

    /** The canonical layout of a layer. */
    public static WeightLayout canonical(ScalarType weightType, int k, int n, int groupSize, boolean zeroPoints, boolean actOrder) {
        return new WeightLayout(weightType, k, n, groupSize, WeightDimension.K, WeightDimension.K, SlotOrder.SEQUENTIAL,
                zeroPoints ? ZeroPointConvention.TRUE_VALUE : ZeroPointConvention.NONE, actOrder);
    }

    /** Codes per 32-bit word: 8 for 4-bit, 4 for 8-bit. */
    public int packFactor() {
        return 32 / weightType.sizeBits();
    }

    /** Groups along K. */
    public int groupCount() {
        return groupSize == -1 ? 1 : (k + groupSize - 1) / groupSize;
    }

    public boolean hasZeroPoints() {
        return zeroPoints != ZeroPointConvention.NONE;
    }

    /** Whether this is the canonical layout. */
    public boolean isCanonical() {
        return rowDimension == WeightDimension.K && packedDimension == WeightDimension.K && slotOrder == SlotOrder.SEQUENTIAL && zeroPoints != ZeroPointConvention.STORED_MINUS_ONE;
    }
}
