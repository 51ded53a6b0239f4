package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerConfig;
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
 * The reference packer of {@code exllama-gptq}, the layout of the exllama plugin's GPTQ kernel, written from this
 * definition alone (KERNELS.md §6.3). For codes of b bits (4 or 8), pf = 32 / b codes per word, K rows, N columns and
 * groups of G rows (one group of K when channelwise):
 *
 * <ul>
 *   <li><b>Row order.</b> Without act-order, permuted row r is row r. Under act-order the rows are sorted by their
 *       group ({@code g_idx}), stably, so rows of one group keep ascending order; permuted row r is row
 *       {@code perm[r]}.</li>
 *   <li>{@code perm}, int32 {@code [K]}, only under act-order: that order.</li>
 *   <li>{@code codes}, int32 {@code [K / pf, N]}: bits {@code [b·i, b·i + b)} of word (w, n) hold the code of permuted
 *       row {@code pf·w + e(i)} at column n, where for 4-bit codes {@code e = [0, 2, 4, 6, 1, 3, 5, 7]} (the per-word
 *       nibble shuffle: codes 2p and 2p + 1 land at bits 4p and 16 + 4p) and for 8-bit codes {@code e(i) = i}.</li>
 *   <li>{@code scales}, float16 {@code [groups, N]}: the scale of group g at column n rounded to nearest-even float16
 *       (exact for float16 scales); a scale float16 cannot hold is an error.</li>
 * </ul>
 * Symmetric weights only (uint4b8, uint8b128): no zero points. All values are little-endian.
 */
public final class ExllamaLayout implements ReferenceLayout {

    public static final String NAME = "exllama-gptq";

    private static final int[] NIBBLE_ORDER = {0, 2, 4, 6, 1, 3, 5, 7};
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
        QuantizedMatrix matrix = ReferenceLayout.weightOnlyMatrix(NAME, weights);
        if (!matrix.weightType().equals(ScalarType.UINT4B8) && !matrix.weightType().equals(ScalarType.UINT8B128)) {
            throw new IllegalArgumentException(NAME + " holds uint4b8 or uint8b128 codes, got " + matrix.weightType());
        }
        int bits = matrix.weightType().sizeBits();
        int perWord = 32 / bits;
        int k = matrix.k();
        int n = matrix.n();
        if (k % perWord != 0) {
            throw new IllegalArgumentException(NAME + " packs whole words: K=" + k + " is not a multiple of " + perWord);
        }
        int[] order = IntStream.range(0, k).boxed()
                .sorted(Comparator.comparingInt(matrix::groupOf).thenComparingInt(row -> row))
                .mapToInt(Integer::intValue)
                .toArray();

        HostTensor codes = HostTensor.allocate(arena, ScalarType.INT32, k / perWord, n);
        for (int word = 0; word < k / perWord; word++) {
            for (int column = 0; column < n; column++) {
                int value = 0;
                for (int slot = 0; slot < perWord; slot++) {
                    int element = bits == 4 ? NIBBLE_ORDER[slot] : slot;
                    value |= matrix.code(order[perWord * word + element], column) << (bits * slot);
                }
                codes.segment().setAtIndex(INT, (long) word * n + column, value);
            }
        }

        int groups = matrix.groupCount();
        HostTensor scales = HostTensor.allocate(arena, ScalarType.FLOAT16, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                double scale = matrix.scale(group, column);
                short half = Float.floatToFloat16((float) scale);
                if (Float.isInfinite(Float.float16ToFloat(half))) {
                    throw new IllegalArgumentException("scale " + scale + " of group " + group + ", column " + column + " overflows float16 in " + NAME);
                }
                scales.segment().setAtIndex(HALF, (long) group * n + column, half);
            }
        }

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("codes", codes);
        tensors.put("scales", scales);
        if (matrix.hasActOrder()) {
            tensors.put("perm", HostTensor.ofInts(order, k));
        }
        return tensors;
    }
}
