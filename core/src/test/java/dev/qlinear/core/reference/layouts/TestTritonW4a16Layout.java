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
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntBinaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestTritonW4a16Layout {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void isRegisteredByName() {
        assertThat(ReferenceLayouts.find("triton-w4a16-kn8")).containsInstanceOf(TritonW4a16Layout.class);
        assertThat(ReferenceLayouts.names()).contains("canonical", "cpu-vector-w4", "exllama-gptq", "marlin", "triton-w4a16-kn8");
    }

    @Test
    void packsEightRowsOfAColumnIntoAWordLowRowFirst() {
        // uint4b8, K = 16, N = 2, channelwise: code(k, n) = (k + 3n) % 16
        QuantizedMatrix matrix = matrix(ScalarType.UINT4B8, 16, 2, -1, (row, column) -> (row + 3 * column) % 16, Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.FLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales");
            HostTensor codes = tensors.get("codes");
            assertThat(codes.dtype()).isEqualTo(ScalarType.INT32);
            assertThat(codes.shape()).containsExactly(2, 2);
            // word (0, 0): rows 0..7 = 0..7; (0, 1): rows 0..7 of column 1 = 3..10; (1, 0): 8..15; (1, 1): 11..15, 0, 1, 2
            assertThat(ints(codes)).containsExactly(0x76543210, 0xA9876543, 0xFEDCBA98, 0x210FEDCB);
            assertThat(tensors.get("scales").dtype()).isEqualTo(ScalarType.FLOAT16);
            assertThat(tensors.get("scales").shape()).containsExactly(1, 2);
        }
    }

    @Test
    void clearsTheSlotsOfRowsPastKInTheLastWord() {
        // uint4b8, K = 11, N = 2: every code 15; word row 1 holds rows 8, 9, 10 only
        QuantizedMatrix matrix = matrix(ScalarType.UINT4B8, 11, 2, -1, (row, column) -> 15, Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            HostTensor codes = pack(matrix, ScalarType.BFLOAT16, arena).get("codes");
            assertThat(codes.shape()).containsExactly(2, 2);
            assertThat(ints(codes)).containsExactly(0xFFFFFFFF, 0xFFFFFFFF, 0x00000FFF, 0x00000FFF);
        }
    }

    @Test
    void holdsOneScaleAndZeroPointRowPerGroupTheLastOnePartial() {
        // uint4, K = 40, N = 8, G = 16: groups of 16, 16 and 8 rows; scale of (g, n) = g + n / 8 + 1 (exact), z = (5g + n) % 16
        int groups = 3;
        int[] zeros = new int[groups * 8];
        int[] scales = new int[groups * 8];
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < 8; column++) {
                zeros[group * 8 + column] = (5 * group + column) % 16;
                scales[group * 8 + column] = Float.floatToFloat16(group + column / 8.0f + 1);
            }
        }
        int[] codes = new int[40 * 8];
        Arrays.setAll(codes, index -> (index / 8) % 16);
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4, 40, 8, 16, ScalarType.FLOAT16, codes, scales, Optional.of(zeros), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.FLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales", "zero_points");
            assertThat(tensors.get("codes").shape()).containsExactly(5, 8);
            assertThat(tensors.get("scales").shape()).containsExactly(3, 8);
            short[] packedScales = halves(tensors.get("scales"));
            for (int index = 0; index < scales.length; index++) {
                assertThat(packedScales[index]).as("scale %d", index).isEqualTo((short) scales[index]);
            }
            HostTensor zeroPoints = tensors.get("zero_points");
            assertThat(zeroPoints.dtype()).isEqualTo(ScalarType.UINT8);
            assertThat(zeroPoints.shape()).containsExactly(3, 8);
            byte[] raw = zeroPoints.segment().toArray(ValueLayout.JAVA_BYTE);
            for (int index = 0; index < zeros.length; index++) {
                assertThat(Byte.toUnsignedInt(raw[index])).as("zero point %d", index).isEqualTo(zeros[index]);
            }
            // word row 4 holds rows 32..39: codes 0..7 of every column
            assertThat(Arrays.copyOfRange(ints(tensors.get("codes")), 32, 40)).containsOnly(0x76543210);
        }
    }

    @Test
    void roundsScalesToNearestEvenInTheActivationType() {
        // fp32 scales: 1 + 2^-8 is a bfloat16 tie between 0x3F80 and 0x3F81 and goes to the even 0x3F80; 1 + 3 * 2^-8 goes
        // to the even 0x3F82; a hair above the first tie goes up; -(1 + 2^-8) goes to 0xBF80. float16 holds all four
        // exactly but the hair (0x3C04, 0x3C0C, 0x3C04, 0xBC04)
        float[] special = {1.00390625f, 1.01171875f, 1.00390625f + 0x1p-20f, -1.00390625f};
        int[] bits = new int[8];
        for (int column = 0; column < 8; column++) {
            bits[column] = Float.floatToRawIntBits(column < 4 ? special[column] : 1.0f);
        }
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 8, 8, -1, ScalarType.FLOAT32, new int[64], bits, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThat(halves(pack(matrix, ScalarType.BFLOAT16, arena).get("scales")))
                    .startsWith((short) 0x3F80, (short) 0x3F82, (short) 0x3F81, (short) 0xBF80, (short) 0x3F80);
            assertThat(halves(pack(matrix, ScalarType.FLOAT16, arena).get("scales")))
                    .startsWith((short) 0x3C04, (short) 0x3C0C, (short) 0x3C04, (short) 0xBC04, (short) 0x3C00);
        }
        // bfloat16 scales for float16 activations are exact (1 + 2^-7); float16 scales for bfloat16 round (1 + 2^-10 to 1)
        QuantizedMatrix bf16 = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, -1, ScalarType.BFLOAT16, new int[8], new int[] {0x3F81}, Optional.empty(),
                Optional.empty());
        QuantizedMatrix fp16 = new QuantizedMatrix(ScalarType.UINT4B8, 8, 1, -1, ScalarType.FLOAT16, new int[8], new int[] {0x3C01}, Optional.empty(),
                Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThat(halves(pack(bf16, ScalarType.FLOAT16, arena).get("scales"))).containsExactly((short) 0x3C08);
            assertThat(halves(pack(fp16, ScalarType.BFLOAT16, arena).get("scales"))).containsExactly((short) 0x3F80);
            assertThat(halves(pack(fp16, ScalarType.FLOAT16, arena).get("scales"))).containsExactly((short) 0x3C01);
        }
    }

    @Test
    void refusesWhatTheLayoutCannotHold() {
        QuantizedMatrix eightBit = matrix(ScalarType.UINT8B128, 8, 8, -1, (row, column) -> 0, Optional.empty());
        QuantizedMatrix noZeros = matrix(ScalarType.UINT4, 8, 8, -1, (row, column) -> 0, Optional.empty());
        QuantizedMatrix actOrder = new QuantizedMatrix(ScalarType.UINT4B8, 16, 8, 8, ScalarType.FLOAT16, new int[16 * 8], filled(16, 0x3C00),
                Optional.empty(), Optional.of(new int[] {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}));
        QuantizedMatrix huge = new QuantizedMatrix(ScalarType.UINT4B8, 8, 8, -1, ScalarType.FLOAT32, new int[64],
                filled(8, Float.floatToRawIntBits(1.0e6f)), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> pack(eightBit, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16-kn8 holds uint4b8 codes or uint4 codes with zero points, got uint8b128");
            assertThatThrownBy(() -> pack(noZeros, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16-kn8 holds uint4b8 codes or uint4 codes with zero points, got uint4 without zero points");
            assertThatThrownBy(() -> pack(actOrder, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16-kn8 has no act-order: its rows stay in checkpoint order, got a group index");
            assertThatThrownBy(() -> pack(huge, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("scale 1000000.0 of group 0, column 0 overflows float16 in triton-w4a16-kn8");
            // bfloat16 holds it: 1e6 rounds to 999424 (0x4974)
            assertThat(halves(pack(huge, ScalarType.BFLOAT16, arena).get("scales"))).containsOnly((short) 0x4974);
            assertThatThrownBy(() -> pack(matrix(ScalarType.UINT4B8, 8, 8, -1, (row, column) -> 0, Optional.empty()), ScalarType.FLOAT32, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16-kn8 holds scales in the activation type, float16 or bfloat16, got float32");
            QuantizedWeights scaledMm = new QuantizedWeights.ScaledMm(HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, 1, 1),
                    HostTensor.allocate(arena, ScalarType.FLOAT32, 1), Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> new TritonW4a16Layout().pack(WeightOnlyConfig.unsharded(8, 8, ScalarType.UINT4B8, ScalarType.FLOAT16, -1, false, false),
                    scaledMm, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16-kn8 holds weight-only weights, got ScaledMm");
        }
    }

    private static QuantizedMatrix matrix(ScalarType weightType, int k, int n, int groupSize, IntBinaryOperator code, Optional<int[]> zeros) {
        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                codes[row * n + column] = code.applyAsInt(row, column);
            }
        }
        int groups = groupSize == -1 ? 1 : Math.ceilDiv(k, groupSize);
        return new QuantizedMatrix(weightType, k, n, groupSize, ScalarType.FLOAT16, codes, filled(groups * n, 0x3C00), zeros, Optional.empty());
    }

    private static int[] filled(int length, int value) {
        int[] values = new int[length];
        Arrays.fill(values, value);
        return values;
    }

    private static Map<String, HostTensor> pack(QuantizedMatrix matrix, ScalarType activationType, Arena arena) {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(matrix.k(), matrix.n(), matrix.weightType(), activationType, matrix.groupSize(),
                matrix.hasZeroPoints(), matrix.hasActOrder());
        return new TritonW4a16Layout().pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
    }

    private static int[] ints(HostTensor tensor) {
        return tensor.segment().toArray(INT);
    }

    private static short[] halves(HostTensor tensor) {
        return tensor.segment().toArray(HALF);
    }
}
