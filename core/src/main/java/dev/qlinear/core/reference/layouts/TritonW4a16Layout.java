package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The reference packer of {@code triton-w4a16-kn8}, the layout of the triton-w4a16 plugin's kernel, written from this
 * definition alone. For 4-bit codes (uint4b8, or uint4 with explicit zero points), K rows, N columns and groups of G
 * rows along K (one group when channelwise; {@code ceil(K / G)} groups, the last one partial, when G does not divide
 * K), no act-order:
 *
 * <ul>
 *   <li>{@code codes}, int32 {@code [ceil(K / 8), N]}: bits {@code [4i, 4i + 4)} of word (r, n) hold the code of row
 *       {@code 8r + i} at column n; the slots of rows K and beyond hold 0.</li>
 *   <li>{@code scales}, {@code [groups, N]} in the activation type (float16 or bfloat16): the scale of group g at
 *       column n, rounded once to nearest-even in that type; a scale it cannot hold is an error.</li>
 *   <li>{@code zero_points}, uint8 {@code [groups, N]}, only for uint4 with zero points: the zero point z of group g
 *       at column n, such that {@code w = (q - z)·s}.</li>
 * </ul>
 * All values are little-endian.
 */
public final class TritonW4a16Layout implements ReferenceLayout {

    public static final String NAME = "triton-w4a16-kn8";

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
        if (matrix.hasActOrder()) {
            throw new IllegalArgumentException(NAME + " has no act-order: its rows stay in checkpoint order, got a group index");
        }
        ScalarType scaleType = weightOnly.activationType();
        if (!scaleType.equals(ScalarType.FLOAT16) && !scaleType.equals(ScalarType.BFLOAT16)) {
            throw new IllegalArgumentException(NAME + " holds scales in the activation type, float16 or bfloat16, got " + scaleType);
        }
        int k = matrix.k();
        int n = matrix.n();

        int words = (k + 7) / 8;
        HostTensor codes = HostTensor.allocate(arena, ScalarType.INT32, words, n);
        for (int word = 0; word < words; word++) {
            for (int column = 0; column < n; column++) {
                int value = 0;
                for (int slot = 0; slot < 8; slot++) {
                    int row = 8 * word + slot;
                    if (row < k) {
                        value |= matrix.code(row, column) << (4 * slot);
                    }
                }
                codes.segment().setAtIndex(INT, (long) word * n + column, value);
            }
        }

        int groups = matrix.groupCount();
        FloatCodec codec = FloatCodec.of(scaleType);
        HostTensor scales = HostTensor.allocate(arena, scaleType, groups, n);
        for (int group = 0; group < groups; group++) {
            for (int column = 0; column < n; column++) {
                double scale = matrix.scale(group, column);
                int bits = codec.encode(scale);
                if (!Double.isFinite(codec.decode(bits))) {
                    throw new IllegalArgumentException("scale " + scale + " of group " + group + ", column " + column + " overflows " + scaleType + " in " + NAME);
                }
                scales.segment().setAtIndex(HALF, (long) group * n + column, (short) bits);
            }
        }

        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("codes", codes);
        tensors.put("scales", scales);
        if (matrix.hasZeroPoints()) {
            HostTensor zeroPoints = HostTensor.allocate(arena, ScalarType.UINT8, groups, n);
            for (int group = 0; group < groups; group++) {
                for (int column = 0; column < n; column++) {
                    zeroPoints.segment().set(ValueLayout.JAVA_BYTE, (long) group * n + column, (byte) matrix.zeroPoint(group, column));
                }
            }
            tensors.put("zero_points", zeroPoints);
        }
        return tensors;
    }
}
