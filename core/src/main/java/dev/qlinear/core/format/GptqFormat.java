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
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * GPTQ (AutoGPTQ, GPTQModel): {@code qweight [K/pf, N]} int32 packed along K, {@code qzeros [groups, N/pf]} packed
 * along N, {@code scales [groups, N]}, {@code g_idx [K]}. Version 1 stores each zero point as {@code z - 1}
 * (symmetric 4-bit layers hold 7 in every slot); version 2 ({@code checkpoint_format: gptq_v2}) stores z.
 * Symmetric layers carry zeros too, which must equal the type's bias.
 *
 * @param storedZeros {@link ZeroPointConvention#STORED_MINUS_ONE} for v1, {@link ZeroPointConvention#TRUE_VALUE} for v2
 */
public record GptqFormat(ZeroPointConvention storedZeros) implements WeightOnlyFormat {

    public static final GptqFormat V1 = new GptqFormat(ZeroPointConvention.STORED_MINUS_ONE);
    public static final GptqFormat V2 = new GptqFormat(ZeroPointConvention.TRUE_VALUE);

    public GptqFormat {
        requireNonNull(storedZeros, "storedZeros is null");
        if (storedZeros == ZeroPointConvention.NONE) {
            throw new IllegalArgumentException("GPTQ always stores zero points, as z - 1 (v1) or z (v2)");
        }
    }

    private int offset() {
        return storedZeros == ZeroPointConvention.STORED_MINUS_ONE ? 1 : 0;
    }

    @Override
    public String name() {
        return storedZeros == ZeroPointConvention.STORED_MINUS_ONE ? "gptq" : "gptq_v2";
    }

    private static PackedGrid zeroGrid(WeightLayout layout) {
        return new PackedGrid(layout.groupCount(), layout.n(), WeightDimension.K, WeightDimension.N, SlotOrder.SEQUENTIAL, layout.weightType().sizeBits());
    }

    @Override
    public QuantizedWeights.WeightOnly read(LayerTensors tensors, WeightLayout expected, Arena arena) {
        int k = expected.k();
        int n = expected.n();
        int groups = expected.groupCount();
        PackedGrid codeGrid = PackedGrid.codesOf(expected);
        HostTensor qweight = tensors.required("qweight", ScalarType.INT32, codeGrid.wordShape());
        HostTensor scales = tensors.requiredOneOf("scales", Formats.SCALE_TYPES, groups, n);
        PackedGrid zeroGrid = zeroGrid(expected);
        Optional<HostTensor> qzeros = tensors.optional("qzeros", ScalarType.INT32, zeroGrid.wordShape());
        Optional<Tensor> zeroPoints = Optional.empty();
        if (expected.hasZeroPoints()) {
            HostTensor stored = qzeros.orElseThrow(() -> new CheckpointFormatException(tensors.layer() + ": tensor 'qzeros' is missing from an asymmetric GPTQ layer"));
            zeroPoints = Optional.of(trueZeros(tensors.layer(), stored.segment(), zeroGrid, expected.weightType(), arena));
        }
        else {
            qzeros.ifPresent(stored -> checkSymmetricZeros(tensors.layer(), stored.segment(), zeroGrid, expected.weightType()));
        }
        Optional<HostTensor> gIdx = tensors.optional("g_idx", ScalarType.INT32, k);
        Optional<Tensor> groupIndex = Optional.empty();
        if (expected.actOrder()) {
            HostTensor index = gIdx.orElseThrow(() -> new CheckpointFormatException(tensors.layer() + ": tensor 'g_idx' is missing although the config sets desc_act"));
            Formats.checkActOrderIndex(tensors.layer(), index.segment(), k, groups, expected.groupSize());
            groupIndex = Optional.of(index);
        }
        else {
            gIdx.ifPresent(index -> Formats.checkTrivialIndex(tensors.layer(), index.segment(), k, expected.groupSize()));
        }
        return new QuantizedWeights.WeightOnly(expected, qweight, scales, zeroPoints, groupIndex, Formats.bias(tensors, n));
    }

    private HostTensor trueZeros(String layer, MemorySegment stored, PackedGrid grid, ScalarType type, Arena arena) {
        int max = (1 << type.sizeBits()) - 1;
        HostTensor zeros = HostTensor.allocate(arena, ScalarType.UINT8, grid.k(), grid.n());
        for (int group = 0; group < grid.k(); group++) {
            for (int column = 0; column < grid.n(); column++) {
                int zero = grid.get(stored, group, column) + offset();
                if (zero > max) {
                    throw new CheckpointFormatException(layer + ": qzeros [" + group + ", " + column + "] stores " + (zero - offset())
                            + ", which as GPTQ v1 (z - 1) means z=" + zero + ", outside [0, " + max + "] of " + type);
                }
                zeros.segment().set(ValueLayout.JAVA_BYTE, (long) group * grid.n() + column, (byte) zero);
            }
        }
        return zeros;
    }

    private void checkSymmetricZeros(String layer, MemorySegment stored, PackedGrid grid, ScalarType type) {
        int expected = type.bias() - offset();
        for (int group = 0; group < grid.k(); group++) {
            for (int column = 0; column < grid.n(); column++) {
                int value = grid.get(stored, group, column);
                if (value != expected) {
                    throw new CheckpointFormatException(layer + ": symmetric " + type + " layer has qzeros [" + group + ", " + column + "] = " + value
                            + ", expected " + expected + " (the bias " + type.bias() + (offset() == 1 ? " - 1, GPTQ v1)" : ", GPTQ v2)")
                            + "; if the layer is asymmetric, the config must say sym=false");
                }
            }
        }
    }

    @Override
    public LayerTensors write(String layer, QuantizedWeights.WeightOnly weights, Arena arena) {
        WeightLayout layout = weights.layout();
        PackedGrid zeroGrid = zeroGrid(layout);
        Optional<MemorySegment> zeros = weights.zeroPoints().map(CanonicalWeights::host);
        MemorySegment qzeros = zeroGrid.pack(arena, (group, column) -> {
            int zero = zeros.map(bytes -> Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, (long) group * layout.n() + column)))
                    .orElse(layout.weightType().bias());
            if (zero - offset() < 0) {
                throw new CheckpointFormatException(layer + ": GPTQ v1 stores z - 1 and cannot store zero point 0 at [" + group + ", " + column + "]; write gptq_v2");
            }
            return zero - offset();
        });
        Map<String, HostTensor> tensors = new HashMap<>();
        tensors.put("qweight", Formats.copy(weights.codes(), arena));
        tensors.put("qzeros", HostTensor.wrap(qzeros, ScalarType.INT32, zeroGrid.wordShape()));
        tensors.put("scales", Formats.copy(weights.scales(), arena));
        tensors.put("g_idx", weights.groupIndex().map(index -> Formats.copy(index, arena))
                .orElseGet(() -> Formats.trivialIndex(layout.k(), layout.groupSize())));
        weights.bias().ifPresent(bias -> tensors.put("bias", Formats.copy(bias, arena)));
        return new LayerTensors(layer, tensors);
    }
}
