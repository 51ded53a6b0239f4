package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.Set;

/** Checks and copies shared by the formats. */
final class Formats {

    static final Set<ScalarType> SCALE_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16, ScalarType.FLOAT32);

    private Formats() {
    }

    /** An optional {@code bias [N]} of any float dtype. */
    static Optional<Tensor> bias(LayerTensors tensors, int n) {
        return tensors.tensors().containsKey("bias") ? Optional.of(tensors.requiredOneOf("bias", SCALE_TYPES, n)) : Optional.empty();
    }

    /**
     * An act-order index maps each row to a group, and every group has exactly {@code groupSize} rows but the last, which
     * has what remains of K (GPTQ assigns groups by permuted blocks).
     */
    static void checkActOrderIndex(String layer, MemorySegment index, int k, int groups, int groupSize) {
        int[] members = new int[groups];
        for (int row = 0; row < k; row++) {
            int group = index.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, row);
            if (group < 0 || group >= groups) {
                throw new CheckpointFormatException(layer + ": g_idx[" + row + "] = " + group + " is outside the " + groups + " groups");
            }
            members[group]++;
        }
        for (int group = 0; group < groups; group++) {
            int expected = groupSize == -1 ? k : Math.min(groupSize, k - group * groupSize);
            if (members[group] != expected) {
                throw new CheckpointFormatException(layer + ": g_idx assigns " + members[group] + " rows to group " + group + ", expected " + expected);
            }
        }
    }

    /** Without act-order an index, if stored, must be {@code k / groupSize}. */
    static void checkTrivialIndex(String layer, MemorySegment index, int k, int groupSize) {
        for (int row = 0; row < k; row++) {
            int group = index.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, row);
            int expected = groupSize == -1 ? 0 : row / groupSize;
            if (group != expected) {
                throw new CheckpointFormatException(layer + ": g_idx[" + row + "] = " + group + " but the config has no act-order (desc_act), which needs "
                        + expected + " = row / group size");
            }
        }
    }

    static HostTensor trivialIndex(int k, int groupSize) {
        int[] index = new int[k];
        for (int row = 0; row < k; row++) {
            index[row] = groupSize == -1 ? 0 : row / groupSize;
        }
        return HostTensor.ofInts(index, k);
    }

    /** A copy of a host tensor with the same dtype and shape. */
    static HostTensor copy(Tensor tensor, Arena arena) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        HostTensor copy = HostTensor.allocate(arena, tensor.dtype(), shape);
        copy.segment().copyFrom(CanonicalWeights.host(tensor));
        return copy;
    }
}
