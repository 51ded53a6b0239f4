package dev.qlinear.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Draws bench charts where the runtime can: they need the java.desktop module and XChart, which the GPU bundle leaves
 * out to stay small. Chart classes are loaded only when a chart is drawn.
 */
final class ChartSupport {

    static final int DEFAULT_WIDTH = 1600;
    static final int DEFAULT_HEIGHT = 1200;
    private static final String XCHART_CLASS = "org.knowm.xchart.XYChart";

    private ChartSupport() {
    }

    /** Why charts cannot be drawn in this runtime; empty when they can. */
    static Optional<String> unavailable() {
        if (ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
            return Optional.of("this Java runtime has no java.desktop module (the GPU bundle leaves it out to stay small)");
        }
        try {
            Class.forName(XCHART_CLASS, false, ChartSupport.class.getClassLoader());
        }
        catch (ClassNotFoundException | LinkageError e) {
            return Optional.of("XChart is not on the class path (the GPU bundle leaves it out)");
        }
        return Optional.empty();
    }

    /** How to draw the chart of a report on a machine with a full JDK. */
    static String howToDraw(Path report) {
        Path png = pngBeside(report);
        return "draw it on a machine with a full JDK 25 and the qlinear distribution: ./qlinear bench chart " + report + " --out " + png;
    }

    static Path pngBeside(Path report) {
        String name = report.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return report.resolveSibling(stem + ".png");
    }

    /**
     * Draws the chart into a PNG file.
     *
     * @throws IllegalStateException when {@link #unavailable()} says charts cannot be drawn here
     */
    static void draw(BenchReport report, ChartMetric metric, int width, int height, Path file) throws IOException {
        Optional<String> missing = unavailable();
        if (missing.isPresent()) {
            throw new IllegalStateException("cannot draw charts: " + missing.get());
        }
        // Charts are drawn off-screen; without this a machine with no display would fail in AWT.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        BenchChart.write(report, metric, width, height, file);
    }
}
