package dev.qlinear.conformance;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How one case of one kernel ended, with everything needed to understand and reproduce it.
 *
 * @param kernelId the kernel
 * @param pluginId the plugin that provides it
 * @param caseId the case, unique within the kernel's run, such as {@code m13-k2112-n576-uint4b8-g64-fp16-bias}
 * @param kind what the case exercises
 * @param row the report grid's row: the shape, such as {@code M=13 K=2112 N=576}
 * @param column the report grid's column: the variant, such as {@code uint4b8 g64 fp16}
 * @param description the case in words
 * @param outcome how it ended
 * @param checks every check made, passed, failed or not applicable
 * @param message one line: the failures, the reason it was not run, or what passed
 * @param error how far the output was from the reference, for computed cases
 * @param reproduction the settings that run this case alone with the same data
 * @param millis how long it took
 */
public record CaseResult(
        String kernelId,
        String pluginId,
        String caseId,
        CaseKind kind,
        String row,
        String column,
        String description,
        Outcome outcome,
        List<CheckResult> checks,
        String message,
        Optional<ErrorSummary> error,
        String reproduction,
        long millis) {

    public CaseResult {
        requireNonNull(kernelId, "kernelId is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(caseId, "caseId is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(row, "row is null");
        requireNonNull(column, "column is null");
        requireNonNull(description, "description is null");
        requireNonNull(outcome, "outcome is null");
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
        requireNonNull(message, "message is null");
        requireNonNull(error, "error is null");
        requireNonNull(reproduction, "reproduction is null");
        if (outcome == Outcome.FAIL && checks.stream().noneMatch(CheckResult::isFailed)) {
            throw new IllegalArgumentException("failed case " + kernelId + "/" + caseId + " must name a failed check");
        }
        if (outcome == Outcome.PASS && checks.stream().anyMatch(CheckResult::isFailed)) {
            throw new IllegalArgumentException("passed case " + kernelId + "/" + caseId + " has failed checks: " + checks);
        }
    }

    /** {@code kernel/case}, as {@code qlinear.conformance.case} takes it. */
    public String qualifiedId() {
        return kernelId + "/" + caseId;
    }

    public List<CheckResult> failedChecks() {
        return checks.stream().filter(CheckResult::isFailed).toList();
    }

    /**
     * Whether the kernel's code ran for this case (passed or failed): it computed a layer or prepared a layout.
     * Must-reject cases do not count: they ask questions that need no device, so a run of only those would pass on a
     * machine where the kernel never ran.
     */
    public boolean executed() {
        return (outcome == Outcome.PASS || outcome == Outcome.FAIL) && (kind == CaseKind.COMPUTE || kind == CaseKind.LAYOUT);
    }

    /** Whether one of the failed checks is this one. */
    public boolean failed(Check check) {
        return checks.stream().anyMatch(result -> result.check() == check && result.isFailed());
    }
}
