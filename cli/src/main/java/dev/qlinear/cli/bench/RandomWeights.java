package dev.qlinear.cli.bench;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Canonical weights for timing: random codes, scales and zero points written straight into the packed tensors, so that
 * a 57344 × 8192 layer takes a fraction of a second instead of quantizing a float matrix. Codes cover the whole range
 * (so they are never all zero), scales are positive and small enough that outputs stay finite. Weight-only layers get
 * packed integer codes, FP8 scaled-mm layers e4m3fn codes that are never NaN.
 */
final class RandomWeights {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    /**
     * The layer's canonical tensors in the arena: codes {@code [ceil(K / pf), N]}, scales in the activation type.
     *
     * @param arena a shared arena: the codes are written by several threads
     */
    static QuantizedWeights.WeightOnly of(WeightOnlyConfig config, long seed, Arena arena) {
        int k = config.k();
        int n = config.n();
        WeightLayout layout = WeightLayout.canonical(config.weightType(), k, n, config.isChannelwise() ? -1 : config.groupSize(), config.zeroPoints(), false);
        if (config.actOrder()) {
            throw new IllegalArgumentException("timing weights are made without act-order");
        }
        int packFactor = layout.packFactor();
        int wordRows = (k + packFactor - 1) / packFactor;
        int bits = config.weightType().sizeBits();
        int lastRowCodes = k - (wordRows - 1) * packFactor;
        // A partial last word holds zero codes in its unused slots, as the canonical layout pads.
        int lastRowMask = lastRowCodes == packFactor ? -1 : (int) ((1L << (bits * lastRowCodes)) - 1);
        MemorySegment codes = arena.allocate((long) wordRows * n * Integer.BYTES, Integer.BYTES);
        IntStream.range(0, wordRows).parallel().forEach(row -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + row);
            int mask = row == wordRows - 1 ? lastRowMask : -1;
            long base = (long) row * n;
            for (int column = 0; column < n; column++) {
                codes.setAtIndex(INT, base + column, random.nextInt() & mask);
            }
        });
        int groups = layout.groupCount();
        ScalarType scaleType = scaleType(config.activationType());
        HostTensor scales = HostTensor.allocate(arena, scaleType, groups, n);
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (long i = 0; i < (long) groups * n; i++) {
            // 2^-7 · [0.5, 1.5): dequantized weights within ±0.09, like a trained layer's
            float scale = (float) ((0.5 + random.nextDouble()) / 128.0);
            writeScale(scales.segment(), scaleType, i, scale);
        }
        Optional<Tensor> zeroPoints = Optional.empty();
        if (config.zeroPoints()) {
            HostTensor zeros = HostTensor.allocate(arena, ScalarType.UINT8, groups, n);
            int levels = 1 << bits;
            for (long i = 0; i < (long) groups * n; i++) {
                zeros.segment().set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(levels));
            }
            zeroPoints = Optional.of(zeros);
        }
        HostTensor codeTensor = HostTensor.wrap(codes, ScalarType.INT32, wordRows, n);
        return new QuantizedWeights.WeightOnly(layout, codeTensor, scales, zeroPoints, Optional.empty(), Optional.empty());
    }

    /** e4m3fn codes that are NaN: {@code 0x7F} and {@code 0xFF} (e4m3fn has no infinities). */
    static final int E4M3FN_NAN_MAGNITUDE = 0x7F;
    /** Finite e4m3fn codes: every byte but the two NaNs. */
    static final int FINITE_E4M3FN_CODES = 254;

    /**
     * The canonical weights of a PTPC scaled-mm layer in the arena: the codes {@code [N, K]}, uniform over the 254
     * finite e4m3fn codes (±448 at most, never NaN), and fp32 per-channel scales {@code [N, 1]}, positive, in
     * {@code [0.5, 1.5) / 4096}, so that the weights lie within ±0.17, like a trained layer's.
     *
     * @param arena a shared arena: the codes are written by several threads
     */
    static QuantizedWeights.ScaledMm scaledMm(ScaledMmConfig config, long seed, Arena arena) {
        if (!config.weightQuant().type().equals(ScalarType.FLOAT8_E4M3FN) || !config.weightQuant().groupShape().equals(GroupShape.PER_CHANNEL)) {
            throw new IllegalArgumentException("timing weights of scaled-mm layers are float8_e4m3fn with per-channel scales, got " + config.weightQuant());
        }
        if (config.activationQuant().staticScale() || config.bias()) {
            throw new IllegalArgumentException("timing weights of scaled-mm layers are made for dynamic activation scales and no bias");
        }
        int k = config.k();
        int n = config.n();
        HostTensor codes = HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, n, k);
        MemorySegment bytes = codes.segment();
        IntStream.range(0, n).parallel().forEach(row -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + row);
            long base = (long) row * k;
            for (int column = 0; column < k; column++) {
                bytes.set(ValueLayout.JAVA_BYTE, base + column, finiteE4m3fn(random.nextInt(FINITE_E4M3FN_CODES)));
            }
        });
        HostTensor scales = HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1);
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (long i = 0; i < n; i++) {
            scales.segment().setAtIndex(FLOAT, i, (float) ((0.5 + random.nextDouble()) / 4096.0));
        }
        return new QuantizedWeights.ScaledMm(codes, scales, Optional.empty(), Optional.empty());
    }

    /** The {@code index}-th finite e4m3fn code, {@code 0 <= index < 254}: 0x00 to 0x7E, then 0x80 to 0xFE. */
    static byte finiteE4m3fn(int index) {
        if (index < 0 || index >= FINITE_E4M3FN_CODES) {
            throw new IllegalArgumentException("e4m3fn has " + FINITE_E4M3FN_CODES + " finite codes, got index " + index);
        }
        return (byte) (index < E4M3FN_NAN_MAGNITUDE ? index : index + 1);
    }

    /** Scales in the activation's 16-bit type (as checkpoints store them), fp16 otherwise. */
    static ScalarType scaleType(ScalarType activation) {
        return activation.equals(ScalarType.BFLOAT16) ? ScalarType.BFLOAT16 : ScalarType.FLOAT16;
    }

    /** The bits of a float in a 16-bit type: fp16 rounds to nearest even, bf16 truncates (exact enough for timing data). */
    static short halfBits(ScalarType type, float value) {
        if (type.equals(ScalarType.BFLOAT16)) {
            return (short) (Float.floatToRawIntBits(value) >>> 16);
        }
        if (type.equals(ScalarType.FLOAT16)) {
            return Float.floatToFloat16(value);
        }
        throw new IllegalArgumentException("16-bit values are float16 or bfloat16, not " + type);
    }

    private static void writeScale(MemorySegment segment, ScalarType type, long index, float value) {
        segment.setAtIndex(HALF, index, halfBits(type, value));
    }
}
