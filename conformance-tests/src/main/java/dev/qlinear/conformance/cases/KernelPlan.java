package dev.qlinear.conformance.cases;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The cases of one kernel, in the order they run.
 *
 * @param kernelId the kernel
 * @param cases not-declared reports, then computed cases, then must-reject cases
 * @param stats what the plan left out
 */
public record KernelPlan(String kernelId, List<PlannedCase> cases, PlanStats stats) {
    public KernelPlan {
        requireNonNull(kernelId, "kernelId is null");
        cases = List.copyOf(requireNonNull(cases, "cases is null"));
        requireNonNull(stats, "stats is null");
        if (cases.stream().map(PlannedCase::id).distinct().count() != cases.size()) {
            throw new IllegalArgumentException("case ids of kernel " + kernelId + " repeat: " + cases.stream().map(PlannedCase::id).toList());
        }
    }
}
