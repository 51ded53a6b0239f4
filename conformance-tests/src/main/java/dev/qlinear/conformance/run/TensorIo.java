package dev.qlinear.conformance.run;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Element bits in and out of tensors of 1-, 2- and 4-byte elements, little-endian, honouring strides. */
public final class TensorIo {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorIo() {
    }

    /** The NaN with a payload every output element starts as, so one never written is recognised. */
    public static int poisonBits(ScalarType type) {
        return switch (type.storageBytes()) {
            case 2 -> type.equals(ScalarType.BFLOAT16) ? 0x7FDA : 0x7E5A;
            case 4 -> 0x7FC0DA5A;
            default -> throw new IllegalArgumentException("outputs are 16- or 32-bit floats, got " + type);
        };
    }

    /** A contiguous tensor holding these element bits. */
    public static HostTensor tensor(Arena arena, ScalarType type, int[] bits, long... shape) {
        HostTensor tensor = HostTensor.allocate(arena, type, shape);
        if (tensor.elementCount() != bits.length) {
            throw new IllegalArgumentException(type + " tensor of " + tensor.elementCount() + " elements cannot hold " + bits.length + " values");
        }
        for (int i = 0; i < bits.length; i++) {
            set(tensor.segment(), type, i, bits[i]);
        }
        return tensor;
    }

    /** A contiguous tensor with every element set to the same bits. */
    public static HostTensor filled(Arena arena, ScalarType type, int bits, long... shape) {
        HostTensor tensor = HostTensor.allocate(arena, type, shape);
        for (long i = 0; i < tensor.elementCount(); i++) {
            set(tensor.segment(), type, i, bits);
        }
        return tensor;
    }

    /** Every element's bits in row-major order of the logical shape, following the tensor's strides. */
    public static int[] bits(Tensor tensor) {
        MemorySegment segment = tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException("expected a host tensor, got " + tensor.memory() + " memory"));
        int rank = tensor.rank();
        long count = tensor.elementCount();
        int[] result = new int[Math.toIntExact(count)];
        long[] index = new long[rank];
        for (int i = 0; i < result.length; i++) {
            long offset = 0;
            for (int dimension = 0; dimension < rank; dimension++) {
                offset += index[dimension] * tensor.stride(dimension);
            }
            result[i] = get(segment, tensor.dtype(), offset);
            for (int dimension = rank - 1; dimension >= 0; dimension--) {
                if (++index[dimension] < tensor.size(dimension)) {
                    break;
                }
                index[dimension] = 0;
            }
        }
        return result;
    }

    /** A host copy of a tensor that may live in device memory. */
    public static Tensor onHost(Tensor tensor, Device device, Arena arena) {
        if (tensor.memory() == MemoryKind.HOST) {
            return tensor;
        }
        HostTensor copy = HostTensor.allocate(arena, tensor.dtype(), shape(tensor));
        device.copy(tensor, copy, device.defaultStream());
        device.defaultStream().synchronize();
        return copy;
    }

    public static long[] shape(Tensor tensor) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        return shape;
    }

    static void set(MemorySegment segment, ScalarType type, long index, int bits) {
        switch (type.storageBytes()) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, index, (byte) bits);
            case 2 -> segment.setAtIndex(SHORT, index, (short) bits);
            case 4 -> segment.setAtIndex(INT, index, bits);
            default -> throw new IllegalArgumentException("elements of 1, 2 or 4 bytes only, got " + type);
        }
    }

    static int get(MemorySegment segment, ScalarType type, long index) {
        return switch (type.storageBytes()) {
            case 1 -> Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, index));
            case 2 -> Short.toUnsignedInt(segment.getAtIndex(SHORT, index));
            case 4 -> segment.getAtIndex(INT, index);
            default -> throw new IllegalArgumentException("elements of 1, 2 or 4 bytes only, got " + type);
        };
    }
}
