package dev.qlinear.core.checkpoint;

import dev.qlinear.spi.config.LayerConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One linear layer of a checkpoint as qlinear would run it: its config for a kernel, or why it has none.
 *
 * @param name the layer's name, such as {@code model.layers.0.mlp.down_proj}
 * @param parallelism how tensor parallelism splits it
 * @param format how its weights are stored, such as {@code gptq} or {@code unquantized}
 * @param config the layer config a kernel is selected for; empty for unquantized layers and layers with a problem
 * @param problem why a quantized layer has no config (a split that does not divide, an inconsistent tensor)
 */
public record LayerPlan(String name, Parallelism parallelism, String format, Optional<LayerConfig> config, Optional<String> problem) {

    /** How tensor parallelism splits a layer. */
    public enum Parallelism {
        /** Output features N are split (q/k/v, gate/up, lm_head). */
        COLUMN,
        /** Input features K are split (o_proj, down_proj). */
        ROW
    }

    public LayerPlan {
        requireNonNull(name, "name is null");
        requireNonNull(parallelism, "parallelism is null");
        requireNonNull(format, "format is null");
        requireNonNull(config, "config is null");
        requireNonNull(problem, "problem is null");
        if (config.isPresent() && problem.isPresent()) {
            throw new IllegalArgumentException("layer " + name + " has both a config and a problem");
        }
    }

    public boolean isQuantized() {
        return !format.equals(UNQUANTIZED);
    }

    public static final String UNQUANTIZED = "unquantized";
}
