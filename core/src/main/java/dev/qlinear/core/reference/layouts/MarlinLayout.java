package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

import static java.util.Objects.requireNonNull;

/**
 * The reference packer of {@code marlin}, the layout of Marlin-class 4-bit tensor-core kernels, written from this
 * definition alone. For 4-bit codes (uint4b8, or uint4 with explicit zero points), K rows, N columns (K a multiple of
 * 16, N a multiple of 64) and groups of G rows (one group when channelwise or G = K):
 *
 * <ul>
 *   <li><b>Row order.</b> Without act-order, permuted row r is row r. Under act-order the rows are sorted by their
 *       group ({@code g_idx}), stably, so rows of one group keep ascending order; permuted row r is row
 *       {@code perm[r]}.</li>
 *   <li>{@code codes}, int32 {@code [K / 16, 2N]}: the code of permuted row k at column n lies in bits
 *       {@code [4p, 4p + 4)} of word {@code w = 128·(n / 64) + 32·((n % 64) / 16) + i} of row {@code k / 16}, with lane
 *       {@code i = 4·(n % 8) + (k % 8) / 2} and nibble {@code p = 2·((n % 16) / 8) + (k % 16) / 8 + 4·(k % 2)}. Each
 *       word is the B-operand fragment of {@code mma.m16n8k16} for one lane of a 16 x 16 sub-tile: lane i holds rows
 *       {@code 2t, 2t + 1, 2t + 8, 2t + 9} ({@code t = i % 4}) of column {@code i / 4} in each 8-column half.</li>
 *   <li>{@code scales}, {@code [groups, N]} in the activation type (float16 or bfloat16): the scale of group g at
 *       column n rounded to nearest-even in that type (a scale it cannot hold is an error), then permuted along N.
 *       With more than one group, each run of 64 columns is transposed as an 8 x 8 block: position {@code 8a + b}
 *       takes position {@code 8b + a}. With one group, each run of 32 columns is reordered so that position
 *       {@code 8a + u} takes position {@code 2a + J[u]}, {@code J = [0, 1, 8, 9, 16, 17, 24, 25]}.</li>
 *   <li>{@code zeros}, int32 {@code [groups, N / 8]}, only for uint4 with zero points: the zero points of each group
 *       row, transposed as 8 x 8 blocks in runs of 64 (whatever the group count), then each run of 8 transposed
 *       positions reordered so that slot p holds position {@code 8q + IL[p]}, {@code IL = [0, 2, 4, 6, 1, 3, 5, 7]},
 *       and packed into word (g, q) with slot p at bits {@code [4p, 4p + 4)}.</li>
 *   <li>{@code perm}, int32 {@code [K]}, only under act-order: the row order.</li>
 * </ul>
 * Codes are the stored codes 0..15; the zero points are the true ones, {@code w = (q - z)·s}. All values are
 * little-endian.
 */
public final class MarlinLayout implements ReferenceLayout {

    public static final String NAME = "marlin";

    private static final int TILE_K = 16;
    private static final int TILE_N = 64;
    private static final int[] SINGLE_GROUP_OFFSETS = {0, 1, 8, 9, 16, 17, 24, 25};
    private static final int[] ZERO_INTERLEAVE = {0, 2, 4, 6, 1, 3, 5, 7};
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Arena arena) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(arena, "arena is null");
        if (!(config instanceof WeightOnlyConfig weightOnly)) {
            throw new IllegalArgumentException(NAME + " needs a weight-only layer config, got " + config.getClass().getSimpleName());
        }
        QuantizedMatrix matrix = ReferenceLayout.weightOnlyMatrix(NAME, weights);
        ScalarType weightType = matrix.weightType();
        if (!weightType.equals(ScalarType.UINT4B8) && !(weightType.equals(ScalarType.UINT4) && matrix.hasZeroPoints())) {
            throw new IllegalArgumentException(NAME + " holds uint4b8 codes or uint4 codes with zero points, got " + weightType
                    + (weightType.equals(ScalarType.UINT4) ? " without zero points" : ""));
        }
        ScalarType scaleType = weightOnly.activationType();
        if (!scaleType.equals(ScalarType.FLOAT16) && !scaleType.equals(ScalarType.BFLOAT16)) {
            throw new IllegalArgumentException(NAME + " holds scales in the activation type, float16 or bfloat16, got " + scaleType);
        }
        int k = matrix.k();
        int n = matrix.n();
        if (k % TILE_K != 0) {
            throw new IllegalArgumentException(NAME + " tiles K by " + TILE_K + ": K=" + k + " is not a multiple of " + TILE_K);
        }
        if (n % TILE_N != 0) {
            throw new IllegalArgumentException(NAME + " tiles N by " + TILE_N + ": N=" + n + " is not a multiple of " + TILE_N);
        }
        int[] order = IntStream.range(0, k).boxed()
                .sorted(Comparator.comparingInt(matrix::groupOf).thenComparingInt(row -> row))
                .mapToInt(Integer::intValue)
                .toArray();

        int wordsPerRow = 2 * n;
        int[] words = new int[k / TILE_K * wordsPerRow];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                int lane = 4 * (column % 8) + (row % 8) / 2;
                int word = 128 * (column / 64) + 32 * ((column % 64) / 16) + lane;
                int nibble = 2 * ((column % 16) / 8) + (row % 16) / 8 + 4 * (row % 2);
                words[row / TILE_K * wordsPerRow + word] |= matrix.code(order[row], column) << (4 * nibble);
            }
        }
        HostTensor codes = HostTensor.allocate(arena, ScalarType.INT32, k / TILE_K, wordsPerRow);
        for (int index = 0; index < words.length; index++) {
            codes.segment().setAtIndex(INT, index, words[index]);
        }

        int groups = matrix.groupCount();
        HostTensor scales = HostTensor.allocate(arena, scaleType, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int position = 0; position < n; position++) {
                int column = groups > 1 ? transposed(position) : singleGroupColumn(position);
                double scale = matrix.scale(group, column);
                short bits = scaleType.equals(ScalarType.FLOAT16) ? Float.floatToFloat16((float) scale) : floatToBfloat16((float) scale);
                float rounded = scaleType.equals(ScalarType.FLOAT16) ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
                if (Float.isInfinite(rounded)) {
                    throw new IllegalArgumentException("scale " + scale + " of group " + group + ", column " + column + " overflows " + scaleType + " in " + NAME);
                }
                scales.segment().setAtIndex(HALF, (long) group * n + position, bits);
            }
        }

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("codes", codes);
        tensors.put("scales", scales);
        if (matrix.hasZeroPoints()) {
            HostTensor zeros = HostTensor.allocate(arena, ScalarType.INT32, groups, n / 8);
            for (int group = 0; group < groups; group++) {
                for (int word = 0; word < n / 8; word++) {
                    int value = 0;
                    for (int slot = 0; slot < 8; slot++) {
                        value |= matrix.zeroPoint(group, transposed(8 * word + ZERO_INTERLEAVE[slot])) << (4 * slot);
                    }
                    zeros.segment().setAtIndex(INT, (long) group * (n / 8) + word, value);
                }
            }
            tensors.put("zeros", zeros);
        }
        if (matrix.hasActOrder()) {
            tensors.put("perm", HostTensor.ofInts(order, k));
        }
        return tensors;
    }

    /** The column at position {@code 8a + b} of a run of 64 transposed as an 8 x 8 block: {@code 8b + a}. */
    private static int transposed(int position) {
        int run = position / 64;
        int within = position % 64;
        return 64 * run + 8 * (within % 8) + within / 8;
    }

    /** The column at position {@code 8a + u} of a run of 32 with one group: {@code 2a + J[u]}. */
    private static int singleGroupColumn(int position) {
        int run = position / 32;
        int within = position % 32;
        return 32 * run + 2 * (within / 8) + SINGLE_GROUP_OFFSETS[within % 8];
    }

    /** Rounds a float to nearest-even bfloat16 (the upper 16 bits of its float32 pattern); NaN stays a quiet NaN. */
    static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }
}
