package dev.qlinear.conformance;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Everything a run produced.
 *
 * @param run what the run was asked to do; empty when it failed before planning
 * @param kernels the kernels and their plans
 * @param cases every case's result, in the order run
 * @param errors failures outside any case, such as a suite that could not start
 * @param millis how long the run took
 */
public record ConformanceReport(Optional<RunInfo> run, List<KernelSummary> kernels, List<CaseResult> cases, List<String> errors, long millis) {

    public ConformanceReport {
        requireNonNull(run, "run is null");
        kernels = List.copyOf(requireNonNull(kernels, "kernels is null"));
        cases = List.copyOf(requireNonNull(cases, "cases is null"));
        errors = List.copyOf(requireNonNull(errors, "errors is null"));
    }

    /** Cases that ran on a kernel. */
    public long executed() {
        return cases.stream().filter(CaseResult::executed).count();
    }

    public List<CaseResult> failures() {
        return cases.stream().filter(result -> result.outcome() == Outcome.FAIL).toList();
    }

    /** Whether the run passed: at least one case executed, none failed, no errors. */
    public boolean passed() {
        return errors.isEmpty() && executed() > 0 && failures().isEmpty();
    }

    /** Outcome counts per kernel, kernels in plan order (then any others, such as plugin problems). */
    public Map<String, Map<Outcome, Integer>> countsByKernel() {
        Map<String, Map<Outcome, Integer>> counts = new LinkedHashMap<>();
        kernels.forEach(kernel -> counts.put(kernel.kernelId(), new EnumMap<>(Outcome.class)));
        for (CaseResult result : cases) {
            if (result.kind() != CaseKind.RUN) {
                counts.computeIfAbsent(result.kernelId(), id -> new EnumMap<>(Outcome.class)).merge(result.outcome(), 1, Integer::sum);
            }
        }
        return counts;
    }

    public List<CaseResult> casesOf(String kernelId) {
        return cases.stream().filter(result -> result.kernelId().equals(kernelId)).toList();
    }
}
