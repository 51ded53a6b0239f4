package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestCpuVectorW4Layout {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void isRegisteredByName() {
        assertThat(ReferenceLayouts.find("cpu-vector-w4")).containsInstanceOf(CpuVectorW4Layout.class);
        assertThat(ReferenceLayouts.names()).contains("canonical", "cpu-vector-w4");
    }

    @Test
    void channelwiseSymmetricColumnByHand() {
        // uint4b8, K = 8, N = 1, one fp16 scale 0.5: rows 0..7 hold codes 1..8.
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, -1, ScalarType.FLOAT16,
                new int[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {0x3800}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(tensors).containsOnlyKeys("codes", "scales", "zero_scales", "slot_rows", "group_words");
            // one block of 16 columns, one word: slot i holds row i in bits [4i, 4i + 4); columns 1..15 are padding
            assertThat(tensors.get("codes").shape()).containsExactly(1, 1, 16);
            assertThat(ints(tensors.get("codes"))).containsExactly(0x87654321, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            assertThat(tensors.get("scales").shape()).containsExactly(1, 1, 16);
            assertThat(floats(tensors.get("scales"))).containsExactly(0.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            // z = 8 for uint4b8: -8 * 0.5
            assertThat(floats(tensors.get("zero_scales"))).containsExactly(-4.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            assertThat(ints(tensors.get("slot_rows"))).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(ints(tensors.get("group_words"))).containsExactly(0, 1);
        }
    }

    @Test
    void actOrderWithZeroPointsByHand() {
        // uint4, K = 4, N = 2, G = 2, g_idx = [1, 0, 0, 1]; codes [K, N] = [[3, 10], [10, 4], [0, 7], [15, 1]];
        // scales: group 0 [0.5, 1.0], group 1 [0.125, 2.0]; zero points: group 0 [4, 1], group 1 [7, 0].
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4, 4, 2, 2, ScalarType.FLOAT16,
                new int[] {3, 10, 10, 4, 0, 7, 15, 1}, new int[] {0x3800, 0x3C00, 0x3000, 0x4000},
                Optional.of(new int[] {4, 1, 7, 0}), Optional.of(new int[] {1, 0, 0, 1}));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            // group 0 is rows 1 and 2 (slots 0, 1), group 1 rows 0 and 3 (slots 8, 9); the rest is padding
            assertThat(ints(tensors.get("slot_rows"))).containsExactly(1, 2, -1, -1, -1, -1, -1, -1, 0, 3, -1, -1, -1, -1, -1, -1);
            assertThat(ints(tensors.get("group_words"))).containsExactly(0, 1, 2);
            assertThat(tensors.get("codes").shape()).containsExactly(1, 2, 16);
            int[] codes = ints(tensors.get("codes"));
            // word 0, column 0: code(1, 0) = 10 | code(2, 0) = 0 << 4; column 1: code(1, 1) = 4 | code(2, 1) = 7 << 4
            assertThat(codes[0]).isEqualTo(0x0A);
            assertThat(codes[1]).isEqualTo(0x74);
            // word 1, column 0: code(0, 0) = 3 | code(3, 0) = 15 << 4; column 1: code(0, 1) = 10 | code(3, 1) = 1 << 4
            assertThat(codes[16]).isEqualTo(0xF3);
            assertThat(codes[17]).isEqualTo(0x1A);
            for (int lane = 2; lane < 16; lane++) {
                assertThat(codes[lane]).as("padding column %d of word 0", lane).isZero();
                assertThat(codes[16 + lane]).as("padding column %d of word 1", lane).isZero();
            }
            float[] scales = floats(tensors.get("scales"));
            assertThat(new float[] {scales[0], scales[1], scales[16], scales[17]}).containsExactly(0.5f, 1.0f, 0.125f, 2.0f);
            float[] zeroScales = floats(tensors.get("zero_scales"));
            // -4 * 0.5, -1 * 1.0, -7 * 0.125, -0 * 2.0 (a positive zero)
            assertThat(new float[] {zeroScales[0], zeroScales[1], zeroScales[16]}).containsExactly(-2.0f, -1.0f, -0.875f);
            assertThat(Float.floatToRawIntBits(zeroScales[17])).isZero();
        }
    }

    @Test
    void padsAnUnevenKAndN() {
        // uint4b8 channelwise, K = 3, N = 17: one group of 3 rows padded to a word, two blocks.
        int[] codes = new int[3 * 17];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = i % 16;
        }
        int[] scales = new int[17];
        java.util.Arrays.fill(scales, 0x3C00);
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 3, 17, -1, ScalarType.FLOAT16, codes, scales, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(tensors.get("codes").shape()).containsExactly(2, 1, 16);
            assertThat(ints(tensors.get("slot_rows"))).containsExactly(0, 1, 2, -1, -1, -1, -1, -1);
            int[] words = ints(tensors.get("codes"));
            // column 16 (block 1, lane 0): rows 0..2 hold codes 16 % 16 = 0, 33 % 16 = 1, 50 % 16 = 2
            assertThat(words[16]).isEqualTo(0x210);
            assertThat(words[17]).isZero();
            float[] packedScales = floats(tensors.get("scales"));
            assertThat(packedScales[16]).isEqualTo(1.0f);
            assertThat(packedScales[17]).isZero();
        }
    }

    @Test
    void refusesEightBitCodesAndScaledMmWeights() {
        QuantizedMatrix eightBit = new QuantizedMatrix(ScalarType.UINT8B128, 4, 1, -1, ScalarType.FLOAT16,
                new int[] {1, 2, 3, 4}, new int[] {0x3C00}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> pack(eightBit, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cpu-vector-w4 holds 4-bit codes, got uint8b128");
            QuantizedWeights scaledMm = new QuantizedWeights.ScaledMm(HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, 1, 1),
                    HostTensor.allocate(arena, ScalarType.FLOAT32, 1), Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> new CpuVectorW4Layout().pack(WeightOnlyConfig.unsharded(4, 1, ScalarType.UINT4B8, ScalarType.FLOAT16, -1, false, false),
                    scaledMm, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cpu-vector-w4 holds weight-only weights, got ScaledMm");
        }
    }

    private static Map<String, HostTensor> pack(QuantizedMatrix matrix, Arena arena) {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(matrix.k(), matrix.n(), matrix.weightType(), ScalarType.FLOAT16, matrix.groupSize(),
                matrix.hasZeroPoints(), matrix.hasActOrder());
        return new CpuVectorW4Layout().pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
    }

    private static int[] ints(HostTensor tensor) {
        return tensor.segment().toArray(INT);
    }

    private static float[] floats(HostTensor tensor) {
        return tensor.segment().toArray(FLOAT);
    }
}
