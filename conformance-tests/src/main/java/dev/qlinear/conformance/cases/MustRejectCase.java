package dev.qlinear.conformance.cases;

import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.platform.Platform;

import static java.util.Objects.requireNonNull;

/**
 * A layer just outside the kernel's declaration, made from a declared one by changing one thing, that must be
 * refused with a reason: by the kernel's own {@code canImplement} and by the engine's declared checks.
 *
 * @param id such as {@code reject-group-16}
 * @param rule what is outside the declaration, such as {@code group size 16 is not declared (declared: -1, 32, 64, 128)}
 * @param config the layer
 * @param platform the platform asked about
 * @param platformCase whether the platform, not the layer, is what the kernel does not declare
 */
public record MustRejectCase(String id, String rule, LayerConfig config, Platform platform, boolean platformCase) implements PlannedCase {

    public MustRejectCase {
        requireNonNull(id, "id is null");
        requireNonNull(rule, "rule is null");
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
    }

    @Override
    public String row() {
        return "must reject";
    }

    @Override
    public String column() {
        return rule;
    }

    @Override
    public String description() {
        return rule + ": " + LayerDescriptions.describe(config) + " on " + platform.spec();
    }
}
