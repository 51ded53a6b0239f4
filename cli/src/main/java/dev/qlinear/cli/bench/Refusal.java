package dev.qlinear.cli.bench;

import static java.util.Objects.requireNonNull;

/**
 * A kernel that was not measured on a layer, and why: its refusal, or the error of a call.
 *
 * @param kernel the kernel id
 * @param layer N × K
 * @param reason the verdict's reasons or the error
 */
public record Refusal(String kernel, LayerKey layer, String reason) {

    public Refusal {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(layer, "layer is null");
        requireNonNull(reason, "reason is null");
    }
}
