package dev.qlinear.aiterfp8;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.HostTensors;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Optional;

import static dev.qlinear.spi.weights.HostTensors.requireThat;
import static java.util.Objects.requireNonNull;

/**
 * Lays a layer's canonical weights out as aiter's pre-shuffled GEMM reads them, layout
 * {@value AiterFp8Kernel#LAYOUT}: the weight {@code [N, K]} cut into tiles of 16 rows by 32 bytes of K, stored tile after
 * tile in row-major tile order, each tile as its two 16 x 16-byte halves (bytes 0-15 of its 16 rows, then bytes 16-31),
 * so that every lane of a wave loads one 16-byte MFMA operand. The copy goes a 16-byte row piece at a time, in the
 * order the shuffled tensor is written.
 *
 * <p>Where the platform's matrix cores take e4m3fnuz (MI300) and the checkpoint is e4m3fn, the codes are converted as
 * vLLM's {@code normalize_e4m3fn_to_e4m3fnuz} does (KERNELS.md §1.3): the same bits read as e4m3fnuz, whose values are
 * half the e4m3fn ones, with {@code 0x80} (-0 in e4m3fn, NaN in e4m3fnuz) made {@code 0x00}, and the weight scales
 * doubled so that {@code s · w} keeps its value.
 */
final class AiterFp8Packer {

    /** Rows of a tile. */
    static final int TILE_ROWS = 16;
    /** Bytes of K of a tile: two halves of {@value #HALF_BYTES}. */
    static final int TILE_K = 32;
    /** One row's piece of a half tile: one MFMA operand. */
    static final int HALF_BYTES = 16;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final byte FNUZ_NAN = (byte) 0x80;

    private AiterFp8Packer() {
    }

    /**
     * A layer laid out in host memory, ready to upload.
     *
     * @param weight the shuffled codes, typed and shaped {@code [N, K]} in the type the platform's matrix cores take
     * @param weightScale fp32 {@code [N]}, doubled when the codes were converted to e4m3fnuz
     * @param bias bf16 {@code [N]}, when the layer has one
     */
    record Packed(HostBuffer weight, HostBuffer weightScale, Optional<HostBuffer> bias) {
        Packed {
            requireNonNull(weight, "weight is null");
            requireNonNull(weightScale, "weightScale is null");
            requireNonNull(bias, "bias is null");
        }
    }

    /**
     * Checks and lays out the weights of a layer the kernel accepted.
     *
     * @param platformType the FP8 type of the platform's matrix cores: e4m3fnuz on gfx942, e4m3fn on gfx950
     * @throws IllegalArgumentException naming the tensor, the rule and the value when the weights do not match the
     *         config, a code is NaN, or a scale is not finite
     */
    static Packed pack(ScaledMmConfig config, QuantizedWeights.ScaledMm weights, ScalarType platformType, Arena arena) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(platformType, "platformType is null");
        requireNonNull(arena, "arena is null");
        int n = config.n();
        int k = config.k();
        requireThat(n % TILE_ROWS == 0, "N of the (16, 16) shuffle", "a multiple of " + TILE_ROWS, "N=" + n);
        requireThat(k % TILE_K == 0, "K of the (16, 16) shuffle", "a multiple of " + TILE_K, "K=" + k);
        ScalarType checkpointType = config.weightQuant().type();
        boolean convert = platformType.equals(ScalarType.FLOAT8_E4M3FNUZ) && checkpointType.equals(ScalarType.FLOAT8_E4M3FN);

        Tensor source = weights.weight();
        HostTensors.requireShape(source, "weight", checkpointType, n, k);
        MemorySegment rows = rowMajor(source, n, k, arena);
        requireFinite(rows, checkpointType, k);
        HostBuffer weight = HostBuffer.allocate(arena, convert ? ScalarType.FLOAT8_E4M3FNUZ : checkpointType, n, k);
        shuffle(rows, weight.segment(), n, k);
        if (convert) {
            clearNegativeZeros(weight.segment());
        }

        HostBuffer weightScale = scales(weights.weightScale(), n, convert, arena);
        requireThat(weights.bias().isPresent() == config.bias(), "bias of the weights", config.bias() ? "present" : "absent",
                weights.bias().isPresent() ? "present" : "absent");
        Optional<HostBuffer> bias = weights.bias().map(tensor -> bias(tensor, n, arena));
        return new Packed(weight, weightScale, bias);
    }

    /** Tile by tile: for each 16-row block, each 32-byte K tile, each half, the 16 rows' 16-byte pieces, in writing order. */
    private static void shuffle(MemorySegment rows, MemorySegment shuffled, int n, int k) {
        long written = 0;
        for (int block = 0; block < n; block += TILE_ROWS) {
            for (int tile = 0; tile < k; tile += TILE_K) {
                for (int half = 0; half < TILE_K; half += HALF_BYTES) {
                    for (int row = block; row < block + TILE_ROWS; row++) {
                        MemorySegment.copy(rows, (long) row * k + tile + half, shuffled, written, HALF_BYTES);
                        written += HALF_BYTES;
                    }
                }
            }
        }
    }

    /** The codes row-major without gaps: the tensor's own memory when it is contiguous, else a copy. */
    private static MemorySegment rowMajor(Tensor source, int n, int k, Arena arena) {
        MemorySegment from = HostTensors.segment(source, "weight");
        if (source.isContiguous()) {
            return from;
        }
        MemorySegment copy = arena.allocate((long) n * k);
        for (long row = 0; row < n; row++) {
            for (long column = 0; column < k; column++) {
                copy.set(ValueLayout.JAVA_BYTE, row * k + column, from.get(ValueLayout.JAVA_BYTE, row * source.stride(0) + column * source.stride(1)));
            }
        }
        return copy;
    }

    private static void requireFinite(MemorySegment codes, ScalarType type, int k) {
        boolean fnuz = type.equals(ScalarType.FLOAT8_E4M3FNUZ);
        long count = codes.byteSize();
        for (long i = 0; i < count; i++) {
            byte code = codes.get(ValueLayout.JAVA_BYTE, i);
            if (fnuz ? code == FNUZ_NAN : (code & 0x7F) == 0x7F) {
                throw new IllegalArgumentException("weight code 0x" + Integer.toHexString(code & 0xFF) + " at [" + i / k + ", " + i % k + "] is NaN in "
                        + type.name() + "; FP8 weights must be finite");
            }
        }
    }

    /** e4m3fn's -0 is e4m3fnuz's NaN: it becomes +0. */
    private static void clearNegativeZeros(MemorySegment codes) {
        long count = codes.byteSize();
        for (long i = 0; i < count; i++) {
            if (codes.get(ValueLayout.JAVA_BYTE, i) == FNUZ_NAN) {
                codes.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
            }
        }
    }

    /** The per-channel scales of a {@code [N, 1]} or {@code [N]} fp32 tensor as fp32 {@code [N]}, doubled when converted. */
    private static HostBuffer scales(Tensor source, int n, boolean doubled, Arena arena) {
        boolean fits = source.rank() == 1 ? source.size(0) == n : source.rank() == 2 && source.size(0) == n && source.size(1) == 1;
        requireThat(source.dtype().equals(ScalarType.FLOAT32) && fits, "weight scale", "float32 [N=" + n + ", 1] or [N=" + n + "]",
                source.dtype().name() + Arrays.toString(source.shape()));
        MemorySegment from = HostTensors.segment(source, "weight scale");
        HostBuffer target = HostBuffer.allocate(arena, ScalarType.FLOAT32, n);
        for (int row = 0; row < n; row++) {
            float scale = from.getAtIndex(FLOAT, row * source.stride(0));
            requireThat(Float.isFinite(scale), "weight scale at " + row, "finite", String.valueOf(scale));
            float stored = doubled ? scale * 2 : scale;
            requireThat(Float.isFinite(stored), "weight scale at " + row + " doubled for e4m3fnuz", "finite in float32", scale + " * 2 overflows");
            target.segment().setAtIndex(FLOAT, row, stored);
        }
        return target;
    }

    private static HostBuffer bias(Tensor source, int n, Arena arena) {
        requireThat(source.dtype().equals(ScalarType.BFLOAT16) && source.rank() == 1 && source.size(0) == n, "bias", "bfloat16[N=" + n + "]",
                source.dtype().name() + Arrays.toString(source.shape()));
        MemorySegment from = HostTensors.segment(source, "bias");
        HostBuffer target = HostBuffer.allocate(arena, ScalarType.BFLOAT16, n);
        for (int i = 0; i < n; i++) {
            target.segment().setAtIndex(HALF, i, from.getAtIndex(HALF, i * source.stride(0)));
        }
        return target;
    }
}
