package dev.qlinear.testplugin.common;

import dev.qlinear.spi.device.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Element access to host tensors of 1-, 2- and 4-byte elements, little-endian, by element offset. */
public final class HostTensors {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HostTensors() {
    }

    public static MemorySegment segment(Tensor tensor) {
        return tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException("the scalar kernels work on host tensors, got " + tensor.memory()));
    }

    public static int get(Tensor tensor, long offset) {
        MemorySegment segment = segment(tensor);
        return switch (tensor.dtype().storageBytes()) {
            case 1 -> Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset));
            case 2 -> Short.toUnsignedInt(segment.getAtIndex(SHORT, offset));
            case 4 -> segment.getAtIndex(INT, offset);
            default -> throw new IllegalArgumentException("unsupported element size of " + tensor.dtype());
        };
    }

    public static void set(Tensor tensor, long offset, int bits) {
        MemorySegment segment = segment(tensor);
        switch (tensor.dtype().storageBytes()) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, offset, (byte) bits);
            case 2 -> segment.setAtIndex(SHORT, offset, (short) bits);
            case 4 -> segment.setAtIndex(INT, offset, bits);
            default -> throw new IllegalArgumentException("unsupported element size of " + tensor.dtype());
        }
    }

    /** The values of a 1-D (or [N, 1]) tensor, decoded as floats of its type. */
    public static double[] values(Tensor tensor) {
        double[] values = new double[Math.toIntExact(tensor.elementCount())];
        for (int i = 0; i < values.length; i++) {
            values[i] = Floats.decode(tensor.dtype(), get(tensor, i));
        }
        return values;
    }
}
