package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * A weight-only quantized layer (GPTQ, AWQ, compressed-tensors {@code pack-quantized}): integer weights with
 * per-group scales along K, 16-bit activations.
 *
 * @param fullShape K x N of the unsharded layer
 * @param partitionShape K x N on this tensor-parallel rank; a smaller K means row-parallel, a smaller N column-parallel
 * @param weightType integer weight type, such as {@link ScalarType#UINT4B8} (symmetric GPTQ) or {@link ScalarType#UINT4} with zero points
 * @param activationType activation type, usually fp16 or bf16
 * @param groupSize length along K of a group sharing one scale; {@link #CHANNELWISE} (-1) for one group per output channel.
 *        On an unsharded layer it need not divide K: the last group is then shorter (GPTQ's {@code ceil(K / G)} groups,
 *        as for K=2112 with groups of 128); a row-parallel partition must hold whole groups
 * @param zeroPoints whether explicit per-group zero points are stored (only for weight types without a bias)
 * @param actOrder whether a GPTQ act-order group index ({@code g_idx}) maps each input row to its group
 * @param outputType element type of the output
 */
public record WeightOnlyConfig(
        LayerShape fullShape,
        LayerShape partitionShape,
        ScalarType weightType,
        ScalarType activationType,
        int groupSize,
        boolean zeroPoints,
        boolean actOrder,
        ScalarType outputType) implements LayerConfig {

    /** The group size meaning "one group spanning all of K". */
    public static final int CHANNELWISE = -1;

    public WeightOnlyConfig {
        requireNonNull(fullShape, "fullShape is null");
        requireNonNull(partitionShape, "partitionShape is null");
        requireNonNull(weightType, "weightType is null");
        requireNonNull(activationType, "activationType is null");
        requireNonNull(outputType, "outputType is null");
        if (partitionShape.k() > fullShape.k() || fullShape.k() % partitionShape.k() != 0) {
            throw new IllegalArgumentException("partition K=" + partitionShape.k() + " must divide full K=" + fullShape.k());
        }
        if (partitionShape.n() > fullShape.n() || fullShape.n() % partitionShape.n() != 0) {
            throw new IllegalArgumentException("partition N=" + partitionShape.n() + " must divide full N=" + fullShape.n());
        }
        if (!weightType.isInteger()) {
            throw new IllegalArgumentException("weight type of a weight-only layer must be an integer type, got " + weightType);
        }
        if (!activationType.isFloatingPoint()) {
            throw new IllegalArgumentException("activation type of a weight-only layer must be a floating-point type, got " + activationType);
        }
        if (groupSize != CHANNELWISE && groupSize < 1) {
            throw new IllegalArgumentException("group size must be -1 (channelwise) or positive, got " + groupSize);
        }
        if (groupSize > 0 && groupSize != fullShape.k() && partitionShape.k() != fullShape.k() && partitionShape.k() % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide K=" + partitionShape.k() + " of this partition (full K="
                    + fullShape.k() + "): a tensor-parallel rank must hold whole groups");
        }
        if (zeroPoints && weightType.hasBias()) {
            throw new IllegalArgumentException("zero points cannot be combined with weight type " + weightType
                    + ", whose bias " + weightType.bias() + " already is the zero point; use " + (weightType.sizeBits() == 4 ? "uint4" : "uint8"));
        }
    }

    /** An unsharded layer. */
    public static WeightOnlyConfig unsharded(int k, int n, ScalarType weightType, ScalarType activationType, int groupSize, boolean zeroPoints, boolean actOrder) {
        LayerShape shape = new LayerShape(k, n);
        return new WeightOnlyConfig(shape, shape, weightType, activationType, groupSize, zeroPoints, actOrder, activationType);
    }

    @Override
    public LayerKind kind() {
        return LayerKind.WEIGHT_ONLY;
    }

    @Override
    public int k() {
        return partitionShape.k();
    }

    @Override
    public int n() {
        return partitionShape.n();
    }

    /** One group spans all of K: group size -1 or the full K. */
    public boolean isChannelwise() {
        return groupSize == CHANNELWISE || groupSize == fullShape.k();
    }

    /** K is split across ranks (row-parallel layer). */
    public boolean isRowParallel() {
        return partitionShape.k() != fullShape.k();
    }

    /** Whether this rank sees every group of K, which act-order combined with row-parallel breaks (Marlin's {@code is_k_full}). */
    public boolean isKFull() {
        return !(actOrder && isRowParallel());
    }

    /** Groups along this partition's K, the last one partial where the group size does not divide K. */
    public int groupCount() {
        return isChannelwise() ? 1 : (k() + groupSize - 1) / groupSize;
    }

    /** The last group is shorter than the others: the group size does not divide K. */
    public boolean hasPartialGroup() {
        return !isChannelwise() && k() % groupSize != 0;
    }
}
