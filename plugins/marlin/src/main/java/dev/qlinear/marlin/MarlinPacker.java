package dev.qlinear.marlin;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.HostTensors;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Packs canonical weights for the {@value MarlinKernel#LAYOUT} layout ({@link MarlinKernel} defines it) on the host:
 * the scales, zero points and row order as the layout has them, and the codes as natural GPTQ words, which
 * {@code marlin_repack_w4} turns into the layout's {@code codes} on the GPU. {@link Packed#marlinCodes} packs those
 * codes on the host instead, from the layout's definition, for a device whose memory is host memory. The kernel's own
 * packer, checked against core's reference packer by the conformance suite.
 */
final class MarlinPacker {

    /** Within a run of 32 columns of one-group scales, position {@code 8a + u} takes column {@code 2a + SINGLE_GROUP[u]}. */
    static final int[] SINGLE_GROUP = {0, 1, 8, 9, 16, 17, 24, 25};
    /** Slot p of a zero-point word holds transposed position {@code 8q + ZERO_INTERLEAVE[p]}. */
    static final int[] ZERO_INTERLEAVE = {0, 2, 4, 6, 1, 3, 5, 7};
    /** Rows of K per tile row of the codes. */
    static final int TILE_K = 16;
    /** Columns per tile of the codes and per transposed run of the scales. */
    static final int TILE_N = 64;

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The prepared tensors in host memory, but the codes.
     *
     * @param k rows of the layer
     * @param n columns of the layer
     * @param gptq int32 {@code [K / 8, N]}: row {@code 8w + i} of column c at bits {@code [4i, 4i + 4)} of word (w, c), in
     *        natural row order (the canonical 4-bit codes)
     * @param scales {@code [groups, N]} in the activation type, permuted along N
     * @param zeros int32 {@code [groups, N / 8]}, for uint4 with zero points
     * @param perm int32 {@code [K]}, under act-order: permuted row r is row {@code perm[r]}
     * @param bias {@code [N]} in the activation type, when the layer has a bias
     */
    record Packed(int k, int n, HostBuffer gptq, HostBuffer scales, Optional<HostBuffer> zeros, Optional<HostBuffer> perm, Optional<HostBuffer> bias) {
        Packed {
            requireNonNull(gptq, "gptq is null");
            requireNonNull(scales, "scales is null");
            requireNonNull(zeros, "zeros is null");
            requireNonNull(perm, "perm is null");
            requireNonNull(bias, "bias is null");
        }

        /**
         * The layout's {@code codes}, int32 {@code [K / 16, 2N]}, packed on the host from its definition: the code of
         * permuted row r at column c lies in nibble {@code p = 2 ((c % 16) / 8) + (r % 16) / 8 + 4 (r % 2)} of word
         * {@code 128 (c / 64) + 32 ((c % 64) / 16) + 4 (c % 8) + (r % 8) / 2} of tile row {@code r / 16}.
         */
        HostBuffer marlinCodes(Arena arena) {
            requireNonNull(arena, "arena is null");
            int[] order = perm.map(buffer -> buffer.segment().toArray(INT)).orElse(null);
            MemorySegment words = gptq.segment();
            int wordsPerRow = 2 * n;
            HostBuffer codes = HostBuffer.allocate(arena, ScalarType.INT32, k / TILE_K, wordsPerRow);
            int[] tileRow = new int[wordsPerRow];
            for (int tile = 0; tile < k / TILE_K; tile++) {
                Arrays.fill(tileRow, 0);
                for (int row = TILE_K * tile; row < TILE_K * (tile + 1); row++) {
                    int source = order == null ? row : order[row];
                    long base = (long) (source / 8) * n;
                    int shift = 4 * (source % 8);
                    int lane = (row % 8) / 2;
                    int nibbleOfRow = (row % 16) / 8 + 4 * (row % 2);
                    for (int column = 0; column < n; column++) {
                        int code = (words.getAtIndex(INT, base + column) >>> shift) & 0xF;
                        int word = 128 * (column / 64) + 32 * ((column % 64) / 16) + 4 * (column % 8) + lane;
                        int nibble = 2 * ((column % 16) / 8) + nibbleOfRow;
                        tileRow[word] |= code << (4 * nibble);
                    }
                }
                MemorySegment.copy(tileRow, 0, codes.segment(), INT, (long) tile * wordsPerRow * Integer.BYTES, wordsPerRow);
            }
            return codes;
        }
    }

    private MarlinPacker() {
    }

    /**
     * @throws IllegalArgumentException naming the tensor and the rule when the weights do not fit the config, or an
     *         act-order group does not hold exactly G rows
     */
    static Packed pack(WeightOnlyConfig config, QuantizedWeights.WeightOnly weights, Arena arena) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(arena, "arena is null");
        WeightLayout layout = weights.layout();
        int k = config.k();
        int n = config.n();
        int groups = config.groupCount();
        ScalarType activation = config.activationType();
        HostTensors.requireThat(layout.weightType().equals(config.weightType()), "weight type of the weights", config.weightType().name(), layout.weightType().name());
        HostTensors.requireThat(config.weightType().sizeBits() == 4, "weight type", "4-bit", config.weightType().name());
        HostTensors.requireThat(activation.equals(ScalarType.FLOAT16) || activation.equals(ScalarType.BFLOAT16), "activation type", "float16 or bfloat16", activation.name());
        HostTensors.requireThat(layout.k() == k && layout.n() == n, "shape of the weights", "K=" + k + " N=" + n, "K=" + layout.k() + " N=" + layout.n());
        HostTensors.requireThat(weights.zeroPoints().isPresent() == config.zeroPoints(), "zero points of the weights", config.zeroPoints() ? "present" : "absent",
                weights.zeroPoints().isPresent() ? "present" : "absent");
        HostTensors.requireThat(layout.actOrder() == config.actOrder(), "group index of the weights", config.actOrder() ? "present" : "absent",
                layout.actOrder() ? "present" : "absent");
        HostTensors.requireThat(layout.groupCount() == groups, "groups of the weights", String.valueOf(groups), String.valueOf(layout.groupCount()));
        HostTensors.requireThat(k % TILE_K == 0, "K", "a multiple of " + TILE_K, "K=" + k);
        HostTensors.requireThat(n % TILE_N == 0, "N", "a multiple of " + TILE_N, "N=" + n);
        HostTensors.requireShape(weights.codes(), "codes", ScalarType.INT32, k / 8, n);
        HostTensors.requireShape(weights.scales(), "scales", weights.scales().dtype(), groups, n);

        Optional<int[]> perm = weights.groupIndex().map(index -> HostTensors.actOrderRows(index, k, groups, groups == 1 ? k : config.groupSize(), MarlinKernel.LAYOUT));
        HostBuffer gptq = copyCodes(weights.codes(), k, n, arena);
        HostBuffer scales = packScales(weights.scales(), groups, n, activation, arena);
        Optional<HostBuffer> zeros = weights.zeroPoints().map(tensor -> packZeros(tensor, groups, n, arena));
        Optional<HostBuffer> permBuffer = perm.map(values -> ints(values, arena));
        Optional<HostBuffer> bias = weights.bias().map(tensor -> packBias(tensor, n, activation, arena));
        return new Packed(k, n, gptq, scales, zeros, permBuffer, bias);
    }

    /** The rows 0, 1, .., K - 1: the order {@code marlin_gather_*} copies an activation in when the layer is not act-order. */
    static HostBuffer identity(int k, Arena arena) {
        int[] rows = new int[k];
        Arrays.setAll(rows, row -> row);
        return ints(rows, arena);
    }

    private static HostBuffer ints(int[] values, Arena arena) {
        HostBuffer buffer = HostBuffer.allocate(arena, ScalarType.INT32, values.length);
        MemorySegment.copy(values, 0, buffer.segment(), INT, 0, values.length);
        return buffer;
    }

    /** The canonical codes, which are GPTQ's words, into a contiguous buffer. */
    private static HostBuffer copyCodes(Tensor source, int k, int n, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "codes");
        long rowStride = source.stride(0);
        long columnStride = source.stride(1);
        int words = k / 8;
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.INT32, words, n);
        int[] row = new int[n];
        for (int word = 0; word < words; word++) {
            for (int column = 0; column < n; column++) {
                row[column] = from.getAtIndex(INT, word * rowStride + column * columnStride);
            }
            MemorySegment.copy(row, 0, packed.segment(), INT, (long) word * n * Integer.BYTES, n);
        }
        return packed;
    }

    /**
     * Rounds each scale to the activation type and permutes each group row: with several groups, position {@code 8a + b}
     * of each run of 64 takes column {@code 8b + a}; with one group, position {@code 8a + u} of each run of 32 takes
     * column {@code 2a + SINGLE_GROUP[u]}.
     */
    private static HostBuffer packScales(Tensor source, int groups, int n, ScalarType activation, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "scales");
        HostBuffer packed = HostBuffer.allocate(arena, activation, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int position = 0; position < n; position++) {
                int column = groups > 1 ? transposed(position) : singleGroupColumn(position);
                float scale = HostTensors.readFloat(from, source.dtype(), group * source.stride(0) + column * source.stride(1), "scales");
                packed.segment().setAtIndex(HALF, (long) group * n + position, round(scale, activation, "scale of group " + group + ", column " + column));
            }
        }
        return packed;
    }

    /**
     * The zero points of each group row in the transposed order of the scales (runs of 64, whatever the group count),
     * each word q the 8 positions {@code 8q + ZERO_INTERLEAVE[p]} in slots p = 0..7, LSB first.
     */
    private static HostBuffer packZeros(Tensor source, int groups, int n, Arena arena) {
        HostTensors.requireShape(source, "zero points", ScalarType.UINT8, groups, n);
        MemorySegment from = HostTensors.segment(source, "zero points");
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.INT32, groups, n / 8);
        for (int group = 0; group < groups; group++) {
            for (int word = 0; word < n / 8; word++) {
                int value = 0;
                for (int slot = 0; slot < 8; slot++) {
                    int column = transposed(8 * word + ZERO_INTERLEAVE[slot]);
                    int zero = Byte.toUnsignedInt(from.get(ValueLayout.JAVA_BYTE, group * source.stride(0) + column * source.stride(1)));
                    if (zero > 15) {
                        throw new IllegalArgumentException("zero point " + zero + " of group " + group + ", column " + column + " is outside [0, 15] of uint4");
                    }
                    value |= zero << (4 * slot);
                }
                packed.segment().setAtIndex(INT, (long) group * (n / 8) + word, value);
            }
        }
        return packed;
    }

    private static HostBuffer packBias(Tensor source, int n, ScalarType activation, Arena arena) {
        HostTensors.requireShape(source, "bias", source.dtype(), n);
        MemorySegment from = HostTensors.segment(source, "bias");
        HostBuffer packed = HostBuffer.allocate(arena, activation, n);
        for (int column = 0; column < n; column++) {
            float value = HostTensors.readFloat(from, source.dtype(), column * source.stride(0), "bias");
            packed.segment().setAtIndex(HALF, column, round(value, activation, "bias of column " + column));
        }
        return packed;
    }

    /** The column at position {@code 8a + b} of a run of 64 transposed as an 8 x 8 block: {@code 8b + a}. */
    static int transposed(int position) {
        int within = position % 64;
        return position - within + 8 * (within % 8) + within / 8;
    }

    /** The column at position {@code 8a + u} of a run of 32 of one group's scales: {@code 2a + SINGLE_GROUP[u]}. */
    static int singleGroupColumn(int position) {
        int within = position % 32;
        return position - within + 2 * (within / 8) + SINGLE_GROUP[within % 8];
    }

    /** The nearest-even float16 or bfloat16 bits of a value, which must not overflow the type. */
    static short round(float value, ScalarType type, String what) {
        short bits = type.equals(ScalarType.FLOAT16) ? Float.floatToFloat16(value) : toBfloat16(value);
        float rounded = type.equals(ScalarType.FLOAT16) ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
        if (Float.isInfinite(rounded)) {
            throw new IllegalArgumentException(what + " is " + value + ", which " + type.name() + " cannot hold");
        }
        return bits;
    }

    /** Rounds a float to nearest-even bfloat16 (the upper 16 bits of its float32 pattern); NaN stays a quiet NaN. */
    static short toBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }
}
