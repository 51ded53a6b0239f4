package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layout of a kernel that keeps the canonical tensors as they are: {@code codes}, {@code scales}, and
 * {@code zero_points} / {@code group_index} when present (weight-only); {@code weight}, {@code weight_scale}
 * (scaled-mm).
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
