package dev.qlinear.spi.weights;

import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * Reading canonical weights in host memory, as a kernel's {@code prepare} does before it packs them: the checks every
 * packer makes, with errors that name the tensor, the rule and the value, and the act-order row order.
 */
public final class HostTensors {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HostTensors() {
    }

    /** The tensor's host memory. */
    public static MemorySegment segment(Tensor tensor, String what) {
        requireNonNull(tensor, "tensor is null");
        return tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException("the " + what + " must be in host memory, got " + tensor.memory() + " memory"));
    }

    /** Refuses a tensor of another type or shape. */
    public static void requireShape(Tensor tensor, String what, ScalarType dtype, long... shape) {
        requireNonNull(tensor, "tensor is null");
        requireThat(tensor.dtype().equals(dtype), "dtype of the " + what, dtype.name(), tensor.dtype().name());
        long[] actual = new long[tensor.rank()];
        for (int dimension = 0; dimension < actual.length; dimension++) {
            actual[dimension] = tensor.size(dimension);
        }
        requireThat(Arrays.equals(actual, shape), "shape of the " + what, Arrays.toString(shape), Arrays.toString(actual));
    }

    /** {@code "<what> must be <expected>, got <actual>"} unless the condition holds. */
    public static void requireThat(boolean condition, String what, String expected, String actual) {
        if (!condition) {
            throw new IllegalArgumentException(what + " must be " + expected + ", got " + actual);
        }
    }

    /** Element {@code index} of a float16, bfloat16 or float32 tensor's little-endian memory, exactly. */
    public static float readFloat(MemorySegment segment, ScalarType dtype, long index, String what) {
        if (dtype.equals(ScalarType.FLOAT16)) {
            return Float.float16ToFloat(segment.getAtIndex(HALF, index));
        }
        if (dtype.equals(ScalarType.BFLOAT16)) {
            return Float.intBitsToFloat(Short.toUnsignedInt(segment.getAtIndex(HALF, index)) << 16);
        }
        if (dtype.equals(ScalarType.FLOAT32)) {
            return Float.intBitsToFloat(segment.getAtIndex(INT, index));
        }
        throw new IllegalArgumentException("dtype of the " + what + " must be float16, bfloat16 or float32, got " + dtype);
    }

    /**
     * GPTQ act-order's row order, {@code argsort(g_idx)} stably: the rows ordered by group, each group's rows ascending,
     * so that group j occupies permuted rows {@code [jG, (j+1)G)}. Kernels that read group {@code r div G} for permuted
     * row r need exactly G rows in every group, as GPTQ act-order makes them; any other group index is refused.
     *
     * @param groupIndex int32 {@code [K]} in host memory
     * @param layout the layout that needs the order, named in the refusal
     */
    public static int[] actOrderRows(Tensor groupIndex, int k, int groups, int groupSize, String layout) {
        requireShape(groupIndex, "group index", ScalarType.INT32, k);
        MemorySegment segment = segment(groupIndex, "group index");
        long stride = groupIndex.stride(0);
        int[] groupOf = new int[k];
        int[] counts = new int[groups];
        for (int row = 0; row < k; row++) {
            int group = segment.getAtIndex(INT, row * stride);
            if (group < 0 || group >= groups) {
                throw new IllegalArgumentException("group index " + group + " of row " + row + " is outside [0, " + groups + ")");
            }
            groupOf[row] = group;
            counts[group]++;
        }
        for (int group = 0; group < groups; group++) {
            if (counts[group] != groupSize) {
                throw new IllegalArgumentException("act-order group " + group + " holds " + counts[group] + " rows; the " + layout
                        + " layout needs exactly G=" + groupSize + " rows in every group, as GPTQ act-order makes them");
            }
        }
        int[] next = new int[groups];
        for (int group = 0; group < groups; group++) {
            next[group] = group * groupSize;
        }
        int[] perm = new int[k];
        for (int row = 0; row < k; row++) {
            perm[next[groupOf[row]]++] = row;
        }
        return perm;
    }
}
