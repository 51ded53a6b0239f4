package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * The inputs and outputs the images can read and write, checked before any launch: the layer's type and shape, unit
 * stride along the row, row strides a multiple of 8 elements and addresses 16-byte aligned (the images move 16 bytes at
 * a time), device memory. Anything else is refused naming the value, never silently misread.
 *
 * @param activation the activation (and output) type
 * @param k the layer's K
 * @param n the layer's N
 */
record TritonW4a16Io(ScalarType activation, int k, int n) {

    /** Every pointer the images take is 16-byte aligned: plugins/triton-aot.py compiles them so. */
    static final int POINTER_ALIGNMENT = 16;
    /** Row strides are multiples of 8 elements: variants.py's divisibility of stride_xm and stride_om. */
    static final int ROW_STRIDE_MULTIPLE = 8;

    TritonW4a16Io {
        requireNonNull(activation, "activation is null");
    }

    /** The rows M of an input {@code [M, K]}. */
    int rows(Tensor input) {
        requireNonNull(input, "input is null");
        if (input.rank() != 2 || input.size(1) != k || !input.dtype().equals(activation)) {
            throw new IllegalArgumentException("input must be " + activation.name() + " [M, K=" + k + "], got " + describe(input));
        }
        long m = input.size(0);
        if (m < 1 || m > TritonW4a16Kernel.MAX_ROWS) {
            throw new IllegalArgumentException("input rows M must be in [1, " + TritonW4a16Kernel.MAX_ROWS + "], got M=" + m);
        }
        if (input.stride(1) != 1 || (m > 1 && (input.stride(0) < k || input.stride(0) % ROW_STRIDE_MULTIPLE != 0))) {
            throw new IllegalArgumentException("input must have unit stride along K and a row stride of at least K=" + k + " and a multiple of "
                    + ROW_STRIDE_MULTIPLE + ", got strides [" + input.stride(0) + ", " + input.stride(1) + "]");
        }
        requireDevice(input, "input");
        requireAligned(input, "input");
        return (int) m;
    }

    void requireOutput(Tensor output, int m) {
        requireNonNull(output, "output is null");
        if (output.rank() != 2 || output.size(0) != m || output.size(1) != n || !output.dtype().equals(activation)) {
            throw new IllegalArgumentException("output must be " + activation.name() + " [M=" + m + ", N=" + n + "], got " + describe(output));
        }
        if (output.stride(1) != 1 || (m > 1 && (output.stride(0) < n || output.stride(0) % ROW_STRIDE_MULTIPLE != 0))) {
            throw new IllegalArgumentException("output must have unit stride along N and a row stride of at least N=" + n + " and a multiple of "
                    + ROW_STRIDE_MULTIPLE + ", got strides [" + output.stride(0) + ", " + output.stride(1) + "]");
        }
        requireDevice(output, "output");
        requireAligned(output, "output");
    }

    /** The row stride, which the kernel takes as a 32-bit count of elements. */
    static int stride(Tensor tensor, String what) {
        long stride = tensor.stride(0);
        if (stride > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " row stride " + stride + " exceeds the kernel's 32-bit strides (at most " + Integer.MAX_VALUE + " elements)");
        }
        return (int) stride;
    }

    private static void requireDevice(Tensor tensor, String what) {
        if (tensor.memory() != MemoryKind.DEVICE) {
            throw new IllegalArgumentException(what + " must be in device memory, got " + tensor.memory() + " memory");
        }
    }

    private static void requireAligned(Tensor tensor, String what) {
        if (tensor.address() % POINTER_ALIGNMENT != 0) {
            throw new IllegalArgumentException(what + " address 0x" + Long.toHexString(tensor.address()) + " must be " + POINTER_ALIGNMENT
                    + "-byte aligned: the images load and store 16 bytes at a time");
        }
    }

    static String describe(Tensor tensor) {
        StringBuilder text = new StringBuilder(tensor.dtype().name()).append('[');
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }
}
