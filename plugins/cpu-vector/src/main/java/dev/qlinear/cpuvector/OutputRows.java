package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;

/**
 * Writes float32 results into an fp16 or bf16 output tensor of any strides, rounding each nearest-even. Rows are
 * counted from the current panel's first row. Set up by one thread before a run, then only read.
 */
final class OutputRows {

    private MemorySegment segment;
    private long rowStride;
    private long columnStride;
    private boolean bfloat16;
    private long firstRow;

    void target(Tensor output) {
        this.segment = HalfFloats.hostSegment(output, "output");
        this.rowStride = output.stride(0);
        this.columnStride = output.stride(1);
        this.bfloat16 = output.dtype().equals(ScalarType.BFLOAT16);
        if (!bfloat16 && !output.dtype().equals(ScalarType.FLOAT16)) {
            throw new IllegalArgumentException("output dtype must be float16 or bfloat16, got " + output.dtype());
        }
    }

    void panel(long firstRow) {
        this.firstRow = firstRow;
    }

    /** {@code values[0, count)} into row {@code row} of the panel, from column {@code column} on. */
    void write(int row, int column, float[] values, int count) {
        long at = (firstRow + row) * rowStride + column * columnStride;
        if (bfloat16) {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(HalfFloats.HALF, at + i * columnStride, HalfFloats.floatToBfloat16(values[i]));
            }
        }
        else {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(HalfFloats.HALF, at + i * columnStride, Float.floatToFloat16(values[i]));
            }
        }
    }

    /** Drops the reference to the caller's output once a call is over. */
    void clear() {
        segment = null;
    }
}
