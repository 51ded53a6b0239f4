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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntBinaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestMarlinLayout {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Columns in the order of one 64-column run of permuted scales with several groups: an 8 x 8 transpose. */
    private static final int[] TRANSPOSE_64 = {
            0, 8, 16, 24, 32, 40, 48, 56,
            1, 9, 17, 25, 33, 41, 49, 57,
            2, 10, 18, 26, 34, 42, 50, 58,
            3, 11, 19, 27, 35, 43, 51, 59,
            4, 12, 20, 28, 36, 44, 52, 60,
            5, 13, 21, 29, 37, 45, 53, 61,
            6, 14, 22, 30, 38, 46, 54, 62,
            7, 15, 23, 31, 39, 47, 55, 63};

    /** Columns in the order of one 32-column run of permuted scales with one group. */
    private static final int[] SINGLE_GROUP_32 = {
            0, 1, 8, 9, 16, 17, 24, 25,
            2, 3, 10, 11, 18, 19, 26, 27,
            4, 5, 12, 13, 20, 21, 28, 29,
            6, 7, 14, 15, 22, 23, 30, 31};

    @Test
    void isRegisteredByName() {
        assertThat(ReferenceLayouts.find("marlin")).containsInstanceOf(MarlinLayout.class);
        assertThat(ReferenceLayouts.names()).contains("canonical", "cpu-vector-w4", "exllama-gptq", "marlin");
    }

    @Test
    void placesCodesAsMmaFragmentsOfEachLane() {
        // uint4b8, K = 16, N = 64, channelwise: code(k, n) = (k + n) % 16
        QuantizedMatrix matrix = matrix(ScalarType.UINT4B8, 16, 64, -1, (row, column) -> (row + column) % 16, Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.FLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales");
            HostTensor codes = tensors.get("codes");
            assertThat(codes.dtype()).isEqualTo(ScalarType.INT32);
            assertThat(codes.shape()).containsExactly(1, 128);
            int[] words = ints(codes);
            // word 0 = lane 0 of sub-tile 0 (columns 0..15): t = 0, so rows 0, 1, 8, 9 of column 0 (first 8-column half)
            // and of column 8 (second half). Nibbles p0..p7 are (k, n) = (0, 0), (8, 0), (0, 8), (8, 8), (1, 0), (9, 0),
            // (1, 8), (9, 8): codes 0, 8, 8, 0, 1, 9, 9, 1, so reading p7 down to p0 the word is 0x19910880
            assertThat(words[0]).isEqualTo(0x19910880);
            // word 37 = sub-tile 1 (columns 16..31), lane 5: t = 1, rows 2, 3, 10, 11 of columns 16 + 5 / 4 = 17 and 25.
            // p0..p7 are (2, 17), (10, 17), (2, 25), (10, 25), (3, 17), (11, 17), (3, 25), (11, 25):
            // codes 3, 11, 11, 3, 4, 12, 12, 4, so the word is 0x4CC43BB3
            assertThat(words[37]).isEqualTo(0x4CC43BB3);
            // word 127 = sub-tile 3 (columns 48..63), lane 31: t = 3, rows 6, 7, 14, 15 of columns 55 and 63.
            // p0..p7 are (6, 55), (14, 55), (6, 63), (14, 63), (7, 55), (15, 55), (7, 63), (15, 63):
            // codes 13, 5, 5, 13, 14, 6, 6, 14, so the word is 0xE66ED55D
            assertThat(words[127]).isEqualTo(0xE66ED55D);
            assertEveryCodeLandsWhereTheInverseSays(matrix, codes);
        }
    }

    @Test
    void everyCodeOfSeveralTilesRoundTripsThroughTheInverse() {
        // K = 32, N = 128: two tile rows and two 64-column tiles. Five code patterns, which together name every
        // element's row and column, so a code placed anywhere else than the inverse says shows in one of them
        List<IntBinaryOperator> patterns = List.of(
                (row, column) -> (row + column) % 16,
                (row, column) -> row % 16,
                (row, column) -> row / 16,
                (row, column) -> column % 16,
                (row, column) -> column / 16);
        try (Arena arena = Arena.ofConfined()) {
            for (IntBinaryOperator pattern : patterns) {
                QuantizedMatrix matrix = matrix(ScalarType.UINT4B8, 32, 128, 16, pattern, Optional.empty(), Optional.empty());
                HostTensor codes = pack(matrix, ScalarType.FLOAT16, arena).get("codes");
                assertThat(codes.shape()).containsExactly(2, 256);
                assertEveryCodeLandsWhereTheInverseSays(matrix, codes);
            }
        }
    }

    @Test
    void transposesScalesInRunsOf64WithSeveralGroups() {
        // uint4b8, K = 16, N = 64, G = 8: the scale of (g, n) is 64g + n + 1, exact in float16 and bfloat16
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 16, 64, 8, ScalarType.FLOAT32, new int[16 * 64],
                floatBits(2, 64, (group, column) -> 64 * group + column + 1), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            for (ScalarType activation : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
                HostTensor scales = pack(matrix, activation, arena).get("scales");
                assertThat(scales.dtype()).isEqualTo(activation);
                assertThat(scales.shape()).containsExactly(2, 64);
                short[] values = halves(scales);
                // position 1 takes column 8, position 8 column 1, position 10 (a = 1, b = 2) column 17, position 63 stays
                assertThat(value(activation, values[1])).isEqualTo(9.0f);
                assertThat(value(activation, values[8])).isEqualTo(2.0f);
                assertThat(value(activation, values[10])).isEqualTo(18.0f);
                assertThat(value(activation, values[63])).isEqualTo(64.0f);
                for (int group = 0; group < 2; group++) {
                    for (int position = 0; position < 64; position++) {
                        assertThat(value(activation, values[64 * group + position]))
                                .as("%s scale of group %d at position %d", activation, group, position)
                                .isEqualTo(64.0f * group + TRANSPOSE_64[position] + 1);
                    }
                }
            }
        }
    }

    @Test
    void reordersScalesInRunsOf32WithOneGroup() {
        // uint4b8, K = 16, N = 128, channelwise: the scale of column n is n + 1; the table applies to each run of 32
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 16, 128, -1, ScalarType.FLOAT32, new int[16 * 128],
                floatBits(1, 128, (group, column) -> column + 1), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            for (ScalarType activation : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
                short[] values = halves(pack(matrix, activation, arena).get("scales"));
                assertThat(values).hasSize(128);
                // position 2 takes column 8, position 8 column 2, position 33 (second run) column 32 + 1
                assertThat(value(activation, values[2])).isEqualTo(9.0f);
                assertThat(value(activation, values[8])).isEqualTo(3.0f);
                assertThat(value(activation, values[33])).isEqualTo(34.0f);
                for (int position = 0; position < 128; position++) {
                    assertThat(value(activation, values[position]))
                            .as("%s scale at position %d", activation, position)
                            .isEqualTo(32.0f * (position / 32) + SINGLE_GROUP_32[position % 32] + 1);
                }
            }
        }
        // G = K is one group as well
        QuantizedMatrix wholeK = new QuantizedMatrix(ScalarType.UINT4B8, 16, 64, 16, ScalarType.FLOAT32, new int[16 * 64],
                floatBits(1, 64, (group, column) -> column + 1), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            short[] values = halves(pack(wholeK, ScalarType.FLOAT16, arena).get("scales"));
            for (int position = 0; position < 64; position++) {
                assertThat(Float.float16ToFloat(values[position])).isEqualTo(32.0f * (position / 32) + SINGLE_GROUP_32[position % 32] + 1);
            }
        }
    }

    @Test
    void roundsScalesToNearestEvenInTheActivationType() {
        // fp32 scales in columns 0..3 (positions 0, 1, 8, 9 of the one-group table), the rest 1.0:
        // 1 + 2^-8 is a bfloat16 tie between 1 (0x3F80) and 1 + 2^-7 (0x3F81) and goes to the even 0x3F80;
        // 1 + 3 * 2^-8 is a tie between 0x3F81 and 0x3F82 and goes to the even 0x3F82; a hair above the first tie goes up;
        // -(1 + 2^-8) goes to the even -1 (0xBF80). In float16 all four are exact but the hair: 0x3C04, 0x3C0C, 0x3C04, 0xBC04
        float[] special = {1.00390625f, 1.01171875f, 1.00390625f + 0x1p-20f, -1.00390625f};
        QuantizedMatrix matrix = new QuantizedMatrix(ScalarType.UINT4B8, 16, 64, -1, ScalarType.FLOAT32, new int[16 * 64],
                floatBits(1, 64, (group, column) -> column < 4 ? special[column] : 1.0f), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            short[] bf16 = halves(pack(matrix, ScalarType.BFLOAT16, arena).get("scales"));
            assertThat(new short[] {bf16[0], bf16[1], bf16[8], bf16[9], bf16[2]})
                    .containsExactly((short) 0x3F80, (short) 0x3F82, (short) 0x3F81, (short) 0xBF80, (short) 0x3F80);
            short[] fp16 = halves(pack(matrix, ScalarType.FLOAT16, arena).get("scales"));
            assertThat(new short[] {fp16[0], fp16[1], fp16[8], fp16[9], fp16[2]})
                    .containsExactly((short) 0x3C04, (short) 0x3C0C, (short) 0x3C04, (short) 0xBC04, (short) 0x3C00);
        }
        assertThat(MarlinLayout.floatToBfloat16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
        assertThat(MarlinLayout.floatToBfloat16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);
        assertThat(Float.isNaN(Float.intBitsToFloat(MarlinLayout.floatToBfloat16(Float.NaN) << 16))).isTrue();
    }

    @Test
    void packsZeroPointsTransposedAndInterleavedEvenWithOneGroup() {
        // uint4, K = 16, N = 64, channelwise, zero point of column n: z = (n / 8 + 3 * (n % 8)) % 16
        int[] zeros = new int[64];
        for (int column = 0; column < 64; column++) {
            zeros[column] = (column / 8 + 3 * (column % 8)) % 16;
        }
        QuantizedMatrix matrix = matrix(ScalarType.UINT4, 16, 64, -1, (row, column) -> row, Optional.of(zeros), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.FLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales", "zeros");
            HostTensor packed = tensors.get("zeros");
            assertThat(packed.dtype()).isEqualTo(ScalarType.INT32);
            assertThat(packed.shape()).containsExactly(1, 8);
            int[] words = ints(packed);
            // word 0: transposed positions 0..7 are columns 0, 8, .., 56 (z = 0..7); slot p takes position [0, 2, 4, 6, 1, 3, 5, 7][p],
            // columns 0, 16, 32, 48, 8, 24, 40, 56 with z = 0, 2, 4, 6, 1, 3, 5, 7: 0x75316420
            assertThat(words[0]).isEqualTo(0x75316420);
            // word 1: columns 1, 17, 33, 49, 9, 25, 41, 57 with z = 3, 5, 7, 9, 4, 6, 8, 10: 0xA8649753
            assertThat(words[1]).isEqualTo(0xA8649753);
            // word 7: columns 7, 23, 39, 55, 15, 31, 47, 63 with z = 21 % 16 = 5, 7, 9, 11, 6, 8, 10, 12: 0xCA86B975
            assertThat(words[7]).isEqualTo(0xCA86B975);
        }
    }

    @Test
    void packsEachGroupRowOfZeroPointsOnItsOwn() {
        // uint4, K = 16, N = 128, G = 8: zero point of column n is n / 8 in group 0 and 15 - n / 8 in group 1
        int[] zeros = new int[2 * 128];
        for (int column = 0; column < 128; column++) {
            zeros[column] = (column / 8) % 16;
            zeros[128 + column] = 15 - (column / 8) % 16;
        }
        QuantizedMatrix matrix = matrix(ScalarType.UINT4, 16, 128, 8, (row, column) -> 0, Optional.of(zeros), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            HostTensor packed = pack(matrix, ScalarType.BFLOAT16, arena).get("zeros");
            assertThat(packed.shape()).containsExactly(2, 16);
            int[] words = ints(packed);
            // word q of a run holds transposed positions 8q..8q+7 = columns 8j + q (z = j in group 0), slot p position j = IL[p]:
            // 0x75316420; the second run (columns 64..127) adds 8: 0xFDB9ECA8; group 1 holds 15 - those: 0x8ACE9BDF, 0x02461357
            for (int word = 0; word < 8; word++) {
                assertThat(words[word]).isEqualTo(0x75316420);
                assertThat(words[8 + word]).isEqualTo(0xFDB9ECA8);
                assertThat(words[16 + word]).isEqualTo(0x8ACE9BDF);
                assertThat(words[24 + word]).isEqualTo(0x02461357);
            }
        }
    }

    @Test
    void actOrderSortsRowsByGroupStablyAndEmitsPerm() {
        // uint4b8, K = 16, N = 64, G = 8: rows 1, 3, 4, 6, 9, 10, 12, 15 are in group 0, the others in group 1; code(k, n) = k
        int[] groupIndex = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0};
        QuantizedMatrix matrix = matrix(ScalarType.UINT4B8, 16, 64, 8, (row, column) -> row, Optional.empty(), Optional.of(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.FLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales", "perm");
            int[] perm = {1, 3, 4, 6, 9, 10, 12, 15, 0, 2, 5, 7, 8, 11, 13, 14};
            assertThat(tensors.get("perm").shape()).containsExactly(16);
            assertThat(ints(tensors.get("perm"))).containsExactly(perm);
            int[] words = ints(tensors.get("codes"));
            // lane 0 holds permuted rows 0, 1, 8, 9 = rows 1, 3, 0, 2; p0..p7 = rows 1, 0, 1, 0, 3, 2, 3, 2: 0x23230101
            assertThat(words[0]).isEqualTo(0x23230101);
            // lane 3 holds permuted rows 6, 7, 14, 15 = rows 12, 15, 13, 14; p0..p7 = 12, 13, 12, 13, 15, 14, 15, 14: 0xEFEFDCDC
            assertThat(words[3]).isEqualTo(0xEFEFDCDC);
            // the whole codes tensor is that of the matrix whose rows are physically in perm order
            QuantizedMatrix sorted = matrix(ScalarType.UINT4B8, 16, 64, 8, (row, column) -> perm[row], Optional.empty(), Optional.empty());
            assertThat(ints(pack(sorted, ScalarType.FLOAT16, arena).get("codes"))).containsExactly(words);
        }
    }

    @Test
    void actOrderWithZeroPointsKeepsTheTensorOrder() {
        int[] groupIndex = {1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0};
        QuantizedMatrix matrix = matrix(ScalarType.UINT4, 16, 64, 8, (row, column) -> row, Optional.of(new int[2 * 64]), Optional.of(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = pack(matrix, ScalarType.BFLOAT16, arena);
            assertThat(tensors.keySet()).containsExactly("codes", "scales", "zeros", "perm");
            assertThat(ints(tensors.get("perm"))).containsExactly(2, 3, 6, 7, 10, 11, 14, 15, 0, 1, 4, 5, 8, 9, 12, 13);
        }
    }

    @Test
    void refusesShapesTypesAndScalesOutsideTheLayout() {
        QuantizedMatrix shortK = matrix(ScalarType.UINT4B8, 24, 64, -1, (row, column) -> 0, Optional.empty(), Optional.empty());
        QuantizedMatrix narrowN = matrix(ScalarType.UINT4B8, 16, 32, -1, (row, column) -> 0, Optional.empty(), Optional.empty());
        QuantizedMatrix eightBit = matrix(ScalarType.UINT8B128, 16, 64, -1, (row, column) -> 0, Optional.empty(), Optional.empty());
        QuantizedMatrix noZeros = matrix(ScalarType.UINT4, 16, 64, -1, (row, column) -> 0, Optional.empty(), Optional.empty());
        QuantizedMatrix huge = new QuantizedMatrix(ScalarType.UINT4B8, 16, 64, 8, ScalarType.FLOAT32, new int[16 * 64],
                floatBits(2, 64, (group, column) -> group == 1 && column == 5 ? 1.0e6f : 1.0f), Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> pack(shortK, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin tiles K by 16: K=24 is not a multiple of 16");
            assertThatThrownBy(() -> pack(narrowN, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin tiles N by 64: N=32 is not a multiple of 64");
            assertThatThrownBy(() -> pack(eightBit, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin holds uint4b8 codes or uint4 codes with zero points, got uint8b128");
            assertThatThrownBy(() -> pack(noZeros, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin holds uint4b8 codes or uint4 codes with zero points, got uint4 without zero points");
            assertThatThrownBy(() -> pack(huge, ScalarType.FLOAT16, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("scale 1000000.0 of group 1, column 5 overflows float16 in marlin");
            // bfloat16 holds it: 1e6 rounds to 999424 (0x4974)
            short[] bf16 = halves(pack(huge, ScalarType.BFLOAT16, arena).get("scales"));
            assertThat(bf16[64 + 8 * 5]).isEqualTo((short) 0x4974);
            assertThatThrownBy(() -> pack(narrowN, ScalarType.FLOAT32, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin holds scales in the activation type, float16 or bfloat16, got float32");
            QuantizedWeights scaledMm = new QuantizedWeights.ScaledMm(HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, 1, 1),
                    HostTensor.allocate(arena, ScalarType.FLOAT32, 1), Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> new MarlinLayout().pack(WeightOnlyConfig.unsharded(16, 64, ScalarType.UINT4B8, ScalarType.FLOAT16, -1, false, false),
                    scaledMm, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin holds weight-only weights, got ScaledMm");
        }
    }

    /**
     * Checks every nibble of the codes tensor against the code the layout's inverse says it holds: word w of tensor row
     * kt is lane {@code w % 32} of sub-tile {@code (w / 32) % 4} of tile {@code w / 128}; nibble bit 0 picks the row
     * half, bit 1 the column half, bit 2 the odd row of the lane's pair.
     */
    private static void assertEveryCodeLandsWhereTheInverseSays(QuantizedMatrix matrix, HostTensor codes) {
        int rowsOfWords = Math.toIntExact(codes.size(0));
        int wordsPerRow = Math.toIntExact(codes.size(1));
        int[] words = ints(codes);
        boolean[] seen = new boolean[matrix.k() * matrix.n()];
        for (int tileRow = 0; tileRow < rowsOfWords; tileRow++) {
            for (int word = 0; word < wordsPerRow; word++) {
                int lane = word & 31;
                int subTile = (word >> 5) & 3;
                int tile = word >> 7;
                for (int nibble = 0; nibble < 8; nibble++) {
                    int row = 16 * tileRow + 8 * (nibble & 1) + 2 * (lane & 3) + (nibble >> 2);
                    int column = 64 * tile + 16 * subTile + 8 * ((nibble >> 1) & 1) + (lane >> 2);
                    int code = (words[tileRow * wordsPerRow + word] >>> (4 * nibble)) & 0xF;
                    assertThat(code).as("code at tensor row %d, word %d, nibble %d (element %d, %d)", tileRow, word, nibble, row, column)
                            .isEqualTo(matrix.code(row, column));
                    assertThat(seen[row * matrix.n() + column]).as("element %d, %d placed twice", row, column).isFalse();
                    seen[row * matrix.n() + column] = true;
                }
            }
        }
        for (boolean element : seen) {
            assertThat(element).isTrue();
        }
    }

    private static QuantizedMatrix matrix(ScalarType weightType, int k, int n, int groupSize, IntBinaryOperator code,
            Optional<int[]> zeros, Optional<int[]> groupIndex) {
        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                codes[row * n + column] = code.applyAsInt(row, column);
            }
        }
        int groups = groupSize == -1 ? 1 : k / groupSize;
        int[] scales = new int[groups * n];
        Arrays.fill(scales, 0x3C00);
        return new QuantizedMatrix(weightType, k, n, groupSize, ScalarType.FLOAT16, codes, scales, zeros, groupIndex);
    }

    private interface FloatOfGroupAndColumn {
        float apply(int group, int column);
    }

    private static int[] floatBits(int groups, int n, FloatOfGroupAndColumn scale) {
        int[] bits = new int[groups * n];
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                bits[group * n + column] = Float.floatToRawIntBits(scale.apply(group, column));
            }
        }
        return bits;
    }

    private static float value(ScalarType type, short bits) {
        return type.equals(ScalarType.FLOAT16) ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    private static Map<String, HostTensor> pack(QuantizedMatrix matrix, ScalarType activationType, Arena arena) {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(matrix.k(), matrix.n(), matrix.weightType(), activationType, matrix.groupSize(),
                matrix.hasZeroPoints(), matrix.hasActOrder());
        return new MarlinLayout().pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
    }

    private static int[] ints(HostTensor tensor) {
        return tensor.segment().toArray(INT);
    }

    private static short[] halves(HostTensor tensor) {
        return tensor.segment().toArray(HALF);
    }
}
