package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.SlotOrder;
import dev.qlinear.spi.weights.WeightDimension;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * compressed-tensors {@code pack-quantized}: {@code weight_packed [N, K/pf]} packed along K, {@code weight_scale
 * [N, groups]}, {@code weight_zero_point [N/pf, groups]} packed along N (asymmetric only, stored with the same +8 or
 * +128 offset as the codes, so it is the true zero of the unsigned type), {@code weight_g_idx [K]} (act-order
 * "group"), {@code weight_shape [2]} = (N, K).
 */
public record CompressedTensorsFormat() implements WeightOnlyFormat {

    public static final CompressedTensorsFormat INSTANCE = new CompressedTensorsFormat();
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return "compressed-tensors";
    }

    private static PackedGrid codeGrid(WeightLayout layout) {
        return new PackedGrid(layout.k(), layout.n(), WeightDimension.N, WeightDimension.K, SlotOrder.SEQUENTIAL, layout.weightType().sizeBits());
    }

    private static PackedGrid zeroGrid(WeightLayout layout) {
        return new PackedGrid(layout.groupCount(), layout.n(), WeightDimension.N, WeightDimension.N, SlotOrder.SEQUENTIAL, layout.weightType().sizeBits());
    }

    @Override
    public QuantizedWeights.WeightOnly read(LayerTensors tensors, WeightLayout expected, Arena arena) {
        int k = expected.k();
        int n = expected.n();
        int groups = expected.groupCount();
        tensors.optional("weight_shape", ScalarType.INT64, 2).ifPresent(shape -> {
            long storedN = shape.segment().getAtIndex(LONG, 0);
            long storedK = shape.segment().getAtIndex(LONG, 1);
            if (storedN != n || storedK != k) {
                throw new CheckpointFormatException(tensors.layer() + ": weight_shape says [N=" + storedN + ", K=" + storedK + "], the layer is N=" + n + " K=" + k);
            }
        });
        PackedGrid codes = codeGrid(expected);
        MemorySegment packed = tensors.required("weight_packed", ScalarType.INT32, codes.wordShape()).segment();
        PackedGrid canonical = PackedGrid.codesOf(expected);
        HostTensor canonicalCodes = HostTensor.wrap(canonical.pack(arena, (row, column) -> codes.get(packed, row, column)), ScalarType.INT32, canonical.wordShape());
        HostTensor scales = CanonicalWeights.transpose(tensors.requiredOneOf("weight_scale", Formats.SCALE_TYPES, n, groups), arena);
        Optional<Tensor> zeroPoints = Optional.empty();
        if (expected.hasZeroPoints()) {
            PackedGrid zeros = zeroGrid(expected);
            MemorySegment stored = tensors.required("weight_zero_point", ScalarType.INT32, zeros.wordShape()).segment();
            zeroPoints = Optional.of(zeros.unpackToBytes(stored, arena));
        }
        else if (tensors.tensors().containsKey("weight_zero_point")) {
            throw new CheckpointFormatException(tensors.layer() + ": symmetric " + expected.weightType() + " layer has a weight_zero_point tensor; the config must say symmetric: false");
        }
        Optional<Tensor> groupIndex = Optional.empty();
        if (expected.actOrder()) {
            HostTensor index = tensors.required("weight_g_idx", ScalarType.INT32, k);
            Formats.checkActOrderIndex(tensors.layer(), index.segment(), k, groups, expected.groupSize());
            groupIndex = Optional.of(index);
        }
        return new QuantizedWeights.WeightOnly(expected, canonicalCodes, scales, zeroPoints, groupIndex, Formats.bias(tensors, n));
    }

    @Override
    public LayerTensors write(String layer, QuantizedWeights.WeightOnly weights, Arena arena) {
        WeightLayout layout = weights.layout();
        PackedGrid canonical = PackedGrid.codesOf(layout);
        MemorySegment canonicalCodes = CanonicalWeights.host(weights.codes());
        PackedGrid codes = codeGrid(layout);
        Map<String, HostTensor> tensors = new HashMap<>();
        tensors.put("weight_packed", HostTensor.wrap(codes.pack(arena, (row, column) -> canonical.get(canonicalCodes, row, column)), ScalarType.INT32, codes.wordShape()));
        tensors.put("weight_scale", CanonicalWeights.transpose(Formats.copy(weights.scales(), arena), arena));
        weights.zeroPoints().ifPresent(zeroTensor -> tensors.put("weight_zero_point", zeroGrid(layout).packBytes(CanonicalWeights.host(zeroTensor), arena)));
        weights.groupIndex().ifPresent(index -> tensors.put("weight_g_idx", Formats.copy(index, arena)));
        HostTensor shape = HostTensor.allocate(arena, ScalarType.INT64, 2);
        shape.segment().setAtIndex(LONG, 0, layout.n());
        shape.segment().setAtIndex(LONG, 1, layout.k());
        tensors.put("weight_shape", shape);
        weights.bias().ifPresent(bias -> tensors.put("bias", Formats.copy(bias, arena)));
        return new LayerTensors(layer, tensors);
    }
}
