package dev.qlinear.marlin;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.layouts.MarlinLayout;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntBinaryOperator;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel's packer: words computed by hand for tiny layers, every code back where the kernels' own index
 * arithmetic ({@code marlin_repack_w4}) reads it, and, through {@code prepare} into host memory standing in for a GPU
 * (as the conformance suite's layout cases do it), core's reference packer bit for bit.
 */
final class TestMarlinPacker {

    private static final MarlinKernel KERNEL = new MarlinKernel(TestMarlinKernel.BUILT, MarlinSettings.of(Optional.empty(), Optional.empty()));
    private static final CpuDevice STAND_IN = new CpuDevice(Platform.parse("cuda:sm_90"));

    @ParameterizedTest(name = "K={0} N={1} {2} G={3} act-order={4} {5} activations, scales {6}")
    @CsvSource({
            "128, 64, uint4b8, 32, false, float16, float16",
            "256, 192, uint4, 64, true, bfloat16, float32",
            "384, 128, uint4b8, -1, false, bfloat16, bfloat16",
            "512, 64, uint4, 128, false, float16, float16",
            "128, 128, uint4b8, 128, false, float16, float32",
            "1024, 320, uint4, 32, true, float16, bfloat16",
            "256, 64, uint4b8, 64, true, bfloat16, float16",
            "640, 256, uint4, -1, false, bfloat16, float32"})
    void equalsTheReferencePackerBitForBit(int k, int n, String type, int groupSize, boolean actOrder, String activation, String scaleType) {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(k * 31L + n), k, n, ScalarType.parse(type), groupSize, actOrder,
                    ScalarType.parse(activation), ScalarType.parse(scaleType), true, arena);
            Map<String, HostTensor> expected = new MarlinLayout().pack(layer.config(), layer.weights(), arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN)) {
                Map<String, Tensor> actual = prepared.layoutTensors();
                assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                assertThat(actual.containsKey("zeros")).isEqualTo(type.equals("uint4"));
                assertThat(actual.containsKey("perm")).isEqualTo(actOrder);
                for (Map.Entry<String, HostTensor> entry : expected.entrySet()) {
                    HostTensor tensor = (HostTensor) actual.get(entry.getKey());
                    assertThat(tensor.contentEquals(entry.getValue())).as("tensor %s %s vs %s", entry.getKey(), tensor, entry.getValue()).isTrue();
                }
                long groups = groupSize == -1 ? 1 : k / groupSize;
                long bytes = 4L * k / 16 * 2 * n + 2L * groups * n + (type.equals("uint4") ? 4L * groups * n / 8 : 0) + (actOrder ? 4L * k : 0) + 2L * n;
                assertThat(prepared.deviceBytes()).isEqualTo(bytes);
            }
        }
    }

    @Test
    void placesSingleCodesInTheWordsAndNibblesWorkedOutByHand() {
        // K = 32, N = 128, all codes 0 but one
        // (k, n) = (0, 0): tile row 0, word 0 (lane 0), nibble 0
        assertThat(singleCode(0, 0, 0x7)).containsEntry(0, 0x7);
        // (9, 8): lane 4 * 0 + (9 % 8) / 2 = 0, word 0; nibble 2 * 1 (second column half) + 1 (row half) + 4 (odd row) = 7
        assertThat(singleCode(9, 8, 0x5)).containsEntry(0, 0x50000000);
        // (6, 21): sub-tile 1, lane 4 * 5 + 3 = 23, word 32 + 23 = 55; nibble 0 + 0 + 0 = 0
        assertThat(singleCode(6, 21, 0x3)).containsEntry(55, 0x3);
        // (19, 77): tile row 1 (words 256..511), tile 1, sub-tile 0, lane 4 * 5 + 1 = 21: word 256 + 128 + 21 = 405;
        // nibble 2 * 1 + 0 + 4 = 6
        assertThat(singleCode(19, 77, 0xB)).containsEntry(405, 0x0B000000);
        // (31, 127): tile row 1, tile 1, sub-tile 3, lane 4 * 7 + 3 = 31: word 256 + 128 + 96 + 31 = 511; nibble 2 + 1 + 4 = 7
        assertThat(singleCode(31, 127, 0xF)).containsEntry(511, 0xF0000000);
    }

    @Test
    void placesAPatternOfCodesAsWorkedOutByHand() {
        // K = 16, N = 64, code (k, n) = (k + 2n) % 16. Word 9 is lane 9 of sub-tile 0: t = 1, rows 2, 3, 10, 11 of columns
        // 2 and 10; nibbles p0..p7 are (2, 2), (10, 2), (2, 10), (10, 10), (3, 2), (11, 2), (3, 10), (11, 10):
        // codes 6, 14, 6, 14, 7, 15, 7, 15, read from p7 down: 0xF7F7E6E6
        int[] words = marlinCodes(16, 64, (row, column) -> (row + 2 * column) % 16, null);
        assertThat(words[9]).isEqualTo(0xF7F7E6E6);
        // word 100 is lane 4 of sub-tile 3: t = 0, rows 0, 1, 8, 9 of columns 48 + 1 = 49 and 57:
        // (0, 49) 98 % 16 = 2, (8, 49) 10, (0, 57) 114 % 16 = 2, (8, 57) 10, (1, 49) 3, (9, 49) 11, (1, 57) 3, (9, 57) 11: 0xB3B3A2A2
        assertThat(words[100]).isEqualTo(0xB3B3A2A2);
    }

    @Test
    void actOrderPlacesTheRowsOfPermInTheirPermutedPlaces() {
        // K = 16, N = 64, G = 8, code (k, n) = k: the rows of group 0 are 15, 13, 11, 9, 7, 5, 3, 1 sorted, the rest group 1
        int[] groupIndex = new int[16];
        for (int row = 0; row < 16; row++) {
            groupIndex[row] = row % 2 == 1 ? 0 : 1;
        }
        try (Arena arena = Arena.ofConfined()) {
            QuantizedMatrix matrix = matrix(UINT4B8, 16, 64, 8, (row, column) -> row, Optional.empty(), Optional.of(groupIndex));
            MarlinPacker.Packed packed = MarlinPacker.pack(config(matrix, FLOAT16), CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            assertThat(packed.perm().orElseThrow().segment().toArray(MarlinPacker.INT)).containsExactly(1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14);
            int[] words = packed.marlinCodes(arena).segment().toArray(MarlinPacker.INT);
            // lane 0 holds permuted rows 0, 1, 8, 9 = rows 1, 3, 0, 2: p0..p7 = 1, 0, 1, 0, 3, 2, 3, 2, so 0x23230101
            assertThat(words[0]).isEqualTo(0x23230101);
            // lane 2 holds permuted rows 4, 5, 12, 13 = rows 9, 11, 8, 10: p0..p7 = 9, 8, 9, 8, 11, 10, 11, 10: 0xABAB8989
            assertThat(words[2]).isEqualTo(0xABAB8989);
        }
    }

    @Test
    void everyCodeReadsBackThroughTheKernelsIndexArithmetic() {
        // K = 64, N = 192, G = 32 under act-order, random codes: decoding each word as marlin_repack_w4 builds it
        // (word -> tile, sub-tile, lane; nibble p -> column half (p % 4) / 2, row half p % 2, odd row p / 4) gives back
        // the code of row perm[r] at every (r, n), each exactly once
        SplittableRandom random = new SplittableRandom(11);
        int k = 64;
        int n = 192;
        int[] codes = new int[k * n];
        Arrays.setAll(codes, index -> random.nextInt(16));
        int[] groupIndex = new int[k];
        int[] shuffled = random.ints(0, k).distinct().limit(k).toArray();
        for (int position = 0; position < k; position++) {
            groupIndex[shuffled[position]] = position / 32;
        }
        try (Arena arena = Arena.ofConfined()) {
            QuantizedMatrix matrix = matrix(UINT4, k, n, 32, (row, column) -> codes[row * n + column], Optional.of(new int[2 * n]), Optional.of(groupIndex));
            MarlinPacker.Packed packed = MarlinPacker.pack(config(matrix, BFLOAT16), CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            int[] perm = packed.perm().orElseThrow().segment().toArray(MarlinPacker.INT);
            int[] words = packed.marlinCodes(arena).segment().toArray(MarlinPacker.INT);
            assertThat(words).hasSize(k / 16 * 2 * n);
            boolean[] seen = new boolean[k * n];
            for (int index = 0; index < words.length; index++) {
                int tileRow = index / (2 * n);
                int inRow = index % (2 * n);
                int chunk = inRow / 128;
                int subTile = (inRow % 128) / 32;
                int lane = inRow % 32;
                for (int p = 0; p < 8; p++) {
                    int row = 16 * tileRow + 2 * (lane % 4) + p / 4 + 8 * (p % 2);
                    int column = 64 * chunk + 16 * subTile + 8 * ((p % 4) / 2) + lane / 4;
                    assertThat((words[index] >>> (4 * p)) & 0xF).as("word %d nibble %d: row %d column %d", index, p, row, column)
                            .isEqualTo(codes[perm[row] * n + column]);
                    assertThat(seen[row * n + column]).as("row %d column %d placed twice", row, column).isFalse();
                    seen[row * n + column] = true;
                }
            }
            for (boolean element : seen) {
                assertThat(element).isTrue();
            }
            // the GPTQ words the GPU repacks from are the canonical codes, rows in natural order
            assertThat(((HostTensor) CanonicalWeights.of(matrix, Optional.empty(), arena).codes()).contentEquals(
                    HostTensor.wrap(packed.gptq().segment(), ScalarType.INT32, k / 8, n))).isTrue();
        }
    }

    @Test
    void permutesScalesAndZeroPointsAsWorkedOutByHand() {
        // K = 64, N = 64, G = 32, uint4: scale of (g, n) = 64g + n + 1, zero point n / 8 in group 0 and 15 - n / 8 in group 1
        int[] scaleBits = new int[2 * 64];
        int[] zeros = new int[2 * 64];
        for (int column = 0; column < 64; column++) {
            scaleBits[column] = Float.floatToRawIntBits(column + 1);
            scaleBits[64 + column] = Float.floatToRawIntBits(64 + column + 1);
            zeros[column] = column / 8;
            zeros[64 + column] = 15 - column / 8;
        }
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4, 64, 64, 32, FLOAT32, new int[64 * 64], scaleBits, Optional.of(zeros), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            MarlinPacker.Packed packed = MarlinPacker.pack(config(matrix, BFLOAT16), CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            assertThat(packed.scales().dtype()).isEqualTo(BFLOAT16);
            short[] scales = packed.scales().segment().toArray(MarlinPacker.HALF);
            // position 8a + b takes column 8b + a: position 1 column 8 (scale 9), position 8 column 1 (2), 11 column 25 (26)
            assertThat(bfloat16(scales[1])).isEqualTo(9.0f);
            assertThat(bfloat16(scales[8])).isEqualTo(2.0f);
            assertThat(bfloat16(scales[11])).isEqualTo(26.0f);
            assertThat(bfloat16(scales[64 + 8])).isEqualTo(66.0f);
            // zero word q of a run: transposed positions 8q .. 8q + 7 are columns q, 8 + q, .., 56 + q (z = 0..7 in group 0),
            // slot p takes position 8q + [0, 2, 4, 6, 1, 3, 5, 7][p]: 0x75316420; group 1 holds 15 - those: 0x8ACE9BDF
            int[] words = packed.zeros().orElseThrow().segment().toArray(MarlinPacker.INT);
            assertThat(words).hasSize(16);
            for (int word = 0; word < 8; word++) {
                assertThat(words[word]).isEqualTo(0x75316420);
                assertThat(words[8 + word]).isEqualTo(0x8ACE9BDF);
            }
        }
        // one group: position 8a + u of a run of 32 takes column 2a + [0, 1, 8, 9, 16, 17, 24, 25][u]
        assertThat(MarlinPacker.singleGroupColumn(2)).isEqualTo(8);
        assertThat(MarlinPacker.singleGroupColumn(8)).isEqualTo(2);
        assertThat(MarlinPacker.singleGroupColumn(15)).isEqualTo(27);
        assertThat(MarlinPacker.singleGroupColumn(32 + 31)).isEqualTo(32 + 31);
        assertThat(MarlinPacker.transposed(64 + 10)).isEqualTo(64 + 17);
    }

    @Test
    void roundsScalesToNearestEvenAndRefusesOnesTheActivationTypeCannotHold() {
        // 1 + 2^-8 is a bfloat16 tie between 0x3F80 and 0x3F81: even 0x3F80; 1 + 3 * 2^-8 ties to the even 0x3F82
        assertThat(MarlinPacker.round(1.00390625f, BFLOAT16, "s")).isEqualTo((short) 0x3F80);
        assertThat(MarlinPacker.round(1.01171875f, BFLOAT16, "s")).isEqualTo((short) 0x3F82);
        assertThat(MarlinPacker.round(1.00390625f, FLOAT16, "s")).isEqualTo((short) 0x3C04);
        assertThat(MarlinPacker.round(1.0e6f, BFLOAT16, "s")).isEqualTo((short) 0x4974);
        assertThatThrownBy(() -> MarlinPacker.round(1.0e6f, FLOAT16, "scale of group 1, column 5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scale of group 1, column 5 is 1000000.0, which float16 cannot hold");
    }

    @Test
    void refusesAnActOrderGroupThatDoesNotHoldExactlyGRows() {
        // K = 64, G = 32: group 0 gets 33 rows, group 1 gets 31
        int[] groupIndex = new int[64];
        for (int row = 0; row < 64; row++) {
            groupIndex[row] = row <= 32 ? 0 : 1;
        }
        QuantizedMatrix matrix = matrix(UINT4B8, 64, 64, 32, (row, column) -> 0, Optional.empty(), Optional.of(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(64, 64, UINT4B8, FLOAT16, 32, false, true);
            assertThatThrownBy(() -> MarlinPacker.pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("act-order group 0 holds 33 rows; the marlin layout needs exactly G=32 rows in every group, as GPTQ act-order makes them");
        }
    }

    @Test
    void refusesWeightsThatDoNotMatchTheConfig() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(3), 256, 64, UINT4B8, 64, false, FLOAT16, FLOAT16, false, arena);
            WeightOnlyConfig other = WeightOnlyConfig.unsharded(256, 128, UINT4B8, FLOAT16, 64, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(other, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the weights must be K=256 N=128, got K=256 N=64");
            WeightOnlyConfig actOrder = WeightOnlyConfig.unsharded(256, 64, UINT4B8, FLOAT16, 64, false, true);
            assertThatThrownBy(() -> KERNEL.prepare(actOrder, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("group index of the weights must be present, got absent");
            Layers.Layer asymmetric = Layers.random(new SplittableRandom(4), 256, 64, UINT4, 64, false, FLOAT16, FLOAT16, false, arena);
            WeightOnlyConfig uint4b8 = WeightOnlyConfig.unsharded(256, 64, UINT4B8, FLOAT16, 64, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(uint4b8, asymmetric.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight type of the weights must be uint4b8, got uint4");
        }
    }

    @Test
    void aLayerPreparedIntoHostMemoryHoldsItsLayoutButDoesNotCompute() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(5), 256, 64, UINT4, 64, true, BFLOAT16, FLOAT16, false, arena);
            PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN);
            assertThat(prepared.config()).isEqualTo(layer.config());
            assertThat(prepared).hasToString("marlin layer K=256 N=64 uint4 bfloat16 group 64 act-order");
            HostTensor input = HostTensor.allocate(arena, BFLOAT16, 1, 256);
            HostTensor output = HostTensor.allocate(arena, BFLOAT16, 1, 64);
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("marlin layer K=256 N=64 uint4 bfloat16 group 64 act-order was prepared into host memory, standing in for cuda:sm_90, "
                            + "to check its layout: marlin computes on CUDA devices");
            prepared.close();
            prepared.close();
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("marlin layer K=256 N=64 uint4 bfloat16 group 64 act-order is closed");
        }
    }

    /** The one word of a K = 32, N = 128 layer holding its only non-zero code, by index. */
    private static Map<Integer, Integer> singleCode(int row, int column, int code) {
        int[] words = marlinCodes(32, 128, (k, n) -> k == row && n == column ? code : 0, null);
        Map<Integer, Integer> nonZero = new java.util.TreeMap<>();
        for (int index = 0; index < words.length; index++) {
            if (words[index] != 0) {
                nonZero.put(index, words[index]);
            }
        }
        assertThat(nonZero).hasSize(1);
        return nonZero;
    }

    private static int[] marlinCodes(int k, int n, IntBinaryOperator code, int[] groupIndex) {
        QuantizedMatrix matrix = matrix(UINT4B8, k, n, -1, code, Optional.empty(), Optional.ofNullable(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            MarlinPacker.Packed packed = MarlinPacker.pack(config(matrix, FLOAT16), CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            HostBuffer codes = packed.marlinCodes(arena);
            assertThat(codes.dtype()).isEqualTo(ScalarType.INT32);
            assertThat(new long[] {codes.size(0), codes.size(1)}).containsExactly(k / 16, 2L * n);
            return codes.segment().toArray(MarlinPacker.INT);
        }
    }

    private static WeightOnlyConfig config(QuantizedMatrix matrix, ScalarType activation) {
        return WeightOnlyConfig.unsharded(matrix.k(), matrix.n(), matrix.weightType(), activation, matrix.groupSize(), matrix.hasZeroPoints(),
                matrix.hasActOrder());
    }

    private static QuantizedMatrix matrix(ScalarType weightType, int k, int n, int groupSize, IntBinaryOperator code, Optional<int[]> zeros,
            Optional<int[]> groupIndex) {
        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                codes[row * n + column] = code.applyAsInt(row, column);
            }
        }
        int groups = groupSize == -1 ? 1 : k / groupSize;
        int[] scales = new int[groups * n];
        Arrays.fill(scales, 0x3C00);
        return new QuantizedMatrix(weightType, k, n, groupSize, FLOAT16, codes, scales, zeros, groupIndex);
    }

    private static float bfloat16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
