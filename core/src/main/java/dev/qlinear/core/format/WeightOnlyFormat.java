package dev.qlinear.core.format;

import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;

/**
 * A checkpoint format of weight-only layers. Reading gives the canonical weights; writing gives the checkpoint's
 * tensors back, bit for bit. What the layer holds (type, group size, zero points, act-order) comes from the
 * checkpoint's config as a canonical {@link WeightLayout}; the tensors are checked against it, never used to guess it.
 */
public sealed interface WeightOnlyFormat permits GptqFormat, AwqFormat, CompressedTensorsFormat {

    /** The format's name as in messages: {@code gptq}, {@code awq}, {@code compressed-tensors}. */
    String name();

    /**
     * Converts a layer's checkpoint tensors to canonical weights.
     *
     * @param expected the canonical layout the config describes for this layer
     * @throws CheckpointFormatException naming the layer, the tensor and the rule when the tensors do not fit
     */
    QuantizedWeights.WeightOnly read(LayerTensors tensors, WeightLayout expected, Arena arena);

    /** Writes canonical weights as this format's tensors. */
    LayerTensors write(String layer, QuantizedWeights.WeightOnly weights, Arena arena);
}
