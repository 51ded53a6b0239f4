package dev.qlinear.tritonw4a16;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Inputs and outputs the images cannot read are refused naming the value, before any launch. */
final class TestTritonW4a16Io {

    private final TritonW4a16Io io = new TritonW4a16Io(FLOAT16, 256, 64);

    private static Tensor strided(Arena arena, long[] shape, long[] strides) {
        return HostTensor.strided(arena.allocate(2L * (shape[0] - 1) * strides[0] + 2L * (shape[1] - 1) * strides[1] + 2), FLOAT16, shape, strides);
    }

    @Test
    void refusesShapesTypesAndStridesTheImagesCannotRead() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> io.rows(HostTensor.allocate(arena, BFLOAT16, 2, 256))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input must be float16 [M, K=256], got bfloat16[2, 256]");
            assertThatThrownBy(() -> io.rows(strided(arena, new long[] {2, 256}, new long[] {260, 1})))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input must have unit stride along K and a row stride of at least K=256 and a multiple of 8, got strides [260, 1]");
            assertThatThrownBy(() -> io.rows(strided(arena, new long[] {2, 256}, new long[] {1, 2})))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input must have unit stride along K and a row stride of at least K=256 and a multiple of 8, got strides [1, 2]");
            assertThatThrownBy(() -> io.rows(HostTensor.allocate(arena, FLOAT16, 2, 256))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input must be in device memory, got HOST memory");
            assertThatThrownBy(() -> io.requireOutput(HostTensor.allocate(arena, FLOAT16, 3, 64), 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("output must be float16 [M=2, N=64], got float16[3, 64]");
            assertThatThrownBy(() -> io.requireOutput(strided(arena, new long[] {2, 64}, new long[] {72, 1}), 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("output must be in device memory, got HOST memory");
            assertThatThrownBy(() -> io.requireOutput(strided(arena, new long[] {2, 64}, new long[] {68, 1}), 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("output must have unit stride along N and a row stride of at least N=64 and a multiple of 8, got strides [68, 1]");
        }
    }

    @Test
    void oneRowNeedsNoRowStride() {
        try (Arena arena = Arena.ofConfined()) {
            // a row stride of 3 would be refused with more rows; with one row the check goes on to the memory
            Tensor row = strided(arena, new long[] {1, 256}, new long[] {3, 1});
            assertThatThrownBy(() -> io.rows(row)).hasMessage("input must be in device memory, got HOST memory");
        }
    }
}
