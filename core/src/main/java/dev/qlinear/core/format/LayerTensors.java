package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The tensors of one linear layer in a checkpoint, by their name within the layer ({@code qweight}, {@code scales},
 * ...), with the checks every format needs: present, of the declared dtype, of the shape the layout implies.
 *
 * @param layer the layer's name, such as {@code model.layers.0.mlp.down_proj}, for messages
 * @param tensors the layer's tensors by name within the layer
 */
public record LayerTensors(String layer, Map<String, HostTensor> tensors) {

    public LayerTensors {
        requireNonNull(layer, "layer is null");
        tensors = Map.copyOf(requireNonNull(tensors, "tensors is null"));
    }

    /** The tensors, sorted by name, for stable iteration. */
    public Map<String, HostTensor> sorted() {
        return new TreeMap<>(tensors);
    }

    public Optional<HostTensor> optional(String name, ScalarType dtype, long... shape) {
        HostTensor tensor = tensors.get(name);
        if (tensor == null) {
            return Optional.empty();
        }
        check(name, tensor, dtype, shape);
        return Optional.of(tensor);
    }

    public HostTensor required(String name, ScalarType dtype, long... shape) {
        return optional(name, dtype, shape).orElseThrow(() -> new CheckpointFormatException(
                layer + ": tensor '" + name + "' is missing; the layer has " + new TreeMap<>(tensors).keySet()));
    }

    /** A tensor whose dtype may be any of the given (such as fp16 or bf16 scales). */
    public HostTensor requiredOneOf(String name, java.util.Set<ScalarType> dtypes, long... shape) {
        HostTensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new CheckpointFormatException(layer + ": tensor '" + name + "' is missing; the layer has " + new TreeMap<>(tensors).keySet());
        }
        if (!dtypes.contains(tensor.dtype())) {
            throw new CheckpointFormatException(layer + ": tensor '" + name + "' has dtype " + tensor.dtype() + ", expected one of " + dtypes);
        }
        check(name, tensor, tensor.dtype(), shape);
        return tensor;
    }

    private void check(String name, HostTensor tensor, ScalarType dtype, long[] shape) {
        if (!tensor.dtype().equals(dtype)) {
            throw new CheckpointFormatException(layer + ": tensor '" + name + "' has dtype " + tensor.dtype() + ", expected " + dtype);
        }
        if (!Arrays.equals(tensor.shape(), shape)) {
            throw new CheckpointFormatException(layer + ": tensor '" + name + "' has shape " + Arrays.toString(tensor.shape())
                    + ", expected " + Arrays.toString(shape) + " for this layer's layout");
        }
    }
}
