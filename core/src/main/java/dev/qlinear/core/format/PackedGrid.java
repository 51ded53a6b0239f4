package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.SlotOrder;
import dev.qlinear.spi.weights.WeightDimension;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.IntBinaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * How a logical grid of small unsigned codes {@code [K, N]} sits in a 2-D tensor of int32 words: which logical
 * dimension the tensor's rows run along, which one is packed into words, and the slot order inside a word. K may be
 * the K of a weight or the group axis of zero points. Words are little-endian, as in safetensors files.
 *
 * @param k logical extent along K (rows of the weight, or groups)
 * @param n logical extent along N
 * @param rowDimension the dimension the tensor's rows run along
 * @param packedDimension the dimension packed into words
 * @param slotOrder the order of codes in a word
 * @param bits bits per code: 4 or 8
 */
record PackedGrid(int k, int n, WeightDimension rowDimension, WeightDimension packedDimension, SlotOrder slotOrder, int bits) {

    static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    PackedGrid {
        requireNonNull(rowDimension, "rowDimension is null");
        requireNonNull(packedDimension, "packedDimension is null");
        requireNonNull(slotOrder, "slotOrder is null");
        if (bits != 4 && bits != 8) {
            throw new IllegalArgumentException("codes are 4 or 8 bits, got " + bits);
        }
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("grid extents must be positive, got " + k + " x " + n);
        }
    }

    /** The grid of a weight's codes in the given layout. */
    static PackedGrid codesOf(WeightLayout layout) {
        return new PackedGrid(layout.k(), layout.n(), layout.rowDimension(), layout.packedDimension(), layout.slotOrder(), layout.weightType().sizeBits());
    }

    int packFactor() {
        return 32 / bits;
    }

    /** The tensor shape {@code [rows, columns]} in words; a partial last word along the packed dimension is padded. */
    long[] wordShape() {
        int rows = rowDimension == WeightDimension.K ? k : n;
        int columns = rowDimension == WeightDimension.K ? n : k;
        if (packedDimension == rowDimension) {
            rows = ceilDiv(rows, packFactor());
        }
        else {
            columns = ceilDiv(columns, packFactor());
        }
        return new long[] {rows, columns};
    }

    long wordCount() {
        long[] shape = wordShape();
        return shape[0] * shape[1];
    }

    /** The code at (row, column) of the logical grid. */
    int get(MemorySegment words, int row, int column) {
        int along = packedDimension == WeightDimension.K ? row : column;
        int element = along % packFactor();
        int slot = slotOrder.slotOfElement(element, packFactor());
        return (words.getAtIndex(WORD, wordIndex(row, column)) >>> (slot * bits)) & ((1 << bits) - 1);
    }

    private long wordIndex(int row, int column) {
        int tensorRow = rowDimension == WeightDimension.K ? row : column;
        int tensorColumn = rowDimension == WeightDimension.K ? column : row;
        if (packedDimension == rowDimension) {
            tensorRow /= packFactor();
        }
        else {
            tensorColumn /= packFactor();
        }
        return (long) tensorRow * wordColumns() + tensorColumn;
    }

    private int wordColumns() {
        int columns = rowDimension == WeightDimension.K ? n : k;
        return packedDimension == rowDimension ? columns : ceilDiv(columns, packFactor());
    }

    /** Packs codes given by {@code code(row, column)} into new words; padding slots hold 0. */
    MemorySegment pack(Arena arena, IntBinaryOperator code) {
        MemorySegment words = arena.allocate(wordCount() * Integer.BYTES, Integer.BYTES);
        int mask = (1 << bits) - 1;
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                int value = code.applyAsInt(row, column);
                if ((value & ~mask) != 0) {
                    throw new IllegalArgumentException("code " + value + " at [" + row + ", " + column + "] does not fit in " + bits + " bits");
                }
                int along = packedDimension == WeightDimension.K ? row : column;
                int slot = slotOrder.slotOfElement(along % packFactor(), packFactor());
                long index = wordIndex(row, column);
                words.setAtIndex(WORD, index, words.getAtIndex(WORD, index) | (value << (slot * bits)));
            }
        }
        return words;
    }

    /** The codes as unsigned bytes, row-major {@code [k, n]}: how canonical zero points are held. */
    HostTensor unpackToBytes(MemorySegment words, Arena arena) {
        HostTensor bytes = HostTensor.allocate(arena, ScalarType.UINT8, k, n);
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                bytes.segment().set(ValueLayout.JAVA_BYTE, (long) row * n + column, (byte) get(words, row, column));
            }
        }
        return bytes;
    }

    /** Packs unsigned bytes, row-major {@code [k, n]}, into words. */
    HostTensor packBytes(MemorySegment bytes, Arena arena) {
        return HostTensor.wrap(pack(arena, (row, column) -> Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, (long) row * n + column))),
                ScalarType.INT32, wordShape());
    }

    private static int ceilDiv(int value, int divisor) {
        return (value + divisor - 1) / divisor;
    }
}
