package dev.qlinear.spi.weights;

import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestHostTensors {

    private static HostBuffer ints(Arena arena, int... values) {
        HostBuffer buffer = HostBuffer.allocate(arena, ScalarType.INT32, values.length);
        for (int i = 0; i < values.length; i++) {
            buffer.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, values[i]);
        }
        return buffer;
    }

    @Test
    void actOrderSortsRowsByGroupKeepingTheirOrder() {
        try (Arena arena = Arena.ofConfined()) {
            // rows 1, 3, 4, 6 are in group 0, the others in group 1
            int[] rows = HostTensors.actOrderRows(ints(arena, 1, 0, 1, 0, 0, 1, 0, 1), 8, 2, 4, "test");
            assertThat(rows).containsExactly(1, 3, 4, 6, 0, 2, 5, 7);
        }
    }

    @Test
    void actOrderRefusesGroupsOfAnotherSizeAndIndicesOutOfRange() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> HostTensors.actOrderRows(ints(arena, 0, 0, 0, 1), 4, 2, 2, "test")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("act-order group 0 holds 3 rows; the test layout needs exactly G=2 rows in every group, as GPTQ act-order makes them");
            assertThatThrownBy(() -> HostTensors.actOrderRows(ints(arena, 0, 2, 0, 1), 4, 2, 2, "test")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("group index 2 of row 1 is outside [0, 2)");
            assertThatThrownBy(() -> HostTensors.actOrderRows(ints(arena, 0, 1, 0), 4, 2, 2, "test")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the group index must be [4], got [3]");
        }
    }

    @Test
    void readsEachFloatTypeExactly() {
        try (Arena arena = Arena.ofConfined()) {
            HostBuffer buffer = HostBuffer.allocate(arena, ScalarType.FLOAT32, 1);
            buffer.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 0, Float.floatToIntBits(1.0f / 3));
            assertThat(HostTensors.readFloat(buffer.segment(), ScalarType.FLOAT32, 0, "x")).isEqualTo(1.0f / 3);
            buffer.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x3C01);
            assertThat(HostTensors.readFloat(buffer.segment(), ScalarType.FLOAT16, 0, "x")).isEqualTo(1.0f + 1.0f / 1024);
            buffer.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0xBF81);
            assertThat(HostTensors.readFloat(buffer.segment(), ScalarType.BFLOAT16, 0, "x")).isEqualTo(-(1.0f + 1.0f / 128));
            assertThatThrownBy(() -> HostTensors.readFloat(buffer.segment(), ScalarType.INT32, 0, "scales")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("dtype of the scales must be float16, bfloat16 or float32, got " + ScalarType.INT32);
        }
    }

    @Test
    void namesTheTensorTheRuleAndTheValue() {
        try (Arena arena = Arena.ofConfined()) {
            HostBuffer codes = HostBuffer.allocate(arena, ScalarType.INT32, 2, 3);
            HostTensors.requireShape(codes, "codes", ScalarType.INT32, 2, 3);
            assertThatThrownBy(() -> HostTensors.requireShape(codes, "codes", ScalarType.INT32, 3, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the codes must be [3, 2], got [2, 3]");
            assertThatThrownBy(() -> HostTensors.requireShape(codes, "codes", ScalarType.FLOAT16, 2, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("dtype of the codes must be " + ScalarType.FLOAT16.name() + ", got " + ScalarType.INT32.name());
            assertThat(HostTensors.segment(codes, "codes").byteSize()).isEqualTo(24);
        }
    }
}
