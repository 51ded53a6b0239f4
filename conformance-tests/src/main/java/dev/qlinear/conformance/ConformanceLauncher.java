package dev.qlinear.conformance;

import dev.qlinear.conformance.report.ResultCodec;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs the suite over a plugins folder through the JUnit Platform Launcher, in this JVM, and collects the results:
 * what {@code qlinear conformance} uses. The settings travel as configuration parameters.
 */
public final class ConformanceLauncher {

    private ConformanceLauncher() {
    }

    /**
     * @param settings the run; its plugins folder must be set
     * @param junitXml where to write JUnit XML reports (the legacy format CI servers read), if anywhere
     * @param progress told about each case as it finishes
     */
    public static ConformanceReport run(ConformanceSettings settings, Optional<Path> junitXml, ProgressListener progress) {
        requireNonNull(settings, "settings is null");
        requireNonNull(junitXml, "junitXml is null");
        requireNonNull(progress, "progress is null");
        if (settings.pluginsFolder().isEmpty()) {
            throw new IllegalArgumentException(ConformanceSettings.PLUGINS + " must name the plugins folder to test");
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(PluginsFolderConformance.class))
                .configurationParameters(settings.quietly().toParameters())
                .build();
        Collector collector = new Collector(progress);
        List<TestExecutionListener> listeners = new ArrayList<>();
        listeners.add(collector);
        StringWriter xmlErrors = new StringWriter();
        junitXml.ifPresent(folder -> listeners.add(new LegacyXmlReportGeneratingListener(folder, new PrintWriter(xmlErrors))));
        long started = System.nanoTime();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listeners.toArray(TestExecutionListener[]::new));
        if (!xmlErrors.toString().isBlank()) {
            collector.errors.add("writing the JUnit XML report failed: " + xmlErrors.toString().strip());
        }
        return new ConformanceReport(Optional.ofNullable(collector.run.get()), collector.kernels, collector.cases, collector.errors,
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Reads the suite's report entries and notices tests that failed without one (the suite itself failing). */
    private static final class Collector implements TestExecutionListener {
        private final ProgressListener progress;
        private final AtomicReference<RunInfo> run = new AtomicReference<>();
        private final List<KernelSummary> kernels = new ArrayList<>();
        private final List<CaseResult> cases = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private int casesBeforeTest;

        Collector(ProgressListener progress) {
            this.progress = progress;
        }

        @Override
        public synchronized void reportingEntryPublished(TestIdentifier identifier, ReportEntry entry) {
            for (Map.Entry<String, String> value : entry.getKeyValuePairs().entrySet()) {
                switch (value.getKey()) {
                    case ConformanceSuite.RUN_ENTRY -> run.set(ResultCodec.runInfo(ResultCodec.parse(value.getValue())));
                    case ConformanceSuite.PLAN_ENTRY -> {
                        KernelSummary kernel = ResultCodec.kernelSummary(ResultCodec.parse(value.getValue()));
                        kernels.add(kernel);
                        progress.planned(run.get(), kernel);
                    }
                    case ConformanceSuite.CASE_ENTRY -> {
                        CaseResult result = ResultCodec.caseResult(ResultCodec.parse(value.getValue()));
                        cases.add(result);
                        RunInfo info = run.get();
                        progress.finished(result, cases.size(), info == null ? cases.size() : Math.max(info.plannedCases(), cases.size()));
                    }
                    default -> {
                    }
                }
            }
        }

        @Override
        public synchronized void executionStarted(TestIdentifier identifier) {
            casesBeforeTest = cases.size();
        }

        @Override
        public synchronized void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
            boolean published = cases.size() > casesBeforeTest;
            if (result.getStatus() == TestExecutionResult.Status.FAILED && (!identifier.isTest() || !published)) {
                Throwable cause = result.getThrowable().orElse(null);
                if (!(cause instanceof ConformanceFailure)) {
                    errors.add(identifier.getDisplayName() + " failed: " + (cause == null ? "no cause given" : describe(cause)));
                }
            }
        }

        private static String describe(Throwable cause) {
            StringBuilder text = new StringBuilder(cause.toString());
            for (Throwable inner = cause.getCause(); inner != null && inner != inner.getCause(); inner = inner.getCause()) {
                text.append("; caused by ").append(inner);
            }
            return text.toString();
        }
    }
}
