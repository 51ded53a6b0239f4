package dev.qlinear.cli.bench;

import dev.qlinear.cli.Text;
import dev.qlinear.spi.config.LayerKind;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/** {@code bench.md}: the report for people, with the targets first and every row per layer below. */
public final class BenchMarkdown {

    /** From this M on a layer is compute-bound and the summary compares times rather than speed-ups. */
    static final int COMPUTE_BOUND_M = 256;

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private BenchMarkdown() {
    }

    public static String render(BenchReport report) {
        StringBuilder out = new StringBuilder();
        header(out, report);
        targets(out, report);
        torchFp8(out, report);
        launches(out, report);
        layers(out, report);
        if (!report.notes().isEmpty()) {
            out.append("\n## Notes\n\n");
            report.notes().forEach(note -> out.append("- ").append(note).append('\n'));
        }
        return out.toString();
    }

    private static void header(StringBuilder out, BenchReport report) {
        BenchHeader header = report.header();
        DeviceSummary device = header.device();
        BenchSettings settings = header.settings();
        out.append("# qlinear bench: ").append(device.name()).append(", ").append(DATE.format(header.date())).append("\n\n");
        out.append("- device: ").append(device.name()).append(", ").append(device.architecture()).append(", ").append(device.multiprocessors())
                .append(" SMs, ").append(Text.bytes(device.memoryBytes())).append(" memory, L2 ").append(Text.bytes(device.l2Bytes()))
                .append(", driver CUDA ").append(device.driver()).append('\n');
        out.append("- runtime: JDK ").append(header.jdk()).append(", qlinear ").append(header.qlinearVersion()).append('\n');
        out.append("- copy bandwidth: ").append(Units.fixed(report.copy().gigabytesPerSecond(), 0)).append(" GB/s (device-to-device copy of ")
                .append(Text.bytes(report.copy().bytes())).append(", 2 × bytes / median time ").append(Units.fixed(report.copy().timing().medianMicros(), 1))
                .append(" µs): the 100 % line of the % copy column\n");
        List<String> layers = new ArrayList<>();
        if (settings.kinds().includes(LayerKind.WEIGHT_ONLY)) {
            layers.add("weight-only " + settings.weightType().name() + " weights, " + settings.activationType().name() + " activations, group "
                    + (settings.groupSize() == -1 ? "channelwise" : settings.groupSize()) + " (smaller where it does not divide K)");
        }
        if (settings.kinds().includes(LayerKind.SCALED_MM)) {
            layers.add("FP8 scaled-mm PTPC (group column: PTPC): " + ScaledMmLayers.DESCRIPTION);
        }
        out.append("- layers (--kind ").append(settings.kinds().key()).append("): ").append(String.join("; ", layers)).append("; M ")
                .append(String.join(", ", settings.ms().stream().map(String::valueOf).toList())).append('\n');
        out.append("- timing: CUDA events around batches of ").append(settings.callsPerSample()).append(" calls on a non-default stream, ")
                .append(settings.warmupCalls()).append(" warm-up calls, up to ").append(settings.runs()).append(" samples (at most ")
                .append(Units.fixed(settings.budgetMillis(), 0)).append(" ms of one source's samples at one M, at least ").append(BenchSettings.MIN_SAMPLES)
                .append("); cuBLAS and the kernels alternate at each M, one sample of each in turn, so that they see the same clocks; median, p10 and p90 per call; every call reads the next of copies of the weights spanning ")
                .append(Text.bytes(settings.rotateBytes())).append(", so weights come from memory, not L2\n");
        out.append("- bytes moved: W4A16 N·K·bits/8 + (K/G)·N·2 + 2·M·K + 2·M·N; fp16 2·N·K + 2·M·K + 2·M·N; fp8 row-wise N·K + 4·N + M·K + 4·M + 2·M·N")
                .append(" (KERNELS.md §9.2; torch._scaled_mm's activations arrive quantized)");
        if (settings.kinds().includes(LayerKind.SCALED_MM) || report.hasScaledMmKernels()) {
            out.append("; FP8 PTPC kernels N·K + 4·N + M·K + 4·M + 2·M·N + 2·M·K, §9.2's fp8 row-wise bytes plus the 16-bit input they read")
                    .append(" to quantize the activations themselves");
        }
        out.append("; TFLOP/s = 2·M·N·K / time\n");
    }

    private static void targets(StringBuilder out, BenchReport report) {
        out.append("\n## Speed-up over cuBLAS fp16\n\n");
        out.append("Below M = ").append(COMPUTE_BOUND_M).append(" (memory-bound): cuBLAS time / time, above 1 is faster than cuBLAS fp16. From M = ")
                .append(COMPUTE_BOUND_M).append(" (compute-bound): time / cuBLAS time, below 1 is faster.\n\n");
        List<Integer> ms = report.header().settings().ms().stream().sorted().toList();
        List<String> columns = new ArrayList<>(List.of("kernel", "layer"));
        ms.forEach(m -> columns.add(m < COMPUTE_BOUND_M ? "M=" + m + " speed-up" : "M=" + m + " time ratio"));
        MarkdownTable table = new MarkdownTable(columns);
        seriesRows(table, report, ms, series -> series.source() != Source.CUBLAS_FP16, report::speedupVsCublas,
                (m, speedup) -> m < COMPUTE_BOUND_M ? Units.fixed(speedup, 2) + "×" : Units.fixed(1 / speedup, 2));
        append(out, table, "No rows to compare with cuBLAS fp16.");
    }

    /** FP8 kernels against torch._scaled_mm row-wise, where the report has both. */
    private static void torchFp8(StringBuilder out, BenchReport report) {
        if (!report.hasScaledMmKernels()) {
            return;
        }
        out.append("\n## FP8 speed-up over torch._scaled_mm\n\n");
        boolean torch = report.rows().stream().anyMatch(row -> row.source() == Source.TORCH_FP8_ROWWISE);
        if (!torch) {
            out.append("No torch._scaled_mm rows to compare with: bench/gpu.sh measures them with bench/torch_baselines.py, `--torch-baselines FILE` merges them.\n");
            return;
        }
        out.append("torch._scaled_mm row-wise time / time, same layer and M: above 1 is faster than torch. torch's time leaves out the activation")
                .append(" quantization (its activations arrive quantized); the kernels' times include it.\n\n");
        List<Integer> ms = report.header().settings().ms().stream().sorted().toList();
        List<String> columns = new ArrayList<>(List.of("kernel", "layer"));
        ms.forEach(m -> columns.add("M=" + m));
        MarkdownTable table = new MarkdownTable(columns);
        seriesRows(table, report, ms, series -> series.source() == Source.KERNEL && report.kind(series) == RowKind.SCALED_MM, report::speedupVsTorchFp8,
                (m, speedup) -> Units.fixed(speedup, 2) + "×");
        append(out, table, "");
    }

    /**
     * One row per included series and layer it has rows for: its title, the layer, then {@code value} at each M as
     * {@code format} writes it ("–" where there is none).
     */
    private static void seriesRows(MarkdownTable table, BenchReport report, List<Integer> ms, Predicate<Series> included,
            Function<Measurement, OptionalDouble> value, BiFunction<Integer, Double, String> format) {
        for (Series series : report.series()) {
            if (!included.test(series)) {
                continue;
            }
            for (LayerKey layer : report.layers()) {
                List<Measurement> rows = report.rows(layer).stream().filter(row -> row.series().equals(series)).toList();
                if (rows.isEmpty()) {
                    continue;
                }
                List<String> cells = new ArrayList<>(List.of(series.title(), describe(report, layer)));
                for (int m : ms) {
                    OptionalDouble found = rows.stream().filter(row -> row.m() == m).findFirst().map(value).orElse(OptionalDouble.empty());
                    cells.add(found.isEmpty() ? "–" : format.apply(m, found.getAsDouble()));
                }
                table.row(cells);
            }
        }
    }

    private static void launches(StringBuilder out, BenchReport report) {
        out.append("\n## Launch overhead at M = 1\n\n");
        List<LaunchOverhead> overheads = report.overheads();
        if (overheads.isEmpty()) {
            out.append("No launch measurements.\n");
            return;
        }
        long met = overheads.stream().filter(LaunchOverhead::javaWithinTarget).count();
        double worstJava = overheads.stream().mapToDouble(LaunchOverhead::javaMicrosPerCall).max().orElseThrow();
        double worstHost = overheads.stream().mapToDouble(LaunchOverhead::hostMicrosPerCall).max().orElseThrow();
        boolean bare = overheads.stream().allMatch(overhead -> overhead.bareLaunchMicros().isPresent());
        out.append("- host time per `apply` (").append(overheads.getFirst().hostCalls()).append(" calls enqueued without synchronizing): at most ")
                .append(Units.fixed(worstHost, 2)).append(" µs");
        if (bare) {
            double worstBare = overheads.stream().mapToDouble(overhead -> overhead.bareLaunchMicros().getAsDouble()).max().orElseThrow();
            out.append("; a bare launch (an empty kernel launched the same way, the driver's part of each launch) at most ").append(Units.fixed(worstBare, 2))
                    .append(" µs\n");
        }
        else {
            out.append("; no bare launch measured, so the Java side below is the whole host time\n");
        }
        out.append("- Java side of `apply` (host time less a bare launch per kernel launched): ≤ ").append(Units.fixed(LaunchOverhead.HOST_TARGET_MICROS, 0)).append(" µs on ").append(met).append(" of ")
                .append(overheads.size()).append(" layers, at most ").append(Units.fixed(worstJava, 2)).append(" µs\n");
        List<LaunchOverhead> graphs = overheads.stream().filter(overhead -> overhead.graphMicrosPerApply().isPresent()).toList();
        long faster = graphs.stream().filter(overhead -> overhead.graphSpeedup().getAsDouble() >= 1.0).count();
        out.append("- CUDA graph replay: captured on ").append(graphs.size()).append(" of ").append(overheads.size()).append(" layers; per apply at most as long as direct launches on ")
                .append(faster).append(" of them\n\n");
        MarkdownTable table = new MarkdownTable(List.of("kernel", "layer", "host µs / apply", "launches / apply", "bare launch µs", "Java µs / apply", "≤ 5 µs",
                "direct µs / apply", "graph µs / apply", "direct / graph"));
        for (LaunchOverhead overhead : overheads) {
            table.row(List.of(overhead.kernel(), describe(report, overhead.layer()), Units.fixed(overhead.hostMicrosPerCall(), 2),
                    Units.fixed(overhead.launchesPerApply(), 2), overhead.bareLaunchMicros().isPresent() ? Units.fixed(overhead.bareLaunchMicros().getAsDouble(), 2) : "–",
                    Units.fixed(overhead.javaMicrosPerCall(), 2), overhead.javaWithinTarget() ? "yes" : "**no**", Units.fixed(overhead.directMicrosPerApply(), 2),
                    overhead.graphMicrosPerApply().isPresent() ? Units.fixed(overhead.graphMicrosPerApply().getAsDouble(), 2) : "failed: " + overhead.graphProblem().orElseThrow(),
                    overhead.graphSpeedup().isPresent() ? Units.fixed(overhead.graphSpeedup().getAsDouble(), 2) + "×" : "–"));
        }
        append(out, table, "");
    }

    private static void layers(StringBuilder out, BenchReport report) {
        out.append("\n## Layers\n");
        for (LayerKey layer : report.layers()) {
            out.append("\n### ").append(describe(report, layer)).append("\n\n");
            boolean fp8 = report.hasScaledMmKernels();
            List<String> columns = new ArrayList<>(List.of("M", "source", "group", "median µs", "p10 µs", "p90 µs", "TFLOP/s", "MB moved", "GB/s", "% copy", "vs cuBLAS"));
            if (fp8) {
                columns.add("vs torch fp8");
            }
            MarkdownTable table = new MarkdownTable(columns);
            for (Measurement row : report.rows(layer)) {
                OptionalDouble speedup = report.speedupVsCublas(row);
                List<String> cells = new ArrayList<>(List.of(String.valueOf(row.m()), row.series().title(), group(row),
                        Units.fixed(row.timing().medianMicros(), 1), Units.fixed(row.timing().p10Micros(), 1), Units.fixed(row.timing().p90Micros(), 1),
                        Units.fixed(row.tflops(), 1), Units.fixed(row.bytes() / 1e6, 1), Units.fixed(row.gigabytesPerSecond(), 0),
                        Units.fixed(report.percentOfCopy(row), 0), speedup.isPresent() ? Units.fixed(speedup.getAsDouble(), 2) + "×" : "–"));
                if (fp8) {
                    OptionalDouble torch = report.speedupVsTorchFp8(row);
                    cells.add(torch.isPresent() ? Units.fixed(torch.getAsDouble(), 2) + "×" : "–");
                }
                table.row(cells);
            }
            append(out, table, "No rows.");
            List<Refusal> refusals = report.refusals().stream().filter(refusal -> refusal.layer().equals(layer)).toList();
            if (!refusals.isEmpty()) {
                out.append('\n');
                refusals.forEach(refusal -> out.append("- not measured: ").append(refusal.kernel()).append(": ").append(refusal.reason()).append('\n'));
            }
        }
    }

    /** A weight-only row's group size; PTPC for FP8 scaled-mm rows (per-token × per-channel scales); none for dense ones. */
    private static String group(Measurement row) {
        if (row.group().isPresent()) {
            return String.valueOf(row.group().getAsInt());
        }
        return row.kind() == RowKind.SCALED_MM ? "PTPC" : "–";
    }

    private static String describe(BenchReport report, LayerKey layer) {
        Optional<String> name = report.layerName(layer);
        return layer + name.map(text -> " (" + text + ")").orElse("");
    }

    private static void append(StringBuilder out, MarkdownTable table, String whenEmpty) {
        if (table.isEmpty()) {
            if (!whenEmpty.isEmpty()) {
                out.append(whenEmpty).append('\n');
            }
            return;
        }
        table.appendTo(out);
    }
}
