package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Moves weight-only weights between the heap form ({@link QuantizedMatrix}) and the canonical tensors kernels
 * receive ({@link QuantizedWeights.WeightOnly}), and reads scale bits of any scale dtype.
 */
public final class CanonicalWeights {

    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private CanonicalWeights() {
    }

    /** The canonical tensors of a matrix, allocated in the arena. */
    public static QuantizedWeights.WeightOnly of(QuantizedMatrix matrix, Optional<Tensor> bias, Arena arena) {
        WeightLayout layout = WeightLayout.canonical(matrix.weightType(), matrix.k(), matrix.n(), matrix.groupSize(), matrix.hasZeroPoints(), matrix.hasActOrder());
        PackedGrid grid = PackedGrid.codesOf(layout);
        HostTensor codes = HostTensor.wrap(grid.pack(arena, matrix::code), ScalarType.INT32, grid.wordShape());
        int groups = matrix.groupCount();
        HostTensor scales = HostTensor.allocate(arena, matrix.scaleType(), groups, matrix.n());
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < matrix.n(); column++) {
                setScaleBits(scales.segment(), matrix.scaleType(), (long) group * matrix.n() + column, matrix.scaleBits(group, column));
            }
        }
        Optional<Tensor> zeros = Optional.empty();
        if (matrix.hasZeroPoints()) {
            HostTensor zeroTensor = HostTensor.allocate(arena, ScalarType.UINT8, groups, matrix.n());
            for (int group = 0; group < groups; group++) {
                for (int column = 0; column < matrix.n(); column++) {
                    zeroTensor.segment().set(ValueLayout.JAVA_BYTE, (long) group * matrix.n() + column, (byte) matrix.zeroPoint(group, column));
                }
            }
            zeros = Optional.of(zeroTensor);
        }
        Optional<Tensor> groupIndex = matrix.groupIndex().map(index -> HostTensor.ofInts(index, index.length));
        return new QuantizedWeights.WeightOnly(layout, codes, scales, zeros, groupIndex, bias);
    }

    /** The heap form of canonical weights. */
    public static QuantizedMatrix toMatrix(QuantizedWeights.WeightOnly weights) {
        WeightLayout layout = weights.layout();
        PackedGrid grid = PackedGrid.codesOf(layout);
        MemorySegment words = host(weights.codes());
        int k = layout.k();
        int n = layout.n();
        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                codes[row * n + column] = grid.get(words, row, column);
            }
        }
        int groups = layout.groupCount();
        ScalarType scaleType = weights.scales().dtype();
        int[] scaleBits = new int[groups * n];
        MemorySegment scales = host(weights.scales());
        for (int i = 0; i < scaleBits.length; i++) {
            scaleBits[i] = scaleBits(scales, scaleType, i);
        }
        Optional<int[]> zeros = weights.zeroPoints().map(tensor -> {
            MemorySegment bytes = host(tensor);
            int[] values = new int[groups * n];
            for (int i = 0; i < values.length; i++) {
                values[i] = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, i));
            }
            return values;
        });
        Optional<int[]> groupIndex = weights.groupIndex().map(tensor -> host(tensor).toArray(ValueLayout.JAVA_INT));
        return new QuantizedMatrix(layout.weightType(), k, n, layout.groupSize(), scaleType, codes, scaleBits, zeros, groupIndex);
    }

    static MemorySegment host(Tensor tensor) {
        return tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException("expected a host tensor, got one in " + tensor.memory() + " memory"));
    }

    /** The raw bits of element {@code index} of a scale tensor of dtype fp16, bf16 or fp32. */
    static int scaleBits(MemorySegment scales, ScalarType dtype, long index) {
        return dtype.sizeBits() == 16 ? Short.toUnsignedInt(scales.getAtIndex(HALF, index)) : scales.getAtIndex(INT, index);
    }

    static void setScaleBits(MemorySegment scales, ScalarType dtype, long index, int bits) {
        if (dtype.sizeBits() == 16) {
            scales.setAtIndex(HALF, index, (short) bits);
        }
        else {
            scales.setAtIndex(INT, index, bits);
        }
    }

    /** A copy of a 2-D tensor of 2- or 4-byte elements, transposed. */
    static HostTensor transpose(HostTensor tensor, Arena arena) {
        int rows = Math.toIntExact(tensor.size(0));
        int columns = Math.toIntExact(tensor.size(1));
        HostTensor result = HostTensor.allocate(arena, tensor.dtype(), columns, rows);
        for (int row = 0; row < rows; row++) {
            for (int column = 0; column < columns; column++) {
                setScaleBits(result.segment(), tensor.dtype(), (long) column * rows + row, scaleBits(tensor.segment(), tensor.dtype(), (long) row * columns + column));
            }
        }
        return result;
    }
}
