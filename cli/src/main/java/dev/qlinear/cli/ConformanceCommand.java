package dev.qlinear.cli;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.ConformanceLauncher;
import dev.qlinear.conformance.ConformanceReport;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.KernelSummary;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.ProgressListener;
import dev.qlinear.conformance.RunInfo;
import dev.qlinear.conformance.SummaryTable;
import dev.qlinear.conformance.report.HtmlReport;
import dev.qlinear.conformance.report.JsonReport;
import dev.qlinear.core.Qlinear;
import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.spi.platform.Platform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code qlinear conformance}: runs the conformance suite on the installed plugins through the JUnit Platform
 * Launcher, with a progress bar, a summary table per kernel, and JSON, JUnit XML and HTML reports.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the conformance suite on the installed kernel plugins: the cases each kernel declares, computed here and compared with the reference,",
                "and the layers just outside each declaration, which must be refused.",
                "Exits 0 when every case passed, 1 when a case failed or no case could run here, 2 on bad input."},
        footer = {"", "Examples:",
                "  qlinear conformance --plugins plugins --report target/conformance",
                "  qlinear conformance --plugin cpu-vector --seed 42 \\",
                "      --case cpu-vector/m13-k2112-n192-uint4b8-g64-fp16-bias"})
final class ConformanceCommand implements Callable<Integer> {

    private static final int SHOWN_FAILURES = 20;
    private static final int MESSAGE_WIDTH = 400;

    @ParentCommand
    private QlinearCli cli;

    @Option(names = "--plugin", paramLabel = "ID", description = "Only this plugin's kernels (default: every plugin in the folder).")
    private String plugin;

    @Option(names = "--platform", paramLabel = "SPEC", converter = Converters.Platforms.class,
            description = "The platform to test for: cpu, cuda:sm_90, rocm:gfx942 (default: the detected one). Kernels that cannot run here report 'cannot run here'.")
    private Platform platform;

    @Option(names = "--report", paramLabel = "DIR",
            description = "Writes conformance.json, conformance.html and junit/TEST-*.xml into DIR (created if missing).")
    private Path reportFolder;

    @Option(names = "--max-macs", paramLabel = "N", description = "Largest M*N*K of a computed case; larger ones are dropped and counted (default: "
            + ConformanceSettings.DEFAULT_MAX_MACS + ").")
    private Long maxMacs;

    @Option(names = "--max-cases", paramLabel = "N", description = "Computed cases per kernel; those covering every swept value once always run (default: "
            + ConformanceSettings.DEFAULT_MAX_CASES + ").")
    private Integer maxCases;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the sample and of every case's data (default: random, printed).")
    private Long seed;

    @Option(names = "--case", paramLabel = "KERNEL/CASE", description = "Runs only this case, with the data of --seed: the reproduction of a failure.")
    private String caseFilter;

    @Override
    public Integer call() {
        QlinearCli.PluginsFolder folder = cli.pluginsFolder()
                .orElseThrow(() -> new UsageException("no plugins folder to test: set --plugins DIR or " + Qlinear.PLUGINS_DIR_ENV));
        if (!Files.isDirectory(folder.path())) {
            throw new UsageException("plugins folder " + folder + (Files.exists(folder.path()) ? " is not a directory" : " does not exist"));
        }
        if (maxMacs != null && maxMacs < 1) {
            throw new UsageException("--max-macs must be at least 1, got " + maxMacs);
        }
        if (maxCases != null && maxCases < 0) {
            throw new UsageException("--max-cases must not be negative, got " + maxCases);
        }
        if (plugin != null) {
            List<String> installed = cli.qlinear().plugins().stream().map(InstalledPlugin::id).sorted().toList();
            if (!installed.contains(plugin)) {
                throw new UsageException("--plugin " + plugin + " is not in " + folder + "; plugins there: " + (installed.isEmpty() ? "none" : String.join(", ", installed)));
            }
        }
        Optional<Path> reports = Optional.ofNullable(reportFolder);
        if (reports.isPresent()) {
            try {
                Files.createDirectories(reports.get());
            }
            catch (IOException e) {
                throw new UsageException("cannot create the report folder " + reports.get() + ": " + e.getMessage(), e);
            }
        }

        ConformanceSettings settings = settings(folder.path());
        PrintWriter out = cli.out();
        Progress progress = new Progress(cli.err(), System.console() != null && System.console().isTerminal());
        Optional<Path> junitXml = reports.map(folderPath -> folderPath.resolve("junit"));
        if (junitXml.isPresent() && ModuleLayer.boot().findModule("java.xml").isEmpty()) {
            cli.err().println("JUnit XML not written: this Java runtime has no java.xml module (the GPU bundle leaves it out to stay small); "
                    + "the JSON and HTML reports are complete");
            junitXml = Optional.empty();
        }
        ConformanceReport report = ConformanceLauncher.run(settings, junitXml, progress);
        progress.done();

        report.run().ifPresent(run -> out.println(run.describe()));
        for (KernelSummary kernel : report.kernels()) {
            out.println("  " + kernel.kernelId() + " (plugin " + kernel.pluginId() + " " + kernel.pluginVersion() + ", " + kernel.layerKind() + ", " + kernel.tolerance()
                    + "): " + kernel.plan() + kernel.cannotRunHere().map(reason -> "; cannot run here: " + reason).orElse(""));
        }
        out.println();
        out.print(SummaryTable.render(report.countsByKernel()));
        printFailures(out, report, settings);
        report.errors().forEach(error -> out.println("error: " + error));
        if (reports.isPresent()) {
            writeReports(out, report, reports.get(), junitXml);
        }
        out.println();
        if (caseFilter != null && report.cases().isEmpty() && report.errors().isEmpty()) {
            out.println("FAILED: --case " + caseFilter + " matches no case; case ids look like KERNEL/m13-k2112-n192-uint4b8-g64-fp16-bias, as failures print them");
            return QlinearCli.NEGATIVE;
        }
        out.println(verdict(report));
        return report.passed() ? QlinearCli.OK : QlinearCli.NEGATIVE;
    }

    private ConformanceSettings settings(Path folder) {
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(folder);
        if (plugin != null) {
            settings = settings.withPluginId(plugin);
        }
        if (platform != null) {
            settings = settings.withPlatform(platform);
        }
        if (maxMacs != null) {
            settings = settings.withMaxMacs(maxMacs);
        }
        if (maxCases != null) {
            settings = settings.withMaxCases(maxCases);
        }
        if (seed != null) {
            settings = settings.withSeed(seed);
        }
        if (caseFilter != null) {
            settings = settings.withCase(caseFilter);
        }
        return settings;
    }

    private void printFailures(PrintWriter out, ConformanceReport report, ConformanceSettings settings) {
        List<CaseResult> failures = report.failures();
        if (failures.isEmpty()) {
            return;
        }
        out.println();
        out.println("failures:");
        for (CaseResult failure : failures.subList(0, Math.min(SHOWN_FAILURES, failures.size()))) {
            out.println("  " + failure.qualifiedId() + ": " + shorten(failure.message()));
            if (failure.kind() != CaseKind.RUN && failure.kind() != CaseKind.PLUGIN) {
                out.println("    reproduce: " + reproduction(settings, failure));
            }
        }
        if (failures.size() > SHOWN_FAILURES) {
            out.println("  ... and " + (failures.size() - SHOWN_FAILURES) + " more" + (reportFolder == null ? " (--report DIR writes them all)" : " (see the reports)"));
        }
    }

    /** The command line that reruns one case with the same data. */
    private String reproduction(ConformanceSettings settings, CaseResult failure) {
        return "qlinear --plugins " + settings.pluginsFolder().orElseThrow() + " conformance --plugin " + failure.pluginId()
                + settings.platform().map(chosen -> " --platform " + chosen.spec()).orElse("") + " --seed " + settings.seed() + " --case " + failure.qualifiedId();
    }

    private static void writeReports(PrintWriter out, ConformanceReport report, Path folder, Optional<Path> junitXml) {
        try {
            Path json = JsonReport.write(report, folder.resolve("conformance.json"));
            Path html = HtmlReport.write(report, folder.resolve("conformance.html"));
            out.println();
            out.println("reports: " + json + ", " + html + junitXml.map(xml -> ", " + xml).orElse(""));
        }
        catch (IOException e) {
            throw new UsageException("cannot write the reports into " + folder + ": " + e.getMessage(), e);
        }
    }

    /** {@code 299 computed cases} or {@code 0 computed and 36 prepared-layout cases}. */
    private static String executed(ConformanceReport report) {
        long layouts = report.cases().stream().filter(result -> result.executed() && result.kind() == CaseKind.LAYOUT).count();
        long computed = report.executed() - layouts;
        return layouts == 0 ? computed + " computed cases" : computed + " computed and " + layouts + " prepared-layout cases";
    }

    private static String verdict(ConformanceReport report) {
        long failed = report.failures().size();
        String seconds = String.format(Locale.ROOT, "%.1f s", report.millis() / 1000.0);
        if (report.passed()) {
            return "PASSED: " + executed(report) + " and every must-reject case passed in " + seconds;
        }
        if (report.executed() == 0) {
            return "FAILED: no case executed" + (failed > 0 ? ", " + failed + (failed == 1 ? " failure" : " failures") : "") + " (" + seconds + ")";
        }
        return "FAILED: " + failed + " of " + report.cases().size() + " cases failed (" + executed(report) + " ran) in " + seconds;
    }

    private static String shorten(String message) {
        return message.length() <= MESSAGE_WIDTH ? message : message.substring(0, MESSAGE_WIDTH) + " ...";
    }

    /** A progress bar redrawn in place on a terminal, otherwise a line every tenth of the run. */
    private static final class Progress implements ProgressListener {
        private static final int WIDTH = 30;

        private final PrintWriter err;
        private final boolean interactive;
        private int lastTenth = -1;
        private int failed;
        private boolean drawn;

        Progress(PrintWriter err, boolean interactive) {
            this.err = err;
            this.interactive = interactive;
        }

        @Override
        public void planned(RunInfo run, KernelSummary kernel) {
            if (!interactive && run != null && lastTenth < 0) {
                err.println("conformance: " + run.plannedCases() + " cases planned on " + run.platform() + ", seed " + run.seed());
                err.flush();
                lastTenth = 0;
            }
        }

        @Override
        public void finished(CaseResult result, int done, int total) {
            if (result.outcome() == Outcome.FAIL) {
                failed++;
            }
            if (interactive) {
                int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
                String line = "\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total + " cases, " + failed + " failed  "
                        + result.qualifiedId();
                err.print(line.length() > 120 ? line.substring(0, 120) : String.format(Locale.ROOT, "%-120s", line));
                err.flush();
                drawn = true;
                return;
            }
            int tenth = total == 0 ? 10 : (int) (10L * done / total);
            if (tenth > lastTenth) {
                lastTenth = tenth;
                err.println("conformance: " + done + " of " + total + " cases (" + tenth * 10 + "%), " + failed + " failed");
                err.flush();
            }
        }

        void done() {
            if (drawn) {
                err.println();
                err.flush();
            }
        }
    }
}
