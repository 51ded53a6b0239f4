package dev.qlinear.cpuvector;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Activations, outputs and their values for kernel tests: 16-bit tensors, possibly strided, and their exact values. */
final class Tensors {

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** A quiet NaN in both fp16 and bf16 whose every bit is set: a poisoned element left unwritten stays visible. */
    static final short POISON = (short) 0xFFFF;

    private Tensors() {
    }

    /** Random normal values rounded to a 16-bit type; the doubles are the exact values of the stored bits. */
    static double[] randomValues(SplittableRandom random, int count, double sigma, ScalarType dtype) {
        FloatCodec codec = FloatCodec.of(dtype);
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = codec.round(gaussian(random) * sigma);
        }
        return values;
    }

    static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** A contiguous [rows, columns] tensor of 16-bit values. */
    static HostTensor matrix(Arena arena, ScalarType dtype, double[] values, int rows, int columns) {
        HostTensor tensor = HostTensor.allocate(arena, dtype, rows, columns);
        fill(tensor, values);
        return tensor;
    }

    /**
     * A [rows, columns] view into the middle of a wider poisoned buffer (row stride {@code columns + 7}, starting at
     * column 3), holding the values: a column slice, as a kernel gets from a fused activation.
     */
    static HostTensor slice(Arena arena, ScalarType dtype, double[] values, int rows, int columns) {
        HostTensor wide = HostTensor.allocate(arena, dtype, rows, columns + 7);
        poison(wide);
        HostTensor view = wide.columns(3, columns);
        fill(view, values);
        return view;
    }

    /** A [rows, columns] view stored column-major: stride(0) = 1, stride(1) = rows. */
    static HostTensor columnMajor(Arena arena, ScalarType dtype, double[] values, int rows, int columns) {
        MemorySegment segment = arena.allocate((long) rows * columns * 2, 8);
        HostTensor view = HostTensor.strided(segment, dtype, new long[] {rows, columns}, new long[] {1, rows});
        fill(view, values);
        return view;
    }

    static void fill(Tensor tensor, double[] values) {
        FloatCodec codec = FloatCodec.of(tensor.dtype());
        MemorySegment segment = tensor.hostSegment().orElseThrow();
        int columns = (int) tensor.size(1);
        for (int row = 0; row < tensor.size(0); row++) {
            for (int column = 0; column < columns; column++) {
                segment.setAtIndex(HALF, row * tensor.stride(0) + column * tensor.stride(1), (short) codec.encode(values[row * columns + column]));
            }
        }
    }

    static void poison(HostTensor tensor) {
        MemorySegment segment = tensor.segment();
        for (long i = 0; i < segment.byteSize() / 2; i++) {
            segment.setAtIndex(HALF, i, POISON);
        }
    }

    /** A poisoned contiguous output. */
    static HostTensor poisonedOutput(Arena arena, ScalarType dtype, int rows, int columns) {
        HostTensor output = HostTensor.allocate(arena, dtype, rows, columns);
        poison(output);
        return output;
    }

    /** The exact values of a [rows, columns] 16-bit tensor of any strides. */
    static double[] values(Tensor tensor) {
        FloatCodec codec = FloatCodec.of(tensor.dtype());
        MemorySegment segment = tensor.hostSegment().orElseThrow();
        int rows = (int) tensor.size(0);
        int columns = (int) tensor.size(1);
        double[] values = new double[rows * columns];
        for (int row = 0; row < rows; row++) {
            for (int column = 0; column < columns; column++) {
                values[row * columns + column] = codec.decode(Short.toUnsignedInt(segment.getAtIndex(HALF, row * tensor.stride(0) + column * tensor.stride(1))));
            }
        }
        return values;
    }

    /** The raw 16-bit patterns of a [rows, columns] tensor of any strides, for bit-exact comparisons. */
    static short[] bits(Tensor tensor) {
        MemorySegment segment = tensor.hostSegment().orElseThrow();
        int rows = (int) tensor.size(0);
        int columns = (int) tensor.size(1);
        short[] bits = new short[rows * columns];
        for (int row = 0; row < rows; row++) {
            for (int column = 0; column < columns; column++) {
                bits[row * columns + column] = segment.getAtIndex(HALF, row * tensor.stride(0) + column * tensor.stride(1));
            }
        }
        return bits;
    }

    /** A vector [n] of 16-bit values. */
    static HostTensor vector(Arena arena, ScalarType dtype, double[] values) {
        HostTensor tensor = HostTensor.allocate(arena, dtype, values.length);
        FloatCodec codec = FloatCodec.of(dtype);
        for (int i = 0; i < values.length; i++) {
            tensor.segment().setAtIndex(HALF, i, (short) codec.encode(values[i]));
        }
        return tensor;
    }

    /** The unit in the last place of a 16-bit type at a magnitude (its subnormal quantum below the normal range). */
    static double ulp(ScalarType dtype, double magnitude) {
        int mantissaBits = dtype.mantissaBits();
        int minExponent = 1 - dtype.exponentBias();
        int exponent = magnitude == 0 ? minExponent : Math.max(Math.getExponent(magnitude), minExponent);
        return Math.scalb(1.0, exponent - mantissaBits);
    }

    /** {@code mean(|out - ref|) / mean(|ref|)}, the criterion of the relative-mean-error tolerance class. */
    static double relativeMeanError(double[] out, double[] ref) {
        double error = 0;
        double magnitude = 0;
        for (int i = 0; i < out.length; i++) {
            error += Math.abs(out[i] - ref[i]);
            magnitude += Math.abs(ref[i]);
        }
        return error / magnitude;
    }
}
