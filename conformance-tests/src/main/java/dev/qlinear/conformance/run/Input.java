package dev.qlinear.conformance.run;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;

import static java.util.Objects.requireNonNull;

/**
 * The activations of a case as the kernel receives them: a contiguous {@code [M, K]} tensor, or a column slice of
 * a wider buffer whose other columns hold different random values, so that a kernel ignoring the row stride reads
 * wrong numbers rather than the right ones by luck.
 *
 * @param tensor what the kernel gets
 * @param wideBits the whole buffer's bits when strided
 * @param width the buffer's row length when strided, else K
 */
record Input(HostTensor tensor, int[] wideBits, int width) {

    /** Columns the slice starts at: 16 bytes into the row for 16-bit types, so the slice keeps the buffer's alignment. */
    static final int OFFSET = 8;
    /** Extra columns of the wider buffer. */
    static final int PADDING = 24;

    Input {
        requireNonNull(tensor, "tensor is null");
        requireNonNull(wideBits, "wideBits is null");
    }

    static Input of(Arena arena, ScalarType type, int[] bits, int m, int k, boolean strided, RandomData data) {
        if (!strided) {
            return new Input(TensorIo.tensor(arena, type, bits, m, k), bits, k);
        }
        int width = k + PADDING;
        int[] wide = data.activationBits(type, m * width);
        for (int row = 0; row < m; row++) {
            System.arraycopy(bits, row * k, wide, row * width + OFFSET, k);
        }
        HostTensor buffer = TensorIo.tensor(arena, type, wide, m, width);
        return new Input(buffer.columns(OFFSET, k), wide, width);
    }

    /** The values a kernel reads when it takes the slice for contiguous: element (m, k) at {@code m * K + k} from the slice's start. */
    double[] readAsContiguous(ScalarType type, int m, int k) {
        int[] bits = new int[m * k];
        int start = width == k ? 0 : OFFSET;
        System.arraycopy(wideBits, start, bits, 0, m * k);
        return RandomData.decode(type, bits);
    }

    boolean strided() {
        return width != tensor.size(1);
    }
}
