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

final class TestExllamaLayout {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void isRegisteredByName() {
        assertThat(ReferenceLayouts.find("exllama-gptq")).containsInstanceOf(ExllamaLayout.class);
        assertThat(ReferenceLayouts.names()).contains("canonical", "cpu-vector-w4", "exllama-gptq");
    }

    @Test
    void shufflesTheNibblesOfEveryWord() {
        // uint4b8, K = 8, N = 1: rows 0..7 hold codes 0..7, the canonical word 0x76543210
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, -1, ScalarType.FLOAT16,
                new int[] {0, 1, 2, 3, 4, 5, 6, 7}, new int[] {0x3800}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(tensors).containsOnlyKeys("codes", "scales");
            assertThat(tensors.get("codes").shape()).containsExactly(1, 1);
            // slot p holds row [0, 2, 4, 6, 1, 3, 5, 7][p]
            assertThat(ints(tensors.get("codes"))).containsExactly(0x75316420);
            assertThat(tensors.get("scales").dtype()).isEqualTo(ScalarType.FLOAT16);
            assertThat(halves(tensors.get("scales"))).containsExactly((short) 0x3800);
        }
    }

    @Test
    void shufflesEachColumnAndEachWordRowOnItsOwn() {
        // uint4b8, K = 16, N = 2, G = 8: code(k, n) = (k + 3n) % 16; scales per group and column
        int[] codes = new int[16 * 2];
        for (int row = 0; row < 16; row++) {
            for (int column = 0; column < 2; column++) {
                codes[row * 2 + column] = (row + 3 * column) % 16;
            }
        }
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 16, 2, 8, ScalarType.FLOAT16, codes,
                new int[] {0x3C00, 0x4000, 0x3400, 0x2E66}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(tensors.get("codes").shape()).containsExactly(2, 2);
            // word (0, 0): rows 0..7 = 0..7; word (0, 1): rows 0..7 = 3..10; word (1, 0): 8..15; word (1, 1): 11..15, 0, 1, 2
            assertThat(ints(tensors.get("codes"))).containsExactly(0x75316420, 0xA8649753, 0xFDB9ECA8, 0x20EC1FDB);
            assertThat(tensors.get("scales").shape()).containsExactly(2, 2);
            assertThat(halves(tensors.get("scales"))).containsExactly((short) 0x3C00, (short) 0x4000, (short) 0x3400, (short) 0x2E66);
        }
    }

    @Test
    void actOrderSortsRowsByGroupKeepingTheirOrderThenShuffles() {
        // uint4b8, K = 16, N = 1, G = 8: rows 1, 3, 4, 6, 9, 10, 12, 15 are in group 0, the others in group 1
        int[] groupIndex = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0};
        int[] codes = new int[16];
        for (int row = 0; row < 16; row++) {
            codes[row] = row;
        }
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 16, 1, 8, ScalarType.FLOAT16, codes, new int[] {0x3C00, 0x4000},
                Optional.empty(), Optional.of(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(tensors).containsOnlyKeys("codes", "scales", "perm");
            assertThat(ints(tensors.get("perm"))).containsExactly(1, 3, 4, 6, 9, 10, 12, 15, 0, 2, 5, 7, 8, 11, 13, 14);
            // word 0 holds rows 1, 3, 4, 6, 9, 10, 12, 15 in slots for elements [0, 2, 4, 6, 1, 3, 5, 7]:
            // slots 0..7 = rows 1, 4, 9, 12, 3, 6, 10, 15; word 1 likewise from rows 0, 2, 5, 7, 8, 11, 13, 14
            assertThat(ints(tensors.get("codes"))).containsExactly(0xFA63C941, 0xEB72D850);
            // scales are not permuted: one row per group
            assertThat(halves(tensors.get("scales"))).containsExactly((short) 0x3C00, (short) 0x4000);
        }
    }

    @Test
    void eightBitCodesPassThroughUnshuffled() {
        // uint8b128, K = 8, N = 1: rows hold 0x10, 0x21, .., 0x87
        int[] codes = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87};
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT8B128, 8, 1, -1, ScalarType.FLOAT16, codes, new int[] {0x2000},
                Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(ints(tensors.get("codes"))).containsExactly(0x43322110, 0x87766554);
        }
    }

    @Test
    void eightBitActOrderPermutesRowsOnly() {
        // uint8b128, K = 8, N = 1, G = 4: g_idx puts rows 7, 5, 3, 1 in group 0, sorted to 1, 3, 5, 7
        int[] codes = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87};
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT8B128, 8, 1, 4, ScalarType.FLOAT16, codes, new int[] {0x2000, 0x2400},
                Optional.empty(), Optional.of(new int[] {1, 0, 1, 0, 1, 0, 1, 0}));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, arena);
            assertThat(ints(tensors.get("perm"))).containsExactly(1, 3, 5, 7, 0, 2, 4, 6);
            assertThat(ints(tensors.get("codes"))).containsExactly(0x87654321, 0x76543210);
        }
    }

    @Test
    void roundsWiderScalesToNearestEvenHalf() {
        // fp32 scales: 1 + 2^-11 is a tie between 1 and 1 + 2^-10 and goes to the even 1.0; 1 + 3 * 2^-11 goes up
        float tie = 1.0f + 0x1p-11f;
        float above = 1.0f + 3 * 0x1p-11f;
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 8, 2, -1, ScalarType.FLOAT32, new int[16],
                new int[] {Float.floatToRawIntBits(tie), Float.floatToRawIntBits(above)}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThat(halves(pack(matrix, arena).get("scales"))).containsExactly((short) 0x3C00, (short) 0x3C02);
        }
    }

    @Test
    void refusesTypesWithZeroPointsScalesBeyondHalfAndScaledMmWeights() {
        QuantizedMatrix asymmetric = new QuantizedMatrix(ScalarType.UINT4, 8, 1, -1, ScalarType.FLOAT16, new int[8], new int[] {0x3C00},
                Optional.of(new int[] {8}), Optional.empty());
        QuantizedMatrix huge = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, -1, ScalarType.FLOAT32, new int[8],
                new int[] {Float.floatToRawIntBits(1.0e6f)}, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> pack(asymmetric, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("exllama-gptq holds uint4b8 or uint8b128 codes, got uint4");
            assertThatThrownBy(() -> pack(huge, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("scale 1000000.0 of group 0, column 0 overflows float16 in exllama-gptq");
            QuantizedWeights scaledMm = new QuantizedWeights.ScaledMm(HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, 1, 1),
                    HostTensor.allocate(arena, ScalarType.FLOAT32, 1), Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> new ExllamaLayout().pack(WeightOnlyConfig.unsharded(32, 8, ScalarType.UINT4B8, ScalarType.FLOAT16, -1, false, false),
                    scaledMm, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("exllama-gptq holds weight-only weights, got ScaledMm");
        }
    }

    private static Map<String, HostTensor> pack(QuantizedMatrix matrix, Arena arena) {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(matrix.k(), matrix.n(), matrix.weightType(), ScalarType.FLOAT16, matrix.groupSize(),
                matrix.hasZeroPoints(), matrix.hasActOrder());
        return new ExllamaLayout().pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
    }

    private static int[] ints(HostTensor tensor) {
        return tensor.segment().toArray(INT);
    }

    private static short[] halves(HostTensor tensor) {
        return tensor.segment().toArray(HALF);
    }
}
