package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * fp16 and bf16 bit patterns to and from float32, and reading elements of host tensors whatever their strides.
 * Every conversion to a 16-bit type rounds once, to nearest-even, from the float32 value.
 */
final class HalfFloats {

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final short BFLOAT16_NAN = 0x7FC0;

    private HalfFloats() {
    }

    /** The exact float32 value of a bf16 pattern. */
    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** A float32 rounded to bf16, nearest-even; overflow gives infinity and NaN the quiet NaN 0x7FC0, like an IEEE cast. */
    static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return BFLOAT16_NAN;
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float32 value of element {@code index} of a host segment holding fp16, bf16 or fp32 values. */
    static float read(MemorySegment segment, ScalarType dtype, long index) {
        if (dtype.equals(ScalarType.FLOAT16)) {
            return Float.float16ToFloat(segment.getAtIndex(HALF, index));
        }
        if (dtype.equals(ScalarType.BFLOAT16)) {
            return bfloat16ToFloat(segment.getAtIndex(HALF, index));
        }
        if (dtype.equals(ScalarType.FLOAT32)) {
            return segment.getAtIndex(FLOAT, index);
        }
        throw new IllegalArgumentException("expected float16, bfloat16 or float32 values, got " + dtype);
    }

    /** A 1-D (or [1, N] / [N, 1]) fp16, bf16 or fp32 tensor of {@code count} elements, as floats. */
    static float[] readVector(Tensor tensor, int count, String what) {
        MemorySegment segment = hostSegment(tensor, what);
        if (tensor.elementCount() != count) {
            throw new IllegalArgumentException(what + " must hold " + count + " values, got " + tensor.elementCount());
        }
        // A vector may come as [N], [N, 1] or [1, N]: its one non-trivial dimension gives the stride.
        long stride = 1;
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            if (tensor.size(dimension) != 1) {
                stride = tensor.stride(dimension);
            }
        }
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = read(segment, tensor.dtype(), i * stride);
        }
        return values;
    }

    static MemorySegment hostSegment(Tensor tensor, String what) {
        return tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException(
                what + " must be in host memory for the cpu-vector kernels, got a tensor in " + tensor.memory() + " memory"));
    }
}
