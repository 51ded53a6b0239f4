package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;

/**
 * Writes float32 results into an fp16 or bf16 output tensor of any strides, rounding each nearest-even. Rows are
 * counted from the current panel's first row. Set up by one thread before a run, then only read. It also writes
 * fp32 outputs unrounded, which no kernel declares: tests read the accumulators through them bit for bit.
 */
final class OutputRows {

    private MemorySegment segment;
    private long rowStride;
    private long columnStride;
    private static final int FLOAT16 = 0;
    private static final int BFLOAT16 = 1;
    private static final int FLOAT32 = 2;

    private int format;
    private long firstRow;

    void target(Tensor output) {
        this.segment = HalfFloats.hostSegment(output, "output");
        this.rowStride = output.stride(0);
        this.columnStride = output.stride(1);
        ScalarType dtype = output.dtype();
        if (dtype.equals(ScalarType.FLOAT16)) {
            format = FLOAT16;
        }
        else if (dtype.equals(ScalarType.BFLOAT16)) {
            format = BFLOAT16;
        }
        else if (dtype.equals(ScalarType.FLOAT32)) {
            format = FLOAT32;
        }
        else {
            throw new IllegalArgumentException("output dtype must be float16, bfloat16 or float32, got " + dtype);
        }
    }

    void panel(long firstRow) {
        this.firstRow = firstRow;
    }

    /** {@code values[0, count)} into row {@code row} of the panel, from column {@code column} on. */
    void write(int row, int column, float[] values, int count) {
        long at = (firstRow + row) * rowStride + column * columnStride;
        if (format == BFLOAT16) {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(HalfFloats.HALF, at + i * columnStride, HalfFloats.floatToBfloat16(values[i]));
            }
        }
        else if (format == FLOAT16) {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(HalfFloats.HALF, at + i * columnStride, Float.floatToFloat16(values[i]));
            }
        }
        else {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(HalfFloats.FLOAT, at + i * columnStride, values[i]);
            }
        }
    }

    /** Drops the reference to the caller's output once a call is over. */
    void clear() {
        segment = null;
    }
}
