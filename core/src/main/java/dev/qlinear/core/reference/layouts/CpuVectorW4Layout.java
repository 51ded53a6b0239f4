package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The reference packer of {@code cpu-vector-w4}, the layout of the cpu-vector plugin's W4A16 kernel, written from
 * this definition alone:
 *
 * <ul>
 *   <li><b>Slots.</b> The K rows are listed group by group, {@code g = 0, 1, ...}, each group's rows in ascending order
 *       ({@code g(k) = k div G}, or {@code g_idx[k]} under act-order; without act-order slot s is row s). After each
 *       group come empty slots until the slot count is a multiple of 8. Word w is slots {@code [8w, 8w + 8)}.</li>
 *   <li><b>Blocks.</b> Column block b is columns {@code [16b, 16b + 16)}; the last block is padded past N.</li>
 *   <li>{@code codes}, int32 {@code [ceil(N/16), words, 16]}: element (b, w, j) holds, in bits {@code [4i, 4i + 4)},
 *       the 4-bit code of the row in slot {@code 8w + i} at column {@code 16b + j}; 0 for an empty slot or a column
 *       past N.</li>
 *   <li>{@code scales}, float32 {@code [ceil(N/16), groups, 16]}: element (b, g, j) is the scale of group g at
 *       column {@code 16b + j}, converted exactly to float32.</li>
 *   <li>{@code zero_scales}, float32 {@code [ceil(N/16), groups, 16]}: the float32 product {@code (float) (-z) · s}
 *       of the same scale and the group's zero point z (the explicit one; 8 for uint4b8; 0 for uint4 without zero
 *       points), rounded nearest-even (exact for fp16 and bf16 scales).</li>
 *   <li>Columns past N hold +0.0 in {@code scales} and {@code zero_scales}.</li>
 *   <li>{@code slot_rows}, int32 {@code [words · 8]}: the row in each slot, -1 for an empty slot.</li>
 *   <li>{@code group_words}, int32 {@code [groups + 1]}: the first word of each group, then the word count.</li>
 * </ul>
 * All values are little-endian.
 */
public final class CpuVectorW4Layout implements ReferenceLayout {

    public static final String NAME = "cpu-vector-w4";

    private static final int BLOCK = 16;
    private static final int SLOTS_PER_WORD = 8;
    private static final int EMPTY = -1;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        if (matrix.weightType().sizeBits() != 4) {
            throw new IllegalArgumentException(NAME + " holds 4-bit codes, got " + matrix.weightType());
        }
        int k = matrix.k();
        int n = matrix.n();
        int groups = matrix.groupCount();
        int blocks = (n + BLOCK - 1) / BLOCK;

        List<Integer> slots = new ArrayList<>();
        int[] groupWords = new int[groups + 1];
        for (int group = 0; group < groups; group++) {
            groupWords[group] = slots.size() / SLOTS_PER_WORD;
            for (int row = 0; row < k; row++) {
                if (matrix.groupOf(row) == group) {
                    slots.add(row);
                }
            }
            while (slots.size() % SLOTS_PER_WORD != 0) {
                slots.add(EMPTY);
            }
        }
        int words = slots.size() / SLOTS_PER_WORD;
        groupWords[groups] = words;

        HostTensor codes = HostTensor.allocate(arena, ScalarType.INT32, blocks, words, BLOCK);
        for (int block = 0; block < blocks; block++) {
            for (int word = 0; word < words; word++) {
                for (int lane = 0; lane < BLOCK; lane++) {
                    int column = block * BLOCK + lane;
                    int value = 0;
                    for (int i = 0; i < SLOTS_PER_WORD; i++) {
                        int row = slots.get(word * SLOTS_PER_WORD + i);
                        if (row != EMPTY && column < n) {
                            value |= matrix.code(row, column) << (4 * i);
                        }
                    }
                    codes.segment().setAtIndex(INT, ((long) block * words + word) * BLOCK + lane, value);
                }
            }
        }

        HostTensor scales = HostTensor.allocate(arena, ScalarType.FLOAT32, blocks, groups, BLOCK);
        HostTensor zeroScales = HostTensor.allocate(arena, ScalarType.FLOAT32, blocks, groups, BLOCK);
        for (int block = 0; block < blocks; block++) {
            for (int group = 0; group < groups; group++) {
                for (int lane = 0; lane < BLOCK; lane++) {
                    int column = block * BLOCK + lane;
                    long at = ((long) block * groups + group) * BLOCK + lane;
                    float scale = 0.0f;
                    float zeroScale = 0.0f;
                    if (column < n) {
                        scale = (float) matrix.scale(group, column);
                        zeroScale = (float) (-matrix.zeroPoint(group, column)) * scale;
                    }
                    scales.segment().setAtIndex(FLOAT, at, scale);
                    zeroScales.segment().setAtIndex(FLOAT, at, zeroScale);
                }
            }
        }

        HostTensor slotRows = HostTensor.allocate(arena, ScalarType.INT32, slots.size());
        for (int slot = 0; slot < slots.size(); slot++) {
            slotRows.segment().setAtIndex(INT, slot, slots.get(slot));
        }
        HostTensor groupWordTensor = HostTensor.allocate(arena, ScalarType.INT32, groups + 1);
        for (int group = 0; group <= groups; group++) {
            groupWordTensor.segment().setAtIndex(INT, group, groupWords[group]);
        }

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("codes", codes);
        tensors.put("scales", scales);
        tensors.put("zero_scales", zeroScales);
        tensors.put("slot_rows", slotRows);
        tensors.put("group_words", groupWordTensor);
        return tensors;
    }
}
