package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/** The checks {@code apply} makes on its tensors: cheap, allocation-free unless they fail. */
final class Shapes {

    private Shapes() {
    }

    /**
     * The row count M of a host activation {@code [M, K]} of the given dtype, at most {@code maxRows}.
     *
     * @throws IllegalArgumentException naming the value and the rule
     */
    static int rows(Tensor input, int k, ScalarType dtype, int maxRows) {
        requireNonNull(input, "input is null");
        requireHost(input, "input");
        if (input.rank() != 2 || input.size(1) != k) {
            throw new IllegalArgumentException("input must be [M, K=" + k + "], got " + describe(input));
        }
        if (!input.dtype().equals(dtype)) {
            throw new IllegalArgumentException("input dtype must be " + dtype + " as the layer declares, got " + input.dtype());
        }
        long rows = input.size(0);
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("input rows M must be in [1, " + maxRows + "], got M=" + rows);
        }
        return (int) rows;
    }

    static void requireOutput(Tensor output, int rows, int n, ScalarType dtype) {
        requireNonNull(output, "output is null");
        requireHost(output, "output");
        if (output.rank() != 2 || output.size(0) != rows || output.size(1) != n) {
            throw new IllegalArgumentException("output must be [M=" + rows + ", N=" + n + "], got " + describe(output));
        }
        if (!output.dtype().equals(dtype)) {
            throw new IllegalArgumentException("output dtype must be " + dtype + " as the layer declares, got " + output.dtype());
        }
    }

    private static void requireHost(Tensor tensor, String what) {
        if (tensor.memory() != MemoryKind.HOST || tensor.hostSegment().isEmpty()) {
            throw new IllegalArgumentException(what + " must be in host memory for the cpu-vector kernels, got " + tensor.memory() + " memory");
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
