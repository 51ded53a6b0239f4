package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.SlotOrder;
import dev.qlinear.spi.weights.WeightDimension;
import dev.qlinear.spi.weights.WeightLayout;
import dev.qlinear.spi.weights.ZeroPointConvention;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * AWQ ({@code version: gemm}): {@code qweight [K, N/8]} and {@code qzeros [groups, N/8]} packed along N with the
 * interleave {@code [0, 2, 4, 6, 1, 3, 5, 7]}, true zero points, {@code scales [groups, N]}. Always uint4 with zero
 * points and no act-order.
 */
public record AwqFormat() implements WeightOnlyFormat {

    public static final AwqFormat INSTANCE = new AwqFormat();

    @Override
    public String name() {
        return "awq";
    }

    private static PackedGrid codeGrid(WeightLayout layout) {
        return new PackedGrid(layout.k(), layout.n(), WeightDimension.K, WeightDimension.N, SlotOrder.AWQ_INTERLEAVED, 4);
    }

    private static PackedGrid zeroGrid(WeightLayout layout) {
        return new PackedGrid(layout.groupCount(), layout.n(), WeightDimension.K, WeightDimension.N, SlotOrder.AWQ_INTERLEAVED, 4);
    }

    @Override
    public QuantizedWeights.WeightOnly read(LayerTensors tensors, WeightLayout expected, Arena arena) {
        if (!expected.weightType().equals(ScalarType.UINT4) || expected.zeroPoints() != ZeroPointConvention.TRUE_VALUE || expected.actOrder()) {
            throw new CheckpointFormatException(tensors.layer() + ": AWQ layers are uint4 with zero points and without act-order, but the config describes " + expected);
        }
        PackedGrid codes = codeGrid(expected);
        PackedGrid zeros = zeroGrid(expected);
        MemorySegment qweight = tensors.required("qweight", ScalarType.INT32, codes.wordShape()).segment();
        MemorySegment qzeros = tensors.required("qzeros", ScalarType.INT32, zeros.wordShape()).segment();
        HostTensor scales = tensors.requiredOneOf("scales", Formats.SCALE_TYPES, expected.groupCount(), expected.n());

        PackedGrid canonical = PackedGrid.codesOf(expected);
        HostTensor canonicalCodes = HostTensor.wrap(canonical.pack(arena, (row, column) -> codes.get(qweight, row, column)), ScalarType.INT32, canonical.wordShape());
        HostTensor zeroPoints = zeros.unpackToBytes(qzeros, arena);
        return new QuantizedWeights.WeightOnly(expected, canonicalCodes, scales, Optional.<Tensor>of(zeroPoints), Optional.empty(), Formats.bias(tensors, expected.n()));
    }

    @Override
    public LayerTensors write(String layer, QuantizedWeights.WeightOnly weights, Arena arena) {
        WeightLayout layout = weights.layout();
        if (!layout.weightType().equals(ScalarType.UINT4) || !layout.hasZeroPoints() || layout.actOrder()) {
            throw new CheckpointFormatException(layer + ": AWQ stores only uint4 with zero points and without act-order, not " + layout);
        }
        PackedGrid canonical = PackedGrid.codesOf(layout);
        MemorySegment canonicalCodes = CanonicalWeights.host(weights.codes());
        MemorySegment zeroBytes = CanonicalWeights.host(weights.zeroPoints().orElseThrow());
        PackedGrid codes = codeGrid(layout);
        PackedGrid zeros = zeroGrid(layout);
        Map<String, HostTensor> tensors = new HashMap<>();
        tensors.put("qweight", HostTensor.wrap(codes.pack(arena, (row, column) -> canonical.get(canonicalCodes, row, column)), ScalarType.INT32, codes.wordShape()));
        tensors.put("qzeros", zeros.packBytes(zeroBytes, arena));
        tensors.put("scales", Formats.copy(weights.scales(), arena));
        weights.bias().ifPresent(bias -> tensors.put("bias", Formats.copy(bias, arena)));
        return new LayerTensors(layer, tensors);
    }
}
