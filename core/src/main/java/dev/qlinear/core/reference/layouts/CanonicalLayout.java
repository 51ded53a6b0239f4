package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.reference.FnuzWeights;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layout of a kernel that keeps the canonical tensors as they are: {@code codes}, {@code scales}, and
 * {@code zero_points} / {@code group_index} when present (weight-only); {@code weight}, {@code weight_scale}
 * (scaled-mm). On a platform that normalizes FP8 to e4m3fnuz (MI300), an e4m3fn {@code weight} is held converted
 * (KERNELS.md §1.3: {@code 0x80} made {@code 0x00}, {@code weight_scale} doubled), as every kernel there holds it.
 */
public final class CanonicalLayout implements ReferenceLayout {

    public static final String NAME = "canonical";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Arena arena) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        switch (weights) {
            case QuantizedWeights.WeightOnly weightOnly -> {
                tensors.put("codes", copy(weightOnly.codes(), arena));
                tensors.put("scales", copy(weightOnly.scales(), arena));
                weightOnly.zeroPoints().ifPresent(zeros -> tensors.put("zero_points", copy(zeros, arena)));
                weightOnly.groupIndex().ifPresent(index -> tensors.put("group_index", copy(index, arena)));
            }
            case QuantizedWeights.ScaledMm scaledMm -> {
                tensors.put("weight", copy(scaledMm.weight(), arena));
                tensors.put("weight_scale", copy(scaledMm.weightScale(), arena));
            }
        }
        return tensors;
    }

    @Override
    public Map<String, HostTensor> pack(LayerConfig config, QuantizedWeights weights, Platform platform, Arena arena) {
        Map<String, HostTensor> tensors = pack(config, weights, arena);
        if (weights instanceof QuantizedWeights.ScaledMm scaledMm && scaledMm.weight().dtype().equals(ScalarType.FLOAT8_E4M3FN)
                && ReferenceLayout.normalizesToFnuz(platform)) {
            HostTensor weight = tensors.get("weight");
            HostTensor scale = tensors.get("weight_scale");
            FnuzWeights normalized = Fp8Reference.normalizeE4m3fnToFnuz(weight.segment().toArray(ValueLayout.JAVA_BYTE),
                    scale.segment().toArray(ValueLayout.JAVA_FLOAT));
            HostTensor fnuz = HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FNUZ, weight.shape());
            fnuz.segment().copyFrom(MemorySegment.ofArray(normalized.weight()));
            HostTensor doubled = HostTensor.allocate(arena, ScalarType.FLOAT32, scale.shape());
            doubled.segment().copyFrom(MemorySegment.ofArray(normalized.weightScales()));
            tensors.put("weight", fnuz);
            tensors.put("weight_scale", doubled);
        }
        return tensors;
    }

    private static HostTensor copy(Tensor tensor, Arena arena) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        HostTensor copy = HostTensor.allocate(arena, tensor.dtype(), shape);
        copy.segment().copyFrom(tensor.hostSegment().orElseThrow(() -> new IllegalArgumentException("canonical weights live in host memory")));
        return copy;
    }
}
