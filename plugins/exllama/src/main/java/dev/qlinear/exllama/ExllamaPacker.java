package dev.qlinear.exllama;

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
 * Packs canonical weights into the {@value ExllamaKernel#LAYOUT} layout ({@link ExllamaKernel} defines it) on the
 * host: the kernel's own packer, checked against core's reference packer by the conformance suite.
 */
final class ExllamaPacker {

    /** Slot p of a prepared 4-bit word holds row {@code SHUFFLE[p]} of its 8. */
    static final int[] SHUFFLE = {0, 2, 4, 6, 1, 3, 5, 7};

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The prepared tensors in host memory.
     *
     * @param codes int32 {@code [K / pf, N]}
     * @param scales float16 {@code [groups, N]}
     * @param perm int32 {@code [K]}, under act-order
     * @param bias float16 {@code [N]}, when the layer has a bias
     */
    record Packed(HostBuffer codes, HostBuffer scales, Optional<HostBuffer> perm, Optional<HostBuffer> bias) {
        Packed {
            requireNonNull(codes, "codes is null");
            requireNonNull(scales, "scales is null");
            requireNonNull(perm, "perm is null");
            requireNonNull(bias, "bias is null");
        }
    }

    private ExllamaPacker() {
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
        int bits = config.weightType().sizeBits();
        int perWord = 32 / bits;
        int groups = config.groupCount();
        HostTensors.requireThat(layout.weightType().equals(config.weightType()), "weight type of the weights", config.weightType().name(), layout.weightType().name());
        HostTensors.requireThat(layout.k() == k && layout.n() == n, "shape of the weights", "K=" + k + " N=" + n, "K=" + layout.k() + " N=" + layout.n());
        HostTensors.requireThat(weights.zeroPoints().isEmpty(), "zero points of the weights", "absent (" + config.weightType() + " is symmetric)", "present");
        HostTensors.requireThat(layout.actOrder() == config.actOrder(), "group index of the weights", config.actOrder() ? "present" : "absent",
                layout.actOrder() ? "present" : "absent");
        HostTensors.requireThat(layout.groupCount() == groups, "groups of the weights", String.valueOf(groups), String.valueOf(layout.groupCount()));
        HostTensors.requireThat(k % perWord == 0, "K", "a multiple of " + perWord + " codes per word", "K=" + k);
        HostTensors.requireShape(weights.codes(), "codes", ScalarType.INT32, k / perWord, n);
        HostTensors.requireShape(weights.scales(), "scales", weights.scales().dtype(), groups, n);

        Optional<int[]> perm = weights.groupIndex().map(index -> HostTensors.actOrderRows(index, k, groups, config.isChannelwise() ? k : config.groupSize(), ExllamaKernel.LAYOUT));
        HostBuffer codes = packCodes(weights.codes(), perm.orElse(null), k, n, bits, arena);
        HostBuffer scales = packScales(weights.scales(), groups, n, arena);
        Optional<HostBuffer> permBuffer = perm.map(values -> {
            HostBuffer buffer = HostBuffer.allocate(arena, ScalarType.INT32, k);
            MemorySegment.copy(values, 0, buffer.segment(), INT, 0, k);
            return buffer;
        });
        Optional<HostBuffer> bias = weights.bias().map(tensor -> packBias(tensor, n, arena));
        return new Packed(codes, scales, permBuffer, bias);
    }

    private static HostBuffer packCodes(Tensor source, int[] perm, int k, int n, int bits, Arena arena) {
        int perWord = 32 / bits;
        int words = k / perWord;
        int mask = (1 << bits) - 1;
        MemorySegment from = HostTensors.segment(source, "codes");
        long rowStride = source.stride(0);
        long columnStride = source.stride(1);
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.INT32, words, n);
        int[] row = new int[n];
        for (int word = 0; word < words; word++) {
            Arrays.fill(row, 0);
            for (int slot = 0; slot < perWord; slot++) {
                int element = bits == 4 ? SHUFFLE[slot] : slot;
                int logical = perWord * word + element;
                int sourceRow = perm == null ? logical : perm[logical];
                long base = (long) (sourceRow / perWord) * rowStride;
                int shift = bits * (sourceRow % perWord);
                int target = bits * slot;
                for (int column = 0; column < n; column++) {
                    int code = (from.getAtIndex(INT, base + column * columnStride) >>> shift) & mask;
                    row[column] |= code << target;
                }
            }
            MemorySegment.copy(row, 0, packed.segment(), INT, (long) word * n * Integer.BYTES, n);
        }
        return packed;
    }

    private static HostBuffer packScales(Tensor source, int groups, int n, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "scales");
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.FLOAT16, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                float scale = HostTensors.readFloat(from, source.dtype(), group * source.stride(0) + column * source.stride(1), "scales");
                packed.segment().setAtIndex(HALF, (long) group * n + column, toHalf(scale, "scale of group " + group + ", column " + column));
            }
        }
        return packed;
    }

    private static HostBuffer packBias(Tensor source, int n, Arena arena) {
        HostTensors.requireShape(source, "bias", source.dtype(), n);
        MemorySegment from = HostTensors.segment(source, "bias");
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.FLOAT16, n);
        for (int column = 0; column < n; column++) {
            float value = HostTensors.readFloat(from, source.dtype(), column * source.stride(0), "bias");
            packed.segment().setAtIndex(HALF, column, toHalf(value, "bias of column " + column));
        }
        return packed;
    }

    /** Nearest-even float16 of a finite value that float16 can hold. */
    static short toHalf(float value, String what) {
        short half = Float.floatToFloat16(value);
        if (!Float.isFinite(Float.float16ToFloat(half))) {
            throw new IllegalArgumentException(what + " is " + value + ", which float16 cannot hold (largest 65504)");
        }
        return half;
    }
}
