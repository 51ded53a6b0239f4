package dev.qlinear.conformance.report;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.ConformanceReport;
import dev.qlinear.conformance.KernelSummary;
import dev.qlinear.conformance.Outcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The run as one self-contained HTML page (inline CSS, no scripts, no external resources): a summary table, and per
 * kernel a grid of its computed cases by shape (rows) and variant (columns), one coloured mark per case, then the
 * values it does not declare, its must-reject cases, and each failure with its error and reproduction line.
 */
public final class HtmlReport {

    private static final Pattern SHAPE = Pattern.compile("^M=(\\d+) K=(\\d+)\\S* N=(\\d+)");
    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            h3{font-size:15px;margin:16px 0 6px}.meta{color:#555;margin:2px 0}
            table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
            th{background:#f5f5f7;font-weight:600}td.num{text-align:right}
            .grid td{padding:2px 4px;white-space:nowrap}.grid th.variant{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:500;font-size:12px}
            .mark{display:inline-block;width:12px;height:12px;margin:1px;border-radius:2px}
            .pass{background:#2e7d32}.fail{background:#c62828}.not-declared{background:#9e9e9e}.cannot-run-here{background:#f9a825}
            .verdict{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
            .chip{display:inline-block;background:#eee;border-radius:10px;padding:1px 8px;margin:2px;font-size:12px}
            code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f5f5f7;border-radius:3px}
            pre{padding:6px 8px;white-space:pre-wrap;word-break:break-word;margin:4px 0}
            .failure{border-left:4px solid #c62828;padding:2px 10px;margin:10px 0}
            .legend span{margin-right:14px}
            """;

    private HtmlReport() {
    }

    public static Path write(ConformanceReport report, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, render(report), StandardCharsets.UTF_8);
        return file;
    }

    public static String render(ConformanceReport report) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qlinear conformance</title><style>")
                .append(CSS).append("</style></head><body>\n");
        html.append("<h1>qlinear conformance <span class=\"verdict ").append(report.passed() ? "pass" : "fail").append("\">")
                .append(report.passed() ? "passed" : "failed").append("</span></h1>\n");
        report.run().ifPresent(run -> html.append("<p class=\"meta\">").append(escape(run.describe())).append("</p>\n"));
        html.append("<p class=\"meta\">").append(report.executed()).append(" computed cases in ").append(String.format(Locale.ROOT, "%.1f", report.millis() / 1000.0))
                .append(" s</p>\n");
        html.append("<p class=\"legend\">").append(legend(Outcome.PASS)).append(legend(Outcome.FAIL)).append(legend(Outcome.NOT_DECLARED))
                .append(legend(Outcome.CANNOT_RUN_HERE)).append("</p>\n");
        if (!report.errors().isEmpty()) {
            html.append("<h2>Errors</h2>\n");
            report.errors().forEach(error -> html.append("<pre>").append(escape(error)).append("</pre>\n"));
        }
        summary(html, report);
        for (KernelSummary kernel : report.kernels()) {
            kernel(html, kernel, report.casesOf(kernel.kernelId()));
        }
        List<CaseResult> others = report.cases().stream()
                .filter(result -> report.kernels().stream().noneMatch(kernel -> kernel.kernelId().equals(result.kernelId()))).toList();
        if (!others.isEmpty()) {
            html.append("<h2>Run</h2>\n");
            others.forEach(result -> failure(html, result));
        }
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void summary(StringBuilder html, ConformanceReport report) {
        html.append("<h2>Summary</h2>\n<table><tr><th>kernel</th><th>plugin</th><th>tolerance</th><th>pass</th><th>fail</th><th>not declared</th>")
                .append("<th>cannot run here</th><th>plan</th></tr>\n");
        Map<String, Map<Outcome, Integer>> counts = report.countsByKernel();
        for (KernelSummary kernel : report.kernels()) {
            Map<Outcome, Integer> kernelCounts = counts.getOrDefault(kernel.kernelId(), Map.of());
            html.append("<tr><td><a href=\"#").append(anchor(kernel.kernelId())).append("\">").append(escape(kernel.kernelId())).append("</a></td><td>")
                    .append(escape(kernel.pluginId() + " " + kernel.pluginVersion())).append("</td><td>").append(escape(kernel.tolerance())).append("</td>");
            for (Outcome outcome : Outcome.values()) {
                html.append("<td class=\"num\">").append(kernelCounts.getOrDefault(outcome, 0)).append("</td>");
            }
            html.append("<td>").append(escape(kernel.plan())).append(kernel.cannotRunHere().map(reason -> "<br>cannot run here: " + escape(reason)).orElse(""))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void kernel(StringBuilder html, KernelSummary kernel, List<CaseResult> cases) {
        html.append("<h2 id=\"").append(anchor(kernel.kernelId())).append("\">").append(escape(kernel.kernelId())).append(" <small>(")
                .append(escape(kernel.layerKind() + ", plugin " + kernel.pluginId() + " " + kernel.pluginVersion() + ", tolerance " + kernel.tolerance()))
                .append(")</small></h2>\n");
        html.append("<p class=\"meta\">").append(escape(kernel.plan())).append("</p>\n");
        List<CaseResult> computed = cases.stream().filter(result -> result.kind() == CaseKind.COMPUTE).toList();
        if (!computed.isEmpty()) {
            grid(html, computed);
        }
        List<CaseResult> layouts = cases.stream().filter(result -> result.kind() == CaseKind.LAYOUT).toList();
        if (!layouts.isEmpty()) {
            html.append("<h3>Prepared layout, bit for bit against the reference packer</h3>\n");
            grid(html, layouts);
        }
        List<CaseResult> notDeclared = cases.stream().filter(result -> result.kind() == CaseKind.DECLARATION).toList();
        if (!notDeclared.isEmpty()) {
            html.append("<h3>Not declared</h3>\n<p>");
            notDeclared.forEach(result -> html.append("<span class=\"chip\" title=\"").append(escape(result.message())).append("\">")
                    .append(escape(result.column() + (result.row().equals("declaration") ? "" : " (" + result.row() + ")"))).append("</span>"));
            html.append("</p>\n");
        }
        List<CaseResult> mustReject = cases.stream().filter(result -> result.kind() == CaseKind.MUST_REJECT).toList();
        if (!mustReject.isEmpty()) {
            html.append("<h3>Must reject</h3>\n<table><tr><th></th><th>outside the declaration</th><th>what happened</th></tr>\n");
            for (CaseResult result : mustReject) {
                html.append("<tr><td>").append(mark(result)).append("</td><td>").append(escape(result.column())).append("</td><td>")
                        .append(escape(result.message())).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        List<CaseResult> failures = cases.stream().filter(result -> result.outcome() == Outcome.FAIL).toList();
        if (!failures.isEmpty()) {
            html.append("<h3>Failures (").append(failures.size()).append(")</h3>\n");
            failures.forEach(result -> failure(html, result));
        }
    }

    private static void grid(StringBuilder html, List<CaseResult> computed) {
        TreeSet<String> columns = new TreeSet<>();
        Map<String, Map<String, List<CaseResult>>> rows = new LinkedHashMap<>();
        List<String> rowOrder = new ArrayList<>();
        for (CaseResult result : computed) {
            columns.add(result.column());
            if (!rows.containsKey(result.row())) {
                rowOrder.add(result.row());
            }
            rows.computeIfAbsent(result.row(), row -> new LinkedHashMap<>()).computeIfAbsent(result.column(), column -> new ArrayList<>()).add(result);
        }
        rowOrder.sort(Comparator.comparingInt((String row) -> dimension(row, 1)).thenComparingInt(row -> dimension(row, 2))
                .thenComparingInt(row -> dimension(row, 3)).thenComparing(Comparator.naturalOrder()));
        html.append("<h3>Computed cases</h3>\n<table class=\"grid\"><tr><th>shape</th>");
        columns.forEach(column -> html.append("<th class=\"variant\">").append(escape(column)).append("</th>"));
        html.append("</tr>\n");
        for (String row : rowOrder) {
            html.append("<tr><th>").append(escape(row)).append("</th>");
            for (String column : columns) {
                html.append("<td>");
                rows.get(row).getOrDefault(column, List.of()).forEach(result -> html.append(mark(result)));
                html.append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    private static void failure(StringBuilder html, CaseResult result) {
        html.append("<div class=\"failure\"><p><strong>").append(escape(result.qualifiedId())).append("</strong>: ").append(escape(result.description()))
                .append("</p>\n");
        result.error().ifPresent(error -> html.append("<p>").append(escape(error.describe())).append(", ").append(error.badElements()).append(" of ")
                .append(error.elements()).append(" elements outside the tolerance</p>\n"));
        html.append("<pre>").append(escape(result.message())).append("</pre>\n");
        if (!result.reproduction().isEmpty()) {
            html.append("<p>reproduce: <code>").append(escape(result.reproduction())).append("</code></p>\n");
        }
        html.append("</div>\n");
    }

    private static String mark(CaseResult result) {
        String title = result.caseId() + ": " + result.outcome().label() + " - " + result.message();
        return "<span class=\"mark " + cssClass(result.outcome()) + "\" title=\"" + escape(title) + "\"></span>";
    }

    private static String legend(Outcome outcome) {
        return "<span><span class=\"mark " + cssClass(outcome) + "\"></span> " + outcome.label() + "</span>";
    }

    private static String cssClass(Outcome outcome) {
        return outcome.label().replace(' ', '-');
    }

    /** M, K or N of a row {@code M=13 K=2752/11008 N=256}, for sorting. */
    private static int dimension(String row, int group) {
        Matcher matcher = SHAPE.matcher(row);
        return matcher.find() ? Integer.parseInt(matcher.group(group)) : Integer.MAX_VALUE;
    }

    private static String anchor(String id) {
        return "kernel-" + id.replaceAll("[^A-Za-z0-9-]", "-");
    }

    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '&' -> escaped.append("&amp;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
