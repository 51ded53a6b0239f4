package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What a weight-only kernel declares.
 *
 * @param weightTypes accepted integer weight types
 * @param activationTypes accepted activation types
 * @param outputTypes accepted output types
 * @param groupSizes accepted group sizes; {@link WeightOnlyConfig#CHANNELWISE} (-1) covers channelwise layers
 * @param zeroPoints whether explicit zero points are supported
 * @param actOrder whether act-order ({@code g_idx}) is supported
 * @param kAlignment required divisor of the partition's K
 * @param nAlignment required divisor of the partition's N
 * @param partialLastGroup whether a group size that does not divide K (a shorter last group) is supported; layers
 *        with one are refused by the engine otherwise (since SPI 1.2.0; kernels built before declare none)
 */
public record WeightOnlyCapabilities(
        Set<ScalarType> weightTypes,
        Set<ScalarType> activationTypes,
        Set<ScalarType> outputTypes,
        Set<Integer> groupSizes,
        boolean zeroPoints,
        boolean actOrder,
        int kAlignment,
        int nAlignment,
        boolean partialLastGroup) implements KernelCapabilities {

    public WeightOnlyCapabilities {
        weightTypes = Set.copyOf(requireNonNull(weightTypes, "weightTypes is null"));
        activationTypes = Set.copyOf(requireNonNull(activationTypes, "activationTypes is null"));
        outputTypes = Set.copyOf(requireNonNull(outputTypes, "outputTypes is null"));
        groupSizes = Set.copyOf(requireNonNull(groupSizes, "groupSizes is null"));
        requireNonEmpty(weightTypes, "weightTypes");
        requireNonEmpty(activationTypes, "activationTypes");
        requireNonEmpty(outputTypes, "outputTypes");
        requireNonEmpty(groupSizes, "groupSizes");
        for (ScalarType type : weightTypes) {
            if (!type.isInteger()) {
                throw new IllegalArgumentException("declared weight type " + type + " is not an integer type");
            }
        }
        for (int groupSize : groupSizes) {
            if (groupSize != WeightOnlyConfig.CHANNELWISE && groupSize < 1) {
                throw new IllegalArgumentException("declared group size must be -1 (channelwise) or positive, got " + groupSize);
            }
        }
        KernelCapabilities.checkAlignment("K", kAlignment);
        KernelCapabilities.checkAlignment("N", nAlignment);
    }

    /** Capabilities without a partial last group, the declaration of kernels built against SPI 1.1. */
    public WeightOnlyCapabilities(Set<ScalarType> weightTypes, Set<ScalarType> activationTypes, Set<ScalarType> outputTypes, Set<Integer> groupSizes,
            boolean zeroPoints, boolean actOrder, int kAlignment, int nAlignment) {
        this(weightTypes, activationTypes, outputTypes, groupSizes, zeroPoints, actOrder, kAlignment, nAlignment, false);
    }

    static void requireNonEmpty(Set<?> set, String name) {
        if (set.isEmpty()) {
            throw new IllegalArgumentException(name + " must declare at least one value");
        }
    }

    @Override
    public LayerKind layerKind() {
        return LayerKind.WEIGHT_ONLY;
    }
}
