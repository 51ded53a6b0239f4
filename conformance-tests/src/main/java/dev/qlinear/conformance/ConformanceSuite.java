package dev.qlinear.conformance;

import dev.qlinear.conformance.cases.CasePlanner;
import dev.qlinear.conformance.cases.ComputeCase;
import dev.qlinear.conformance.cases.KernelPlan;
import dev.qlinear.conformance.cases.LayoutCase;
import dev.qlinear.conformance.cases.MustRejectCase;
import dev.qlinear.conformance.cases.NotDeclaredCase;
import dev.qlinear.conformance.cases.PlannedCase;
import dev.qlinear.conformance.report.ResultCodec;
import dev.qlinear.conformance.run.ComputeRunner;
import dev.qlinear.conformance.run.KernelCallException;
import dev.qlinear.conformance.run.KernelCalls;
import dev.qlinear.conformance.run.LayoutRunner;
import dev.qlinear.conformance.run.MustRejectRunner;
import dev.qlinear.conformance.run.RunTarget;
import dev.qlinear.core.platform.CpuProbe;
import dev.qlinear.core.platform.CudaProbe;
import dev.qlinear.core.platform.PlatformDetector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestReporter;
import org.opentest4j.TestAbortedException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The suite as JUnit dynamic tests: one container per kernel with one test per case, and a last test that fails
 * when the run executed no case. Failed cases fail their test with the failed checks and the reproduction line;
 * cases not declared or that cannot run here are skipped with the reason. Every result is also published as a
 * report entry ({@value #CASE_ENTRY}) for the reports, and the plan as {@value #RUN_ENTRY} and {@value #PLAN_ENTRY}.
 */
public final class ConformanceSuite {

    public static final String RUN_ENTRY = "qlinear.conformance.run";
    public static final String PLAN_ENTRY = "qlinear.conformance.plan";
    public static final String CASE_ENTRY = "qlinear.conformance.case";

    private ConformanceSuite() {
    }

    /** The dynamic tests of a run; plans are made now, cases run as JUnit executes them. */
    public static Stream<DynamicNode> dynamicTests(KernelSource source, Sweep sweep, ConformanceSettings settings, TestReporter reporter) {
        requireNonNull(source, "source is null");
        requireNonNull(sweep, "sweep is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(reporter, "reporter is null");
        List<Platform> here = new PlatformDetector(List.of(new CudaProbe(), new CpuProbe())).detectAll();
        KernelSource.Loaded loaded = source.load();

        List<Planned> planned = new ArrayList<>();
        for (RegisteredKernel kernel : loaded.kernels()) {
            Platform platform = settings.platform().orElseGet(() -> RunTarget.platformFor(kernel, here));
            KernelPlan plan = CasePlanner.plan(kernel.descriptor(), declaredLayout(kernel), platform, sweep, settings);
            planned.add(new Planned(kernel, plan, RunTarget.of(kernel, platform, here)));
        }
        int total = planned.stream().mapToInt(entry -> entry.plan().cases().size()).sum() + loaded.problems().size();
        String machine = String.join(" + ", here.stream().map(Platform::spec).toList());
        String platforms = settings.platform().map(Platform::spec)
                .orElseGet(() -> String.join(" + ", planned.stream().map(entry -> entry.target().platform().spec()).distinct().toList()));
        RunInfo run = new RunInfo(platforms.isEmpty() ? machine : platforms, machine, settings.seed(), settings.maxMacs(), settings.maxCases(), total);
        reporter.publishEntry(RUN_ENTRY, ResultCodec.line(ResultCodec.toJson(run)));
        PrintStream console = System.out;
        if (!settings.quiet()) {
            console.println(run.describe());
        }
        for (Planned entry : planned) {
            KernelSummary summary = entry.summary();
            reporter.publishEntry(PLAN_ENTRY, ResultCodec.line(ResultCodec.toJson(summary)));
            if (!settings.quiet()) {
                console.println("  " + summary.kernelId() + " (plugin " + summary.pluginId() + " " + summary.pluginVersion() + ", " + summary.tolerance() + "): "
                        + summary.plan() + summary.cannotRunHere().map(reason -> "; cannot run here: " + reason).orElse(""));
            }
        }

        Tally tally = new Tally();
        List<DynamicNode> nodes = new ArrayList<>();
        for (String problem : loaded.problems()) {
            nodes.add(DynamicTest.dynamicTest("plugin loads: " + problem, () -> {
                CaseResult result = pluginProblem(problem, settings);
                tally.add(result);
                reporter.publishEntry(CASE_ENTRY, ResultCodec.line(ResultCodec.toJson(result)));
                throw new ConformanceFailure(result);
            }));
        }
        for (Planned entry : planned) {
            Stream<DynamicNode> cases = entry.plan().cases().stream().map(plannedCase -> DynamicTest.dynamicTest(plannedCase.id(), () -> {
                CaseResult result = execute(entry, plannedCase, settings);
                tally.add(result);
                reporter.publishEntry(CASE_ENTRY, ResultCodec.line(ResultCodec.toJson(result)));
                switch (result.outcome()) {
                    case PASS -> {
                    }
                    case FAIL -> throw new ConformanceFailure(result);
                    case NOT_DECLARED, CANNOT_RUN_HERE -> throw new CaseNotRun(result);
                }
            }));
            nodes.add(DynamicContainer.dynamicContainer(entry.kernel().id() + " (plugin " + entry.kernel().pluginId() + ")", cases));
        }
        nodes.add(DynamicTest.dynamicTest("the run computed at least one case", () -> {
            if (!settings.quiet()) {
                console.println(tally.table());
            }
            if (tally.executed() == 0 && tally.total() == 0 && settings.caseFilter().isPresent() && loaded.problems().isEmpty()) {
                // another test class of the same build may hold the kernel the filter names
                throw new TestAbortedException("the case filter " + settings.caseFilter().get() + " selects no case of "
                        + loaded.kernels().stream().map(RegisteredKernel::id).toList());
            }
            if (tally.executed() == 0) {
                CaseResult result = noCaseExecuted(tally, planned, loaded, settings);
                reporter.publishEntry(CASE_ENTRY, ResultCodec.line(ResultCodec.toJson(result)));
                throw new ConformanceFailure(result);
            }
        }));
        return nodes.stream();
    }

    private record Planned(RegisteredKernel kernel, KernelPlan plan, RunTarget target) {
        KernelSummary summary() {
            String kind = kernel.descriptor().layerKind() == LayerKind.WEIGHT_ONLY ? "weight-only" : "scaled-mm";
            String tolerance = kernel.descriptor().tolerance().name().toLowerCase(Locale.ROOT).replace('_', '-');
            return new KernelSummary(kernel.id(), kernel.pluginId(), kernel.pluginVersion(), kind, tolerance, plan.stats().describe(), plan.cases().size(),
                    plan.stats().droppedBySizeCap(), target.cannotRunHere());
        }
    }

    private static CaseResult execute(Planned entry, PlannedCase planned, ConformanceSettings settings) {
        RegisteredKernel kernel = entry.kernel();
        return switch (planned) {
            case NotDeclaredCase notDeclared -> notRun(kernel, planned, Outcome.NOT_DECLARED, notDeclared.reason(), CaseKind.DECLARATION, settings);
            case ComputeCase compute -> entry.target().canRun()
                    ? ComputeRunner.run(kernel, compute, entry.target(), settings)
                    : notRun(kernel, planned, Outcome.CANNOT_RUN_HERE, entry.target().cannotRunHere().orElseThrow(), CaseKind.COMPUTE, settings);
            case LayoutCase layout -> LayoutRunner.run(kernel, layout, entry.target(), settings);
            case MustRejectCase mustReject -> MustRejectRunner.run(kernel, mustReject, settings);
        };
    }

    /** The layout the kernel declares; a kernel that throws here is failed by its computed cases, which ask again. */
    private static Optional<String> declaredLayout(RegisteredKernel kernel) {
        try {
            return KernelCalls.call(kernel, "preparedLayout", () -> kernel.kernel().preparedLayout());
        }
        catch (KernelCallException e) {
            return Optional.empty();
        }
    }

    private static CaseResult notRun(RegisteredKernel kernel, PlannedCase planned, Outcome outcome, String reason, CaseKind kind, ConformanceSettings settings) {
        return new CaseResult(kernel.id(), kernel.pluginId(), planned.id(), kind, planned.row(), planned.column(), planned.description(), outcome, List.of(),
                reason, Optional.empty(), settings.reproduction(kernel.id(), planned.id()), 0);
    }

    private static CaseResult pluginProblem(String problem, ConformanceSettings settings) {
        CheckResult check = CheckResult.failed(Check.PLUGIN_LOADS, problem);
        return new CaseResult("-", "-", "plugin-loads", CaseKind.PLUGIN, "plugins", "loading", problem, Outcome.FAIL, List.of(check), check.toString(),
                Optional.empty(), settings.pluginsFolder().map(folder -> "-D" + ConformanceSettings.PLUGINS + "=" + folder).orElse(""), 0);
    }

    private static CaseResult noCaseExecuted(Tally tally, List<Planned> planned, KernelSource.Loaded loaded, ConformanceSettings settings) {
        List<String> why = new ArrayList<>();
        if (loaded.kernels().isEmpty()) {
            why.add("no kernels were found" + (loaded.problems().isEmpty() ? "" : " (" + String.join("; ", loaded.problems()) + ")"));
        }
        for (Planned entry : planned) {
            entry.target().cannotRunHere().ifPresent(reason -> why.add(entry.kernel().id() + " cannot run here: " + reason));
        }
        if (settings.caseFilter().isPresent()) {
            why.add("the case filter " + settings.caseFilter().get() + " selected " + tally.total() + " cases");
        }
        String message = "no case executed: no kernel computed a case or prepared a layout (" + tally.counts() + ")" + (why.isEmpty() ? "" : ": " + String.join("; ", why))
                + "; a run passes only when at least one computed case ran (must-reject checks need no device, so they alone do not count)";
        CheckResult check = CheckResult.failed(Check.RUN_EXECUTED_CASES, message);
        return new CaseResult("-", "-", "run", CaseKind.RUN, "run", "run", "the run as a whole", Outcome.FAIL, List.of(check), check.toString(), Optional.empty(),
                "", 0);
    }

    /** Outcomes so far, per kernel. */
    private static final class Tally {
        private final Map<String, Map<Outcome, Integer>> byKernel = new LinkedHashMap<>();
        private int executed;
        private int total;

        void add(CaseResult result) {
            total++;
            if (result.executed()) {
                executed++;
            }
            byKernel.computeIfAbsent(result.kernelId(), id -> new EnumMap<>(Outcome.class)).merge(result.outcome(), 1, Integer::sum);
        }

        int executed() {
            return executed;
        }

        int total() {
            return total;
        }

        String counts() {
            Map<Outcome, Integer> all = new EnumMap<>(Outcome.class);
            byKernel.values().forEach(counts -> counts.forEach((outcome, count) -> all.merge(outcome, count, Integer::sum)));
            List<String> parts = new ArrayList<>();
            for (Outcome outcome : Outcome.values()) {
                parts.add(all.getOrDefault(outcome, 0) + " " + outcome.label());
            }
            return String.join(", ", parts);
        }

        String table() {
            return SummaryTable.render(byKernel);
        }
    }
}
