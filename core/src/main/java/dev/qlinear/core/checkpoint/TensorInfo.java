package dev.qlinear.core.checkpoint;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A tensor as a checkpoint header describes it, without its data.
 *
 * @param name full tensor name, such as {@code model.layers.0.mlp.down_proj.qweight}
 * @param dtype the safetensors dtype name, such as {@code I32}, {@code F16}, {@code F8_E4M3}
 * @param shape the shape
 */
public record TensorInfo(String name, String dtype, List<Long> shape) {
    public TensorInfo {
        requireNonNull(name, "name is null");
        requireNonNull(dtype, "dtype is null");
        shape = List.copyOf(requireNonNull(shape, "shape is null"));
    }

    public int rank() {
        return shape.size();
    }

    public long dim(int index) {
        return shape.get(index);
    }
}
