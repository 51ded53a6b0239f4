package dev.qlinear.core.select;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.platform.Platform;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Why a kernel was chosen for a layer, or why none was: every candidate in the order considered, with its verdict.
 *
 * @param platform where the layer would run
 * @param config the layer
 * @param policy the user's settings applied
 * @param candidates every installed kernel, in the order considered
 * @param selected the chosen candidate, empty when none could run the layer
 * @param failure why nothing was selected, empty when a kernel was
 * @param performanceWarning set when a lower-priority kernel was chosen because higher ones refused
 */
public record SelectionReport(
        Platform platform,
        LayerConfig config,
        SelectionPolicy policy,
        List<CandidateVerdict> candidates,
        Optional<CandidateVerdict> selected,
        Optional<String> failure,
        Optional<String> performanceWarning) {

    public SelectionReport {
        requireNonNull(platform, "platform is null");
        requireNonNull(config, "config is null");
        requireNonNull(policy, "policy is null");
        candidates = List.copyOf(requireNonNull(candidates, "candidates is null"));
        requireNonNull(selected, "selected is null");
        requireNonNull(failure, "failure is null");
        requireNonNull(performanceWarning, "performanceWarning is null");
        if (selected.isPresent() == failure.isPresent()) {
            throw new IllegalArgumentException("a selection report has either a selected kernel or a failure");
        }
    }

    public Optional<String> selectedKernelId() {
        return selected.map(CandidateVerdict::kernelId);
    }
}
