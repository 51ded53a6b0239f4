package dev.qlinear.conformance.run;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.Check;
import dev.qlinear.conformance.CheckResult;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.cases.MustRejectCase;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs one must-reject case. The selection engine (declared platforms and capabilities, then the kernel) must
 * refuse the layer, and the kernel's own {@code canImplement} must refuse it too, with a reason: the engine's
 * checks guard the declaration, but a kernel must never depend on them. A kernel that throws instead of refusing
 * fails, although the engine would turn the throw into a refusal. For a platform the kernel does not declare, its
 * {@code supports} and {@code canImplement} must not throw; the declaration is what refuses.
 */
public final class MustRejectRunner {

    private MustRejectRunner() {
    }

    public static CaseResult run(RegisteredKernel kernel, MustRejectCase entry, ConformanceSettings settings) {
        long started = System.nanoTime();
        String layer = LayerDescriptions.describe(entry.config()) + " on " + entry.platform().spec();
        List<String> problems = new ArrayList<>();
        List<String> found = new ArrayList<>();

        SelectionReport report = new KernelSelector(new KernelRegistry(List.of(), List.of(kernel))).explain(entry.config(), entry.platform(), SelectionPolicy.defaults());
        Optional<CandidateVerdict> candidate = report.candidates().stream().filter(verdict -> verdict.kernelId().equals(kernel.id())).findFirst();
        if (candidate.isPresent() && candidate.get().isAccepted()) {
            problems.add("the selection engine accepted " + layer + ": the kernel's declaration covers it although " + entry.rule());
        }
        else {
            found.add("the engine refuses it (" + candidate.map(verdict -> reasons(verdict.reasons())).orElse("not a candidate for this layer kind") + ")");
        }

        if (entry.platformCase()) {
            try {
                Verdict supports = KernelCalls.call(kernel, "supports(" + entry.platform().spec() + ")", () -> kernel.kernel().supports(entry.platform()));
                Verdict own = canImplement(kernel, entry);
                found.add("supports: " + supports + ", canImplement: " + own);
            }
            catch (KernelCallException e) {
                problems.add(e.getMessage() + " for an undeclared platform; it must return a verdict, never throw");
            }
        }
        else {
            try {
                Verdict own = canImplement(kernel, entry);
                if (own.isAccepted()) {
                    problems.add("canImplement accepted " + layer + ", which is outside the declaration: " + entry.rule()
                            + "; canImplement must refuse every layer the kernel does not declare, with a reason, since correctness must never depend on the engine's declared checks alone");
                }
                else {
                    found.add("canImplement refuses it (" + reasons(own.reasons()) + ")");
                }
            }
            catch (KernelCallException e) {
                problems.add(e.getMessage() + " for " + layer + " (" + entry.rule() + "); canImplement must return a refusal with a reason, never throw");
            }
        }

        boolean failed = !problems.isEmpty();
        String message = failed ? String.join("; ", problems) : entry.rule() + ": " + String.join("; ", found);
        CheckResult check = failed ? CheckResult.failed(Check.MUST_REJECT, message) : CheckResult.passed(Check.MUST_REJECT, message);
        return new CaseResult(kernel.id(), kernel.pluginId(), entry.id(), CaseKind.MUST_REJECT, entry.row(), entry.column(), entry.description(),
                failed ? Outcome.FAIL : Outcome.PASS, List.of(check), failed ? Check.MUST_REJECT.title() + ": " + message : message, Optional.empty(),
                settings.reproduction(kernel.id(), entry.id()), (System.nanoTime() - started) / 1_000_000);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Verdict canImplement(RegisteredKernel kernel, MustRejectCase entry) throws KernelCallException {
        return KernelCalls.call(kernel, "canImplement", () -> ((LinearKernel) kernel.kernel()).canImplement(entry.config(), entry.platform()));
    }

    private static String reasons(List<Reason> reasons) {
        return String.join("; ", reasons.stream().map(Reason::message).toList());
    }
}
