package dev.qlinear.cli.bench;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A layer to benchmark, with the model layer it stands for when it comes from a preset.
 *
 * @param layer N × K
 * @param name such as {@code llama3-8b qkv}; empty for a shape given as {@code NxK}
 */
public record BenchShape(LayerKey layer, Optional<String> name) {

    public BenchShape {
        requireNonNull(layer, "layer is null");
        requireNonNull(name, "name is null");
    }

    static BenchShape named(int n, int k, String name) {
        return new BenchShape(new LayerKey(n, k), Optional.of(name));
    }

    public int n() {
        return layer.n();
    }

    public int k() {
        return layer.k();
    }

    /** {@code 6144x4096 (llama3-8b qkv)}. */
    public String describe() {
        return layer + name.map(text -> " (" + text + ")").orElse("");
    }
}
