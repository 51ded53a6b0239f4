package dev.qlinear.cli.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A bench run: every measured row next to the baselines of the same run, and what derives from them (speed-up over
 * cuBLAS fp16 of the same layer and M, share of the copy bandwidth).
 *
 * @param header device, date and settings
 * @param copy the device-to-device copy of this run
 * @param rows every measurement: kernels, cuBLAS fp16, and merged torch baselines
 * @param refusals kernels not measured on a layer, with the reason
 * @param overheads launch costs per kernel and layer at M = 1
 * @param notes facts a reader needs, such as a group size changed to fit K
 */
public record BenchReport(BenchHeader header, CopyBandwidth copy, List<Measurement> rows, List<Refusal> refusals, List<LaunchOverhead> overheads,
        List<String> notes) {

    private static final Comparator<Measurement> ROW_ORDER = Comparator.comparingInt(Measurement::m)
            .thenComparing(Measurement::source)
            .thenComparing(Measurement::kind)
            .thenComparing(Measurement::name);

    public BenchReport {
        requireNonNull(header, "header is null");
        requireNonNull(copy, "copy is null");
        rows = List.copyOf(requireNonNull(rows, "rows is null"));
        refusals = List.copyOf(requireNonNull(refusals, "refusals is null"));
        overheads = List.copyOf(requireNonNull(overheads, "overheads is null"));
        notes = List.copyOf(requireNonNull(notes, "notes is null"));
    }

    /** The cuBLAS fp16 row of a layer and M. */
    public Optional<Measurement> cublas(LayerKey layer, int m) {
        return rows.stream().filter(row -> row.source() == Source.CUBLAS_FP16 && row.layer().equals(layer) && row.m() == m).findFirst();
    }

    /** cuBLAS fp16 time over this row's time, for the same layer and M: above 1 is faster than cuBLAS. */
    public OptionalDouble speedupVsCublas(Measurement row) {
        return cublas(row.layer(), row.m())
                .map(baseline -> OptionalDouble.of(baseline.timing().medianMicros() / row.timing().medianMicros()))
                .orElse(OptionalDouble.empty());
    }

    /** The {@code torch._scaled_mm} row-wise row of a layer and M, merged from the torch baselines. */
    public Optional<Measurement> torchFp8(LayerKey layer, int m) {
        return rows.stream().filter(row -> row.source() == Source.TORCH_FP8_ROWWISE && row.layer().equals(layer) && row.m() == m).findFirst();
    }

    /**
     * {@code torch._scaled_mm} row-wise time over this row's time, for the same layer and M: above 1 is faster than
     * torch. Only for FP8 scaled-mm rows; torch's time leaves out the activation quantization that qlinear's kernels
     * do in theirs.
     */
    public OptionalDouble speedupVsTorchFp8(Measurement row) {
        if (row.kind() != RowKind.SCALED_MM) {
            return OptionalDouble.empty();
        }
        return torchFp8(row.layer(), row.m())
                .map(baseline -> OptionalDouble.of(baseline.timing().medianMicros() / row.timing().medianMicros()))
                .orElse(OptionalDouble.empty());
    }

    /** Whether some kernel was timed on an FP8 scaled-mm layer. */
    public boolean hasScaledMmKernels() {
        return rows.stream().anyMatch(row -> row.source() == Source.KERNEL && row.kind() == RowKind.SCALED_MM);
    }

    /** The row's achieved bandwidth as a percentage of this run's copy bandwidth. */
    public double percentOfCopy(Measurement row) {
        return 100.0 * row.gigabytesPerSecond() / copy.gigabytesPerSecond();
    }

    /** Every layer: the settings' shapes in order, then layers only merged rows have. */
    public List<LayerKey> layers() {
        Set<LayerKey> layers = new LinkedHashSet<>();
        header.settings().shapes().forEach(shape -> layers.add(shape.layer()));
        rows.forEach(row -> layers.add(row.layer()));
        return List.copyOf(layers);
    }

    /** The preset name of a layer, such as {@code llama3-8b qkv}. */
    public Optional<String> layerName(LayerKey layer) {
        return header.settings().shapes().stream().filter(shape -> shape.layer().equals(layer)).findFirst().flatMap(BenchShape::name);
    }

    /** A layer's rows by M, then source, then name. */
    public List<Measurement> rows(LayerKey layer) {
        return rows.stream().filter(row -> row.layer().equals(layer)).sorted(ROW_ORDER).toList();
    }

    /** The kernel ids measured, in the order first measured. */
    public List<String> kernels() {
        return rows.stream().filter(row -> row.source() == Source.KERNEL).map(Measurement::name).distinct().toList();
    }

    /** The kernels and baselines that have rows: weight-only kernels, scaled-mm kernels, cuBLAS, then torch. */
    public List<Series> series() {
        return rows.stream().map(Measurement::series).distinct()
                .sorted(Comparator.comparing(Series::source).thenComparing(this::kind).thenComparing(Series::name))
                .toList();
    }

    /** The kind of a series' rows: a kernel implements one kind of layer. */
    public RowKind kind(Series series) {
        return rows.stream().filter(row -> row.series().equals(series)).map(Measurement::kind).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no rows of " + series.title()));
    }

    /** This report with baseline rows added; a row replaces an earlier one of the same source, layer and M. */
    public BenchReport withBaselines(List<Measurement> added, List<String> moreNotes) {
        List<Measurement> merged = new ArrayList<>(rows.stream()
                .filter(row -> added.stream().noneMatch(other -> sameCell(row, other)))
                .toList());
        merged.addAll(added);
        List<String> allNotes = new ArrayList<>(notes);
        allNotes.addAll(moreNotes);
        return new BenchReport(header, copy, merged, refusals, overheads, allNotes);
    }

    private static boolean sameCell(Measurement a, Measurement b) {
        return a.source() == b.source() && a.name().equals(b.name()) && a.layer().equals(b.layer()) && a.m() == b.m()
                && Objects.equals(a.group(), b.group());
    }
}
