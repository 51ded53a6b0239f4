package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Known answers: words packed by hand from the layout definitions (least significant slot first), so a mistake
 * made the same way in writing and reading cannot hide behind a round trip.
 */
final class TestFormatLayouts {

    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ONE_FP16 = 0x3c00;

    /** K=8, N=8: column c holds codes c, c+1, ... (mod 16) down the rows; zero of column c is c + 1 (mod 16, never 0). */
    private static QuantizedMatrix eightByEight(ScalarType type, boolean zeroPoints) {
        int[] codes = new int[64];
        for (int row = 0; row < 8; row++) {
            for (int column = 0; column < 8; column++) {
                codes[row * 8 + column] = (row + column) % 16;
            }
        }
        int[] scales = new int[8];
        java.util.Arrays.fill(scales, ONE_FP16);
        Optional<int[]> zeros = zeroPoints ? Optional.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}) : Optional.empty();
        return new QuantizedMatrix(type, 8, 8, -1, ScalarType.FLOAT16, codes, scales, zeros, Optional.empty());
    }

    private static int[] words(HostTensor tensor) {
        return tensor.segment().toArray(WORD.withOrder(ByteOrder.nativeOrder()));
    }

    @Test
    void gptqPacksEightRowsOfAColumnIntoOneWordAndStoresZerosMinusOne() {
        try (Arena arena = Arena.ofConfined()) {
            LayerTensors gptq = GptqFormat.V1.write("layer", CanonicalWeights.of(eightByEight(ScalarType.UINT4, true), Optional.empty(), arena), arena);

            // word (0, c): slot i = code of row i = (i + c) % 16
            assertThat(words(gptq.tensors().get("qweight"))).containsExactly(
                    0x76543210, 0x87654321, 0x98765432, 0xA9876543, 0xBA987654, 0xCBA98765, 0xDCBA9876, 0xEDCBA987);
            // zeros 1..8 stored as 0..7 along N
            assertThat(words(gptq.tensors().get("qzeros"))).containsExactly(0x76543210);
            assertThat(words(gptq.tensors().get("g_idx"))).containsExactly(0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    @Test
    void gptqSymmetricLayersCarryTheBiasMinusOneAsZeros() {
        try (Arena arena = Arena.ofConfined()) {
            LayerTensors four = GptqFormat.V1.write("layer", CanonicalWeights.of(eightByEight(ScalarType.UINT4B8, false), Optional.empty(), arena), arena);
            LayerTensors v2 = GptqFormat.V2.write("layer", CanonicalWeights.of(eightByEight(ScalarType.UINT4B8, false), Optional.empty(), arena), arena);

            assertThat(words(four.tensors().get("qzeros"))).containsExactly(0x77777777);
            assertThat(words(v2.tensors().get("qzeros"))).containsExactly(0x88888888);
        }
    }

    @Test
    void gptqEightBitPacksFourRowsPerWord() {
        int[] codes = new int[8];
        for (int row = 0; row < 8; row++) {
            codes[row] = 0x10 * row + 1;
        }
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT8B128, 8, 1, -1, ScalarType.FLOAT16, codes, new int[] {ONE_FP16}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            LayerTensors gptq = GptqFormat.V1.write("layer", CanonicalWeights.of(matrix, Optional.empty(), arena), arena);

            assertThat(words(gptq.tensors().get("qweight"))).containsExactly(0x31211101, 0x71615141);
            assertThat(words(gptq.tensors().get("qzeros"))).containsExactly(0x7F);
        }
    }

    @Test
    void awqInterleavesColumnsZeroTwoFourSixOneThreeFiveSeven() {
        try (Arena arena = Arena.ofConfined()) {
            LayerTensors awq = AwqFormat.INSTANCE.write("layer", CanonicalWeights.of(eightByEight(ScalarType.UINT4, true), Optional.empty(), arena), arena);

            // row 0 holds codes 0..7 for columns 0..7; slots hold columns 0,2,4,6,1,3,5,7
            assertThat(words(awq.tensors().get("qweight"))[0]).isEqualTo(0x75316420);
            assertThat(words(awq.tensors().get("qweight"))[1]).isEqualTo(0x86427531);
            // true zeros 1..8, interleaved the same way
            assertThat(words(awq.tensors().get("qzeros"))).containsExactly(0x86427531);
        }
    }

    @Test
    void compressedTensorsPacksAlongKPerOutputChannelAndTransposesScales() {
        int[] codes = new int[16 * 2];
        for (int row = 0; row < 16; row++) {
            codes[row * 2] = row % 16;
            codes[row * 2 + 1] = 15 - row % 16;
        }
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4, 16, 2, 8, ScalarType.FLOAT16, codes, new int[] {ONE_FP16, 0x4000, 0x4200, 0x4400},
                Optional.of(new int[] {3, 12, 5, 9}), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            LayerTensors ct = CompressedTensorsFormat.INSTANCE.write("layer", CanonicalWeights.of(matrix, Optional.empty(), arena), arena);

            // weight_packed [N=2, K/8=2]: channel 0 rows 0-7, rows 8-15; channel 1 the same
            assertThat(words(ct.tensors().get("weight_packed"))).containsExactly(0x76543210, 0xFEDCBA98, 0x89ABCDEF, 0x01234567);
            // weight_scale [N, groups]: transposed from [groups, N]
            assertThat(ct.tensors().get("weight_scale").segment().toArray(ValueLayout.JAVA_SHORT))
                    .containsExactly((short) ONE_FP16, (short) 0x4200, (short) 0x4000, (short) 0x4400);
            // weight_zero_point [N/8 = 1 word, groups = 2]: group 0 zeros (3, 12), group 1 zeros (5, 9), channel c in slot c
            assertThat(words(ct.tensors().get("weight_zero_point"))).containsExactly(0xC3, 0x95);
            assertThat(ct.tensors().get("weight_shape").segment().toArray(ValueLayout.JAVA_LONG)).containsExactly(2L, 16L);
        }
    }

    @Test
    void readingChecksTensorsAgainstTheLayoutTheConfigDescribes() {
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.WeightOnly canonical = CanonicalWeights.of(eightByEight(ScalarType.UINT4, true), Optional.empty(), arena);
            LayerTensors gptq = GptqFormat.V1.write("model.layers.0.mlp.down_proj", canonical, arena);
            WeightLayout wider = WeightLayout.canonical(ScalarType.UINT4, 8, 16, -1, true, false);
            WeightLayout symmetric = WeightLayout.canonical(ScalarType.UINT4B8, 8, 8, -1, false, false);

            assertThatThrownBy(() -> GptqFormat.V1.read(gptq, wider, arena))
                    .isInstanceOf(CheckpointFormatException.class)
                    .hasMessage("model.layers.0.mlp.down_proj: tensor 'qweight' has shape [1, 8], expected [1, 16] for this layer's layout");
            assertThatThrownBy(() -> GptqFormat.V1.read(gptq, symmetric, arena))
                    .hasMessageStartingWith("model.layers.0.mlp.down_proj: symmetric uint4b8 layer has qzeros [0, 0] = 0, expected 7 (the bias 8 - 1, GPTQ v1)");
            assertThatThrownBy(() -> AwqFormat.INSTANCE.read(gptq, WeightLayout.canonical(ScalarType.UINT4, 8, 8, -1, true, true), arena))
                    .hasMessageStartingWith("model.layers.0.mlp.down_proj: AWQ layers are uint4 with zero points and without act-order");
        }
    }

    @Test
    void gptqV1CannotStoreAZeroPointOfZero() {
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4, 8, 1, -1, ScalarType.FLOAT16, new int[8], new int[] {ONE_FP16},
                Optional.of(new int[] {0}), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.WeightOnly canonical = CanonicalWeights.of(matrix, Optional.empty(), arena);

            assertThatThrownBy(() -> GptqFormat.V1.write("layer", canonical, arena))
                    .hasMessage("layer: GPTQ v1 stores z - 1 and cannot store zero point 0 at [0, 0]; write gptq_v2");
            assertThat(CanonicalWeights.toMatrix(GptqFormat.V2.read(GptqFormat.V2.write("layer", canonical, arena), canonical.layout(), arena))).isEqualTo(matrix);
        }
    }

    @Test
    void actOrderIndexMustGiveEveryGroupExactlyGroupSizeRows() {
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, 4, ScalarType.FLOAT16, new int[8], new int[] {ONE_FP16, ONE_FP16},
                Optional.empty(), Optional.of(new int[] {0, 1, 1, 0, 1, 0, 1, 0}));
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.WeightOnly canonical = CanonicalWeights.of(matrix, Optional.empty(), arena);
            LayerTensors gptq = GptqFormat.V2.write("layer", canonical, arena);
            HostTensor skewed = HostTensor.ofInts(new int[] {0, 1, 1, 1, 1, 0, 1, 0}, 8);
            Map<String, HostTensor> tensors = new java.util.HashMap<>(gptq.tensors());
            tensors.put("g_idx", skewed);

            assertThat(CanonicalWeights.toMatrix(GptqFormat.V2.read(gptq, canonical.layout(), arena))).isEqualTo(matrix);
            assertThatThrownBy(() -> GptqFormat.V2.read(new LayerTensors("layer", tensors), canonical.layout(), arena))
                    .hasMessage("layer: g_idx assigns 3 rows to group 0, expected 4");
        }
    }
}
