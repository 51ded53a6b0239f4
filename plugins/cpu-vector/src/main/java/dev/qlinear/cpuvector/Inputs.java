package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;

/** Reads rows of an fp16 or bf16 activation tensor of any strides as float32. Set up before a run, then only read. */
final class Inputs {

    private MemorySegment segment;
    private long rowStride;
    private long columnStride;
    private boolean bfloat16;

    void source(Tensor input) {
        this.segment = HalfFloats.hostSegment(input, "input");
        this.rowStride = input.stride(0);
        this.columnStride = input.stride(1);
        this.bfloat16 = input.dtype().equals(ScalarType.BFLOAT16);
        if (!bfloat16 && !input.dtype().equals(ScalarType.FLOAT16)) {
            throw new IllegalArgumentException("input dtype must be float16 or bfloat16, got " + input.dtype());
        }
    }

    /** Element (row, column), exactly. */
    float get(long row, long column) {
        short bits = segment.getAtIndex(HalfFloats.HALF, row * rowStride + column * columnStride);
        return bfloat16 ? HalfFloats.bfloat16ToFloat(bits) : Float.float16ToFloat(bits);
    }

    /** Drops the reference to the caller's input once a call is over. */
    void clear() {
        segment = null;
    }
}
