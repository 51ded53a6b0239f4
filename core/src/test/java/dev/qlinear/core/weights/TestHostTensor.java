package dev.qlinear.core.weights;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestHostTensor {

    @Test
    void aColumnSliceIsAStridedViewOfTheSameMemory() {
        int[] values = new int[3 * 5];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        HostTensor wide = HostTensor.wrap(MemorySegment.ofArray(values), ScalarType.INT32, 3, 5);

        HostTensor slice = wide.columns(1, 3);

        assertThat(slice.isContiguous()).isFalse();
        assertThat(slice.size(0)).isEqualTo(3);
        assertThat(slice.size(1)).isEqualTo(3);
        assertThat(slice.stride(0)).isEqualTo(5);
        assertThat(slice.stride(1)).isEqualTo(1);
        // element (2, 2) of the slice is element (2, 3) of the wide tensor: 2 * 5 + 3
        assertThat(slice.segment().getAtIndex(ValueLayout.JAVA_INT, 2 * slice.stride(0) + 2)).isEqualTo(13);
    }

    @Test
    void viewsMustFitTheirSegmentAndShapesTheirBytes() {
        MemorySegment bytes = MemorySegment.ofArray(new int[6]);

        assertThatThrownBy(() -> HostTensor.strided(bytes, ScalarType.INT32, new long[] {3, 3}, new long[] {3, 1}))
                .hasMessageContaining("spans 36 bytes, the segment has 24");
        assertThatThrownBy(() -> HostTensor.wrap(bytes, ScalarType.INT32, 2, 4))
                .hasMessage("int32 [2, 4] needs 32 bytes, the segment has 24");
        assertThatThrownBy(() -> HostTensor.wrap(MemorySegment.ofArray(new byte[1]), ScalarType.UINT4, 2))
                .hasMessageContaining("pack uint4 codes into int32 words");
        assertThatThrownBy(() -> HostTensor.wrap(bytes, ScalarType.INT32, 2, 3).columns(2, 2))
                .hasMessageContaining("columns [2, 4) are outside the 3 columns");
    }
}
