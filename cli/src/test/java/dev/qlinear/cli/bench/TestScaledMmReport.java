package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Reports of {@code --kind all} runs: FP8 kernel rows next to weight-only ones, cuBLAS fp16 and torch._scaled_mm. */
final class TestScaledMmReport {

    @TempDir
    Path folder;

    /** bench/torch_baselines.py's rows for the fixture's layers: §9.3's FP8 row-wise times, and its fp16 ones for the QKV layer. */
    private BenchReport merged() throws IOException {
        Path file = folder.resolve("torch.json");
        Files.writeString(file, """
                {
                  "schema": "qlinear-torch-baselines/1",
                  "date": "2026-11-21T15:05:00Z",
                  "device": "NVIDIA H100 80GB HBM3",
                  "torch": "2.11.0+cu130",
                  "cuda": "13.0",
                  "l2Bytes": 52428800,
                  "rotateBytes": 209715200,
                  "rows": [
                    %s
                  ],
                  "skipped": []
                }
                """.formatted(String.join(",\n", List.of(
                torch("torch-fp16", 6144, 4096, 1, 29.0),
                torch("torch-fp8-rowwise", 6144, 4096, 1, 23.1),
                torch("torch-fp8-rowwise", 6144, 4096, 16, 22.0),
                torch("torch-fp8-rowwise", 6144, 4096, 256, 22.7),
                torch("torch-fp8-rowwise", 6144, 4096, 4096, 167.8),
                torch("torch-fp8-rowwise", 4096, 2112, 1, 13.2),
                torch("torch-fp8-rowwise", 4096, 2112, 16, 13.9),
                torch("torch-fp8-rowwise", 4096, 2112, 256, 14.0)))));
        return TorchBaselines.read(file).mergeInto(BenchFixture.withScaledMm());
    }

    private static String torch(String source, int n, int k, int m, double median) {
        return "{\"source\": \"%s\", \"n\": %d, \"k\": %d, \"m\": %d, \"medianMicros\": %s, \"p10Micros\": %s, \"p90Micros\": %s, \"samples\": 30, \"callsPerSample\": 10}"
                .formatted(source, n, k, m, median, median - 0.2, median + 0.5);
    }

    private static Measurement row(BenchReport report, Source source, String name, LayerKey layer, int m) {
        return report.rows().stream().filter(row -> row.source() == source && row.name().equals(name) && row.layer().equals(layer) && row.m() == m)
                .findFirst().orElseThrow();
    }

    @Test
    void fp8RowsAreComparedWithCublasAndTorchScaledMm() throws IOException {
        BenchReport report = merged();
        Measurement fp8 = row(report, Source.KERNEL, BenchFixture.FP8_KERNEL, BenchFixture.QKV, 1);

        assertThat(fp8.kind()).isEqualTo(RowKind.SCALED_MM);
        assertThat(fp8.group()).isEmpty();
        // N·K + 4·N + M·K + 4·M + 2·M·N + 2·M·K in 20.5 µs
        assertThat(fp8.bytes()).isEqualTo(25_214_980L);
        assertThat(fp8.gigabytesPerSecond()).isCloseTo(25_214_980 / 20.5e-6 / 1e9, within(1e-9));
        assertThat(report.percentOfCopy(fp8)).isCloseTo(100 * 1229.999 / 3000, within(0.001));
        assertThat(fp8.tflops()).isCloseTo(2.0 * 6144 * 4096 / 20.5e-6 / 1e12, within(1e-9));
        assertThat(report.speedupVsCublas(fp8).getAsDouble()).isCloseTo(29.3 / 20.5, within(1e-12));
        assertThat(report.speedupVsTorchFp8(fp8).getAsDouble()).isCloseTo(23.1 / 20.5, within(1e-12));

        Measurement torch = row(report, Source.TORCH_FP8_ROWWISE, Source.TORCH_FP8_ROWWISE.key(), BenchFixture.QKV, 1);
        assertThat(torch.kind()).isEqualTo(RowKind.SCALED_MM);
        assertThat(report.speedupVsTorchFp8(torch).getAsDouble()).isEqualTo(1.0);
        // weight-only and dense rows have no FP8 comparison; neither has an M torch did not measure
        assertThat(report.speedupVsTorchFp8(row(report, Source.KERNEL, BenchFixture.KERNEL, BenchFixture.QKV, 1))).isEmpty();
        assertThat(report.speedupVsTorchFp8(row(report, Source.CUBLAS_FP16, Source.CUBLAS_FP16.key(), BenchFixture.QKV, 1))).isEmpty();
        assertThat(report.speedupVsTorchFp8(row(report, Source.KERNEL, BenchFixture.FP8_KERNEL, BenchFixture.AWKWARD, 4096))).isEmpty();
    }

    @Test
    void weightOnlyRowsComeBeforeFp8RowsOfTheSameM() throws IOException {
        BenchReport report = merged();

        assertThat(report.rows(BenchFixture.QKV).stream().filter(row -> row.m() == 1).map(row -> row.series().title()))
                .containsExactly("triton-w4a16", "triton-fp8", "cuBLAS fp16", "torch fp16 matmul", "torch._scaled_mm fp8 row-wise");
        assertThat(report.series()).extracting(Series::title)
                .containsExactly("triton-w4a16", "triton-fp8", "cuBLAS fp16", "torch fp16 matmul", "torch._scaled_mm fp8 row-wise");
        assertThat(report.kind(new Series(Source.KERNEL, BenchFixture.FP8_KERNEL))).isEqualTo(RowKind.SCALED_MM);
        assertThat(report.kind(new Series(Source.KERNEL, BenchFixture.KERNEL))).isEqualTo(RowKind.WEIGHT_ONLY);
    }

    @Test
    void markdownHasTheFp8LegendTorchComparisonAndColumn() throws IOException {
        String markdown = BenchMarkdown.render(merged());

        assertThat(markdown).contains("- layers (--kind all): weight-only uint4b8 weights, float16 activations, group 128 (smaller where it does not divide K); "
                + "FP8 scaled-mm PTPC (group column: PTPC): float8_e4m3fn weights [N, K] with per-channel fp32 scales (static), activations quantized to "
                + "float8_e4m3fn per token (dynamic fp32 scales, by the kernel), bfloat16 input and output, no bias; M 1, 16, 256, 4096\n");
        assertThat(markdown).contains("fp8 row-wise N·K + 4·N + M·K + 4·M + 2·M·N (KERNELS.md §9.2; torch._scaled_mm's activations arrive quantized); "
                + "FP8 PTPC kernels N·K + 4·N + M·K + 4·M + 2·M·N + 2·M·K, §9.2's fp8 row-wise bytes plus the 16-bit input they read to quantize the "
                + "activations themselves; TFLOP/s = 2·M·N·K / time\n");
        // speed-up over cuBLAS: 29.3 / 20.5, 28.6 / 21.5; time ratio from M = 256: 24.0 / 36.3, 150.0 / 290.7
        assertThat(markdown).contains("| triton-fp8 | 6144x4096 (llama3-8b qkv) | 1.43× | 1.33× | 0.66 | 0.52 |");
        assertThat(markdown).contains("## FP8 speed-up over torch._scaled_mm\n\n", "the kernels' times include it.");
        assertThat(markdown).contains("| kernel | layer | M=1 | M=16 | M=256 | M=4096 |");
        // 23.1 / 20.5, 22.0 / 21.5, 22.7 / 24.0, 167.8 / 150.0; torch did not measure 4096x2112 at M = 4096
        assertThat(markdown).contains("| triton-fp8 | 6144x4096 (llama3-8b qkv) | 1.13× | 1.02× | 0.95× | 1.12× |");
        assertThat(markdown).contains("| triton-fp8 | 4096x2112 (gemma-4 down, K=2112) | 1.06× | 1.08× | 1.04× | – |");
        assertThat(markdown).contains("| M | source | group | median µs | p10 µs | p90 µs | TFLOP/s | MB moved | GB/s | % copy | vs cuBLAS | vs torch fp8 |");
        // 25.2 MB in 20.5 µs: 1230 GB/s, 41 % of 3000 GB/s
        assertThat(markdown).contains("| 1 | triton-fp8 | PTPC | 20.5 | 20.1 | 21.1 | 2.5 | 25.2 | 1230 | 41 | 1.43× | 1.13× |");
        assertThat(markdown).contains("| 1 | triton-w4a16 | 128 | 62.1 | 60.9 | 64.0 | 0.8 | 13.0 | 209 | 7 | 0.47× | – |");
        assertThat(markdown).contains("| 1 | torch._scaled_mm fp8 row-wise | PTPC | 23.1 | 22.9 | 23.6 | 2.2 | 25.2 | 1091 | 36 | 1.27× | 1.00× |");
        assertThat(markdown).contains("| 1 | cuBLAS fp16 | – | 29.3 |");
    }

    @Test
    void withoutTorchRowsTheFp8SectionSaysHowToGetThem() {
        String markdown = BenchMarkdown.render(BenchFixture.withScaledMm());

        assertThat(markdown).contains("## FP8 speed-up over torch._scaled_mm\n\nNo torch._scaled_mm rows to compare with: bench/gpu.sh measures them");
        assertThat(markdown).contains("| 1 | triton-fp8 | PTPC | 20.5 | 20.1 | 21.1 | 2.5 | 25.2 | 1230 | 41 | 1.43× | – |");
    }

    @Test
    void aWeightOnlyReportLooksAsBefore() {
        String markdown = BenchMarkdown.render(BenchFixture.report());

        assertThat(markdown).doesNotContain("FP8 speed-up over torch._scaled_mm", "vs torch fp8", "FP8 PTPC kernels", "PTPC");
        assertThat(markdown).contains("- layers (--kind weight-only): weight-only uint4b8 weights, float16 activations, group 128");
        assertThat(markdown).contains("| M | source | group | median µs | p10 µs | p90 µs | TFLOP/s | MB moved | GB/s | % copy | vs cuBLAS |\n");
    }

    @Test
    void jsonCarriesKindAndTheTorchSpeedupAndReadsBack() throws IOException {
        BenchReport report = merged();
        Path file = folder.resolve("bench.json");

        BenchJson.write(report, file);
        BenchReport read = BenchJson.read(file);

        assertThat(read).isEqualTo(report);
        assertThat(read.header().settings().kinds()).isEqualTo(KindSelection.ALL);
        String json = Files.readString(file);
        assertThat(json).contains("\"kind\" : \"all\"", "\"scaledMmLayer\" : \"float8_e4m3fn weights [N, K] with per-channel fp32 scales (static)",
                "\"kind\" : \"scaled-mm\"", "\"kind\" : \"weight-only\"", "\"kind\" : \"dense\"", "\"speedupVsTorchFp8\" : null",
                "\"speedupVsTorchFp8\" : " + 23.1 / 20.5);
        // the fields of a row: the first version's, then the added ones
        assertThat(json).containsPattern("\"name\" : \"triton-fp8\",\\s+\"n\" : 6144,\\s+\"k\" : 4096,\\s+\"m\" : 1,\\s+\"group\" : null,\\s+\"medianMicros\" : 20.5,"
                + "[^}]+\"bytes\" : 25214980,[^}]+\"speedupVsCublas\" : [0-9.]+,\\s+\"kind\" : \"scaled-mm\",\\s+\"speedupVsTorchFp8\" : [0-9.]+\\s+}");
    }

    @Test
    void reportsFromBeforeKindReadAsWeightOnly() throws IOException {
        BenchReport before = BenchFixture.report();
        Path file = folder.resolve("before.json");
        BenchJson.write(before, file);
        Files.writeString(file, Files.readString(file)
                .replaceAll(",\\s*\"kind\" : \"[a-z-]+\"", "")
                .replaceAll(",\\s*\"speedupVsTorchFp8\" : (null|[0-9.]+)", ""));
        assertThat(Files.readString(file)).doesNotContain("\"kind\"", "speedupVsTorchFp8");

        BenchReport read = BenchJson.read(file);

        assertThat(read).isEqualTo(before);
        assertThat(read.header().settings().kinds()).isEqualTo(KindSelection.WEIGHT_ONLY);
        assertThat(read.rows()).filteredOn(row -> row.source() == Source.KERNEL).allSatisfy(row -> assertThat(row.kind()).isEqualTo(RowKind.WEIGHT_ONLY));
    }

    @Test
    void jsonKindsAreChecked() throws IOException {
        Path file = folder.resolve("bench.json");
        BenchJson.write(BenchFixture.report(), file);
        String json = Files.readString(file);

        Files.writeString(file, json.replaceFirst("\"kind\" : \"dense\"", "\"kind\" : \"fp4\""));
        assertThatThrownBy(() -> BenchJson.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench report.rows[0].kind is 'fp4', expected weight-only, scaled-mm, dense");

        Files.writeString(file, json.replaceFirst("\"kind\" : \"dense\"", "\"kind\" : \"scaled-mm\""));
        assertThatThrownBy(() -> BenchJson.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench report.rows[0]: a cublas-fp16 row is of kind dense, got scaled-mm");

        Files.writeString(file, json.replaceFirst("\"kind\" : \"weight-only\"", "\"kind\" : \"everything\""));
        assertThatThrownBy(() -> BenchJson.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench report.header.settings.kind is 'everything', expected weight-only, scaled-mm or all");
    }

    @Test
    void theChartHasALineForTheFp8Kernel() throws IOException {
        Path file = folder.resolve("bench.png");

        ChartSupport.draw(merged(), ChartMetric.SPEEDUP, 900, 640, file);

        BufferedImage image = ImageIO.read(file.toFile());
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colors.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        // triton-w4a16 in the palette's first colour, triton-fp8 in its second
        assertThat(colors).contains(0x4E79A7, 0xF28E2B);
    }

    @Test
    void aKernelRowIsNeverDense() {
        assertThatThrownBy(() -> new Measurement(Source.KERNEL, "triton-fp8", 64, 64, 1, java.util.OptionalInt.empty(), new Timing(1, 1, 1, 5, 1), 100,
                RowKind.DENSE)).hasMessage("a kernel row is of kind weight-only or scaled-mm, got dense");
    }
}
