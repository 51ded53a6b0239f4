package dev.qlinear.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code qlinear bench chart}: draws a bench report as a PNG, on a machine whose Java has java.desktop. */
@Command(name = "chart", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draws bench.json as a PNG: a panel per layer, a line per kernel and baseline against M (log scale).",
                "Needs a full JDK (java.desktop); the GPU bundle has none, so draw charts on the build machine.",
                "Exits 0 when the chart was written, 1 when this runtime cannot draw, 2 on bad input."},
        footer = {"", "Example:", "  qlinear bench chart bench-out/bench.json --metric bandwidth --out bench-out/bandwidth.png"})
public final class ChartCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPORT.json", description = "A report written by qlinear bench.")
    private Path report;

    @Option(names = "--out", paramLabel = "FILE.png", description = "The PNG to write (default: the report's name with .png).")
    private Path out;

    @Option(names = "--metric", paramLabel = "METRIC", defaultValue = "speedup", converter = BenchConverters.Metrics.class,
            description = "speedup (over cuBLAS fp16, the default) or bandwidth (achieved GB/s).")
    private ChartMetric metric;

    @Option(names = "--width", paramLabel = "PX", defaultValue = "" + ChartSupport.DEFAULT_WIDTH, description = "Width in pixels (default: ${DEFAULT-VALUE}).")
    private int width;

    @Option(names = "--height", paramLabel = "PX", defaultValue = "" + ChartSupport.DEFAULT_HEIGHT, description = "Height in pixels (default: ${DEFAULT-VALUE}).")
    private int height;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (width < 200 || width > 10_000 || height < 200 || height > 10_000) {
            throw new ParameterException(spec.commandLine(), "--width and --height must be between 200 and 10000 pixels, got " + width + "x" + height);
        }
        if (!Files.isRegularFile(report)) {
            throw new ParameterException(spec.commandLine(), "report " + report + (Files.exists(report) ? " is not a file" : " does not exist"));
        }
        Optional<String> missing = ChartSupport.unavailable();
        if (missing.isPresent()) {
            err.println("qlinear: cannot draw charts here: " + missing.get() + "; " + ChartSupport.howToDraw(report));
            err.flush();
            return 1;
        }
        BenchReport loaded;
        try {
            loaded = BenchJson.read(report);
        }
        catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "cannot read bench report " + report + ": " + e.getMessage(), e);
        }
        Path target = out != null ? out : ChartSupport.pngBeside(report);
        try {
            ChartSupport.draw(loaded, metric, width, height, target);
        }
        catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot write " + target + ": " + e.getMessage(), e);
        }
        catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "cannot chart " + report + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("chart: " + target);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
