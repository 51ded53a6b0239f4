package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * FP8 W8A8 layers (compressed-tensors {@code float-quantized}, vLLM {@code fp8}): {@code weight [N, K]} e4m3fn,
 * {@code weight_scale} fp32 {@code [N, 1]} per channel or a scalar per tensor, {@code input_scale} fp32 scalar
 * when activation scales are static.
 */
public final class Fp8Format {

    private Fp8Format() {
    }

    public static QuantizedWeights.ScaledMm read(LayerTensors tensors, ScaledMmConfig config) {
        int n = config.n();
        int k = config.k();
        HostTensor weight = tensors.required("weight", config.weightQuant().type(), n, k);
        HostTensor weightScale = weightScale(tensors, config.weightQuant().groupShape(), n);
        Optional<Tensor> inputScale = Optional.empty();
        if (config.activationQuant().staticScale()) {
            inputScale = Optional.of(scalar(tensors, "input_scale"));
        }
        Optional<Tensor> bias = Formats.bias(tensors, n);
        if (config.bias() != bias.isPresent()) {
            throw new CheckpointFormatException(tensors.layer() + ": the config " + (config.bias() ? "has" : "has no") + " bias but the checkpoint "
                    + (bias.isPresent() ? "has one" : "has none"));
        }
        return new QuantizedWeights.ScaledMm(weight, weightScale, inputScale, bias);
    }

    private static HostTensor weightScale(LayerTensors tensors, GroupShape shape, int n) {
        if (shape.equals(GroupShape.PER_CHANNEL)) {
            return tensors.required("weight_scale", ScalarType.FLOAT32, n, 1);
        }
        if (shape.isPerTensor()) {
            return scalar(tensors, "weight_scale");
        }
        throw new CheckpointFormatException(tensors.layer() + ": weight scales " + shape + " are not supported; FP8 layers have per-channel or per-tensor weight scales");
    }

    /** A per-tensor fp32 scale, stored as shape [] or [1]. */
    private static HostTensor scalar(LayerTensors tensors, String name) {
        HostTensor tensor = tensors.tensors().get(name);
        if (tensor != null && tensor.rank() == 0) {
            return tensors.required(name, ScalarType.FLOAT32);
        }
        return tensors.required(name, ScalarType.FLOAT32, 1);
    }

    public static LayerTensors write(String layer, QuantizedWeights.ScaledMm weights, Arena arena) {
        Map<String, HostTensor> tensors = new HashMap<>();
        tensors.put("weight", Formats.copy(weights.weight(), arena));
        tensors.put("weight_scale", Formats.copy(weights.weightScale(), arena));
        weights.inputScale().ifPresent(scale -> tensors.put("input_scale", Formats.copy(scale, arena)));
        weights.bias().ifPresent(bias -> tensors.put("bias", Formats.copy(bias, arena)));
        return new LayerTensors(layer, tensors);
    }
}
