package dev.qlinear.cli;

import dev.qlinear.core.checkpoint.LayerNames;
import dev.qlinear.core.checkpoint.LayerPlan;
import dev.qlinear.core.checkpoint.ModelReport;
import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.core.select.SelectionReport;

import java.io.PrintWriter;
import java.util.Locale;

/** The text form of {@code qlinear explain --model}: a header, then one block per group of identical layers. */
final class ModelReportText {

    private static final int WIDTH = 10;
    private static final String INDENT = "    ";

    private ModelReportText() {
    }

    static void print(PrintWriter out, ModelReport report) {
        long quantized = report.groups().stream().filter(group -> !group.format().equals(LayerPlan.UNQUANTIZED)).mapToLong(group -> group.layers().size()).sum();
        long unquantized = report.groups().stream().filter(group -> group.format().equals(LayerPlan.UNQUANTIZED)).mapToLong(group -> group.layers().size()).sum();
        Text.field(out, "", WIDTH, "checkpoint", report.checkpoint().toString());
        Text.field(out, "", WIDTH, "method", report.method());
        Text.field(out, "", WIDTH, "platform", report.platform() + (report.platform().isDetected() ? ", detected" : ""));
        Text.field(out, "", WIDTH, "tp", String.valueOf(report.tensorParallel()));
        Text.field(out, "", WIDTH, "layers", quantized + " quantized, " + unquantized + " unquantized, in " + report.groups().size() + " groups");
        int index = 1;
        for (ModelReport.LayerGroup group : report.groups()) {
            out.println();
            out.println("[" + index++ + "] " + String.join(", ", LayerNames.summarize(group.layers())));
            Text.field(out, INDENT, WIDTH, "count", group.layers().size() + " layer" + (group.layers().size() == 1 ? "" : "s") + ", "
                    + group.parallelism().name().toLowerCase(Locale.ROOT) + "-parallel, " + group.format());
            if (group.format().equals(LayerPlan.UNQUANTIZED)) {
                Text.field(out, INDENT, WIDTH, "kernel", "none: not quantized, runs as a 16-bit GEMM");
                continue;
            }
            if (group.problem().isPresent()) {
                Text.field(out, INDENT, WIDTH, "problem", group.problem().get());
                continue;
            }
            SelectionReport selection = group.selection().orElseThrow();
            Text.field(out, INDENT, WIDTH, "layer", LayerDescriptions.describe(group.config().orElseThrow()));
            Text.field(out, INDENT, WIDTH, "selected", selection.selectedKernelId().orElse("none"));
            ExplainCommand.printCandidates(out, INDENT, selection);
        }
    }
}
