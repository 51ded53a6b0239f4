package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.reference.FnuzWeights;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The reference packer of {@code aiter-preshuffle-16x16}, the layout aiter's pre-shuffled FP8 GEMM reads (KERNELS.md
 * §6.5), written from its formula alone. For a weight {@code W[N, K]} of one-byte FP8 codes with {@code N % 16 == 0}
 * and {@code K % 32 == 0}, element {@code (n, k)} lies at byte
 *
 * <pre>{@code off(n, k) = (n / 16)·16K + (k / 32)·512 + ((k % 32) / 16)·256 + (n % 16)·16 + (k % 16)}</pre>
 *
 * <ul>
 *   <li>{@code weight}: the shuffled bytes, still typed and shaped {@code [N, K]} (the shape does not reveal the
 *       layout);</li>
 *   <li>{@code weight_scale}: the checkpoint's per-channel scales, fp32 {@code [N]}.</li>
 * </ul>
 *
 * <p>On a platform whose matrix cores take e4m3fnuz (MI300, gfx942), an e4m3fn checkpoint is first normalized as
 * {@link Fp8Reference#normalizeE4m3fnToFnuz} does (KERNELS.md §1.3): codes reinterpreted, {@code 0x80} made
 * {@code 0x00}, scales doubled; the {@code weight} is then e4m3fnuz. Without a platform the weights keep their type.
 */
public final class AiterPreshuffleLayout implements ReferenceLayout {

    public static final String NAME = "aiter-preshuffle-16x16";
    /** Rows of a tile: {@code IN}. */
    static final int TILE_ROWS = 16;
    /** Bytes of K in a tile: {@code BK = 2·IK}, two halves of {@code IK = 16} bytes. */
    static final int TILE_K = 32;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public String name() {
        return NAME;
    }

    /** The layout with the weights' own FP8 type. */
    @Override
    public Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Arena arena) {
        return pack(config, weights, false, arena);
    }

    /** The layout for a platform: normalized to e4m3fnuz first where the platform's FP8 type is e4m3fnuz and the weights are e4m3fn. */
    @Override
    public Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Platform platform, Arena arena) {
        requireNonNull(platform, "platform is null");
        return pack(config, weights, ReferenceLayout.normalizesToFnuz(platform), arena);
    }

    /** The byte offset of element {@code (n, k)} of a shuffled {@code [N, K]} weight; K must be a multiple of 32. */
    public static long offset(int n, int k, int kSize) {
        return (long) (n / 16) * 16 * kSize + (long) (k / 32) * 512 + (long) ((k % 32) / 16) * 256 + (long) (n % 16) * 16 + (k % 16);
    }


    private static Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, boolean toFnuz, Arena arena) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(arena, "arena is null");
        if (!(config instanceof ScaledMmConfig scaledMm)) {
            throw new IllegalArgumentException(NAME + " needs a scaled-mm layer config, got " + config.getClass().getSimpleName());
        }
        if (!(weights instanceof QuantizedWeights.ScaledMm scaledWeights)) {
            throw new IllegalArgumentException(NAME + " holds scaled-mm weights, got " + weights.getClass().getSimpleName());
        }
        int n = config.n();
        int k = config.k();
        ScalarType type = scaledMm.weightQuant().type();
        if (!type.equals(ScalarType.FLOAT8_E4M3FN) && !type.equals(ScalarType.FLOAT8_E4M3FNUZ)) {
            throw new IllegalArgumentException(NAME + " holds float8_e4m3fn or float8_e4m3fnuz codes, got " + type.name());
        }
        if (!scaledMm.weightQuant().groupShape().equals(GroupShape.PER_CHANNEL)) {
            throw new IllegalArgumentException(NAME + " holds per-channel weight scales, got " + scaledMm.weightQuant().groupShape());
        }
        if (n % TILE_ROWS != 0) {
            throw new IllegalArgumentException(NAME + " needs N % " + TILE_ROWS + " == 0 (16-row tiles), got N=" + n);
        }
        if (k % TILE_K != 0) {
            throw new IllegalArgumentException(NAME + " needs K % " + TILE_K + " == 0 (32-byte K tiles), got K=" + k);
        }
        byte[] codes = codes(scaledWeights.weight(), type, n, k);
        float[] scales = scales(scaledWeights.weightScale(), n);
        ScalarType storedType = type;
        if (toFnuz && type.equals(ScalarType.FLOAT8_E4M3FN)) {
            FnuzWeights normalized = Fp8Reference.normalizeE4m3fnToFnuz(codes, scales);
            codes = normalized.weight();
            scales = normalized.weightScales();
            storedType = ScalarType.FLOAT8_E4M3FNUZ;
        }

        HostTensor weight = HostTensor.allocate(arena, storedType, n, k);
        for (int row = 0; row < n; row++) {
            for (int column = 0; column < k; column++) {
                weight.segment().set(ValueLayout.JAVA_BYTE, offset(row, column, k), codes[row * k + column]);
            }
        }
        HostTensor weightScale = HostTensor.allocate(arena, ScalarType.FLOAT32, n);
        for (int row = 0; row < n; row++) {
            weightScale.segment().setAtIndex(FLOAT, row, scales[row]);
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("weight", weight);
        tensors.put("weight_scale", weightScale);
        return tensors;
    }

    /** The codes {@code [N, K]} row-major, whatever the tensor's strides. */
    private static byte[] codes(Tensor weight, ScalarType type, int n, int k) {
        if (!weight.dtype().equals(type) || weight.rank() != 2 || weight.size(0) != n || weight.size(1) != k) {
            throw new IllegalArgumentException(NAME + " needs the weight as " + type.name() + " [N=" + n + ", K=" + k + "], got " + describe(weight));
        }
        MemorySegment segment = hostSegment(weight, "weight");
        byte[] codes = new byte[Math.multiplyExact(n, k)];
        for (int row = 0; row < n; row++) {
            for (int column = 0; column < k; column++) {
                codes[row * k + column] = segment.get(ValueLayout.JAVA_BYTE, row * weight.stride(0) + column * weight.stride(1));
            }
        }
        return codes;
    }

    /** The per-channel scales of a {@code [N, 1]} or {@code [N]} fp32 tensor. */
    private static float[] scales(Tensor scale, int n) {
        boolean fits = scale.rank() == 1 ? scale.size(0) == n : scale.rank() == 2 && scale.size(0) == n && scale.size(1) == 1;
        if (!scale.dtype().equals(ScalarType.FLOAT32) || !fits) {
            throw new IllegalArgumentException(NAME + " needs per-channel weight scales as float32 [N=" + n + ", 1] or [N], got " + describe(scale));
        }
        MemorySegment segment = hostSegment(scale, "weight scale");
        float[] scales = new float[n];
        for (int row = 0; row < n; row++) {
            scales[row] = segment.getAtIndex(FLOAT, row * scale.stride(0));
        }
        return scales;
    }

    private static MemorySegment hostSegment(Tensor tensor, String what) {
        return tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException(NAME + " reads the " + what + " from host memory, got " + tensor.memory()));
    }

    private static String describe(Tensor tensor) {
        StringBuilder text = new StringBuilder(tensor.dtype().name()).append(" [");
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }
}
