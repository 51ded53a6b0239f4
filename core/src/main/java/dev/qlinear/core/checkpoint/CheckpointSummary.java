package dev.qlinear.core.checkpoint;

import dev.qlinear.spi.type.ScalarType;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a checkpoint directory says about itself without its tensor data: the quantization config, the activation
 * dtype and the header of every tensor.
 *
 * @param directory the checkpoint directory
 * @param quantization the quantization config, empty for an unquantized model
 * @param activationType the model's dtype ({@code torch_dtype}), the activation type of its layers
 * @param tensors every tensor's header by name
 */
public record CheckpointSummary(Path directory, Optional<QuantizationConfig> quantization, ScalarType activationType, Map<String, TensorInfo> tensors) {
    public CheckpointSummary {
        requireNonNull(directory, "directory is null");
        requireNonNull(quantization, "quantization is null");
        requireNonNull(activationType, "activationType is null");
        tensors = Map.copyOf(requireNonNull(tensors, "tensors is null"));
    }
}
