package dev.qlinear.conformance;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One kernel of a run and its plan.
 *
 * @param kernelId the kernel
 * @param pluginId its plugin
 * @param pluginVersion the plugin's version
 * @param layerKind weight-only or scaled-mm
 * @param tolerance the kernel's tolerance class and its criterion
 * @param plan what the plan holds and left out, in words
 * @param plannedCases the cases planned (computed, must-reject and not-declared reports)
 * @param droppedBySizeCap combinations dropped by the size cap
 * @param cannotRunHere why the kernel's computed cases cannot run here, if they cannot
 */
public record KernelSummary(String kernelId, String pluginId, String pluginVersion, String layerKind, String tolerance, String plan, int plannedCases,
        long droppedBySizeCap, Optional<String> cannotRunHere) {

    public KernelSummary {
        requireNonNull(kernelId, "kernelId is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(pluginVersion, "pluginVersion is null");
        requireNonNull(layerKind, "layerKind is null");
        requireNonNull(tolerance, "tolerance is null");
        requireNonNull(plan, "plan is null");
        requireNonNull(cannotRunHere, "cannotRunHere is null");
    }
}
