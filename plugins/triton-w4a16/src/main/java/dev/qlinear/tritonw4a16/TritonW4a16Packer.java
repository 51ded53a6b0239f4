package dev.qlinear.tritonw4a16;

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
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Packs canonical weights into the {@value TritonW4a16Kernel#LAYOUT} layout ({@link TritonW4a16Kernel} defines it) on
 * the host: the kernel's own packer, checked against core's reference packer by the conformance suite.
 *
 * <p>The canonical codes are already packed along K, eight to a word in sequential slots, which is this layout's
 * {@code codes}: they are copied into a contiguous buffer, with the slots of rows past K cleared. The canonical zero
 * points are true zero points ({@link dev.qlinear.spi.weights.ZeroPointConvention#TRUE_VALUE}), the raw z the kernel
 * subtracts.
 */
final class TritonW4a16Packer {

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The prepared tensors in host memory.
     *
     * @param codes int32 {@code [ceil(K / 8), N]}
     * @param scales the activation type, {@code [groups, N]}
     * @param zeroPoints uint8 {@code [groups, N]}, for uint4 with zero points
     * @param bias the activation type, {@code [N]}, when the layer has a bias
     */
    record Packed(HostBuffer codes, HostBuffer scales, Optional<HostBuffer> zeroPoints, Optional<HostBuffer> bias) {
        Packed {
            requireNonNull(codes, "codes is null");
            requireNonNull(scales, "scales is null");
            requireNonNull(zeroPoints, "zeroPoints is null");
            requireNonNull(bias, "bias is null");
        }
    }

    private TritonW4a16Packer() {
    }

    /**
     * @throws IllegalArgumentException naming the tensor and the rule when the weights do not fit the config, or a
     *         scale or bias the activation type cannot hold
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
        HostTensors.requireThat(!layout.actOrder(), "group index of the weights", "absent (activation reordering is not supported)", "present");
        HostTensors.requireThat(layout.groupCount() == groups, "groups of the weights", String.valueOf(groups), String.valueOf(layout.groupCount()));
        HostTensors.requireShape(weights.codes(), "codes", ScalarType.INT32, Math.ceilDiv(k, 8), n);
        HostTensors.requireShape(weights.scales(), "scales", weights.scales().dtype(), groups, n);

        HostBuffer codes = copyCodes(weights.codes(), k, n, arena);
        HostBuffer scales = packScales(weights.scales(), groups, n, activation, arena);
        Optional<HostBuffer> zeroPoints = weights.zeroPoints().map(tensor -> packZeroPoints(tensor, layout, groups, n, arena));
        Optional<HostBuffer> bias = weights.bias().map(tensor -> packBias(tensor, n, activation, arena));
        return new Packed(codes, scales, zeroPoints, bias);
    }

    /** The canonical words, contiguous, with the slots of rows K and beyond in the last word cleared. */
    private static HostBuffer copyCodes(Tensor source, int k, int n, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "codes");
        long rowStride = source.stride(0);
        long columnStride = source.stride(1);
        int words = Math.ceilDiv(k, 8);
        int tail = k % 8;
        int lastMask = tail == 0 ? -1 : (1 << (4 * tail)) - 1;
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.INT32, words, n);
        int[] row = new int[n];
        for (int word = 0; word < words; word++) {
            int mask = word == words - 1 ? lastMask : -1;
            long base = word * rowStride;
            for (int column = 0; column < n; column++) {
                row[column] = from.getAtIndex(INT, base + column * columnStride) & mask;
            }
            MemorySegment.copy(row, 0, packed.segment(), INT, (long) word * n * Integer.BYTES, n);
        }
        return packed;
    }

    private static HostBuffer packScales(Tensor source, int groups, int n, ScalarType activation, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "scales");
        HostBuffer packed = HostBuffer.allocate(arena, activation, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                float scale = HostTensors.readFloat(from, source.dtype(), group * source.stride(0) + column * source.stride(1), "scales");
                packed.segment().setAtIndex(HALF, (long) group * n + column, round(scale, activation, "scale of group " + group + ", column " + column));
            }
        }
        return packed;
    }

    /** The true zero points of the canonical weights, each checked to be a uint4 value. */
    private static HostBuffer packZeroPoints(Tensor source, WeightLayout layout, int groups, int n, Arena arena) {
        HostTensors.requireShape(source, "zero points", ScalarType.UINT8, groups, n);
        MemorySegment from = HostTensors.segment(source, "zero points");
        int offset = switch (layout.zeroPoints()) {
            case TRUE_VALUE -> 0;
            // GPTQ v1 stores z - 1; canonical weights never do, but the convention says how to read it
            case STORED_MINUS_ONE -> 1;
            case NONE -> throw new IllegalArgumentException("zero points given for layout " + layout + ", which has none");
        };
        HostBuffer packed = HostBuffer.allocate(arena, ScalarType.UINT8, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                int zero = Byte.toUnsignedInt(from.get(ValueLayout.JAVA_BYTE, group * source.stride(0) + column * source.stride(1))) + offset;
                if (zero > 15) {
                    throw new IllegalArgumentException("zero point " + zero + " of group " + group + ", column " + column + " is outside [0, 15] of uint4");
                }
                packed.segment().set(ValueLayout.JAVA_BYTE, (long) group * n + column, (byte) zero);
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

    /** The nearest-even float16 or bfloat16 bits of a value, which must be finite there. */
    static short round(float value, ScalarType type, String what) {
        short bits = type.equals(ScalarType.FLOAT16) ? Float.floatToFloat16(value) : toBfloat16(value);
        float rounded = type.equals(ScalarType.FLOAT16) ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
        if (!Float.isFinite(rounded)) {
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
