package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

final class TestBenchReport {

    @TempDir
    Path folder;

    private final BenchReport report = BenchFixture.report();

    private Measurement row(Source source, LayerKey layer, int m) {
        return report.rows().stream().filter(row -> row.source() == source && row.layer().equals(layer) && row.m() == m).findFirst().orElseThrow();
    }

    @Test
    void derivesSpeedupBandwidthAndThroughputFromTheMeasuredTimes() {
        Measurement kernel = row(Source.KERNEL, BenchFixture.QKV, 1);
        Measurement cublas = row(Source.CUBLAS_FP16, BenchFixture.QKV, 1);

        assertThat(report.copy().gigabytesPerSecond()).isCloseTo(3000.0, within(1e-9));
        // 6144·4096/2 + 32·6144·2 + 2·4096 + 2·6144 bytes in 62.1 µs
        assertThat(kernel.bytes()).isEqualTo(12_996_608L);
        assertThat(kernel.gigabytesPerSecond()).isCloseTo(12_996_608 / 62.1e-6 / 1e9, within(1e-9));
        assertThat(report.percentOfCopy(kernel)).isCloseTo(100 * 209.285 / 3000, within(0.01));
        assertThat(report.speedupVsCublas(kernel).getAsDouble()).isCloseTo(29.3 / 62.1, within(1e-12));
        assertThat(report.speedupVsCublas(cublas).getAsDouble()).isEqualTo(1.0);
        // cuBLAS at M=1: 50.35 MB in 29.3 µs is 1718 GB/s, 57 % of the copy
        assertThat(cublas.gigabytesPerSecond()).isCloseTo(1718.5, within(0.1));
        // 2·4096·6144·4096 in 290.7 µs
        assertThat(row(Source.CUBLAS_FP16, BenchFixture.QKV, 4096).tflops()).isCloseTo(709.2, within(0.05));
    }

    @Test
    void jsonReadsBackToTheSameReport() throws IOException {
        Path file = folder.resolve("bench.json");

        BenchJson.write(report, file);
        BenchReport read = BenchJson.read(file);

        assertThat(read).isEqualTo(report);
        String json = Files.readString(file);
        assertThat(json).contains("\"schema\" : \"qlinear-bench/1\"", "\"speedupVsCublas\"", "\"percentOfCopy\"", "\"gbPerSecond\" : 3000.0");
    }

    @Test
    void jsonErrorsNameTheBrokenField() throws IOException {
        Path file = folder.resolve("broken.json");
        BenchJson.write(report, file);
        Files.writeString(file, Files.readString(file).replaceFirst("\"medianMicros\" : 29.3", "\"medianMicros\" : \"fast\""));

        assertThatThrownBy(() -> BenchJson.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench report.rows[0].medianMicros must be a number");
    }

    @Test
    void aReportWithoutBareLaunchesChecksTheWholeHostTime() throws IOException {
        Path file = folder.resolve("before-bare-launches.json");
        BenchJson.write(report, file);
        Files.writeString(file, Files.readString(file).replaceAll("\\s*\"(launchesPerApply|bareLaunchMicros|javaMicrosPerCall)\" : [0-9.]+,", ""));

        BenchReport read = BenchJson.read(file);

        assertThat(read.overheads()).allSatisfy(overhead -> {
            assertThat(overhead.bareLaunchMicros()).isEmpty();
            assertThat(overhead.launchesPerApply()).as("reports before launches were counted").isEqualTo(1.0);
        });
        assertThat(read.overheads().getFirst().javaMicrosPerCall()).isEqualTo(3.2);
        assertThat(BenchMarkdown.render(read)).contains("no bare launch measured, so the Java side below is the whole host time",
                "≤ 5 µs on 1 of 2 layers, at most 13.40 µs", "| 3.20 | 1.00 | – | 3.20 | yes |");
    }

    @Test
    void markdownShowsHeaderTargetsLaunchesAndEveryRow() {
        String markdown = BenchMarkdown.render(report);

        assertThat(markdown).startsWith("# qlinear bench: NVIDIA H100 80GB HBM3, 2026-11-21 15:00 UTC\n");
        assertThat(markdown).contains("sm_90, 132 SMs, 79.2 GiB memory, L2 50.0 MiB, driver CUDA 13.0");
        assertThat(markdown).contains("- copy bandwidth: 3000 GB/s (device-to-device copy of 143.1 MiB");
        assertThat(markdown).contains("| kernel | layer | M=1 speed-up | M=16 speed-up | M=256 time ratio | M=4096 time ratio |");
        // 29.3 / 62.1, 28.6 / 62.3, 123.6 / 36.3, 859.0 / 290.7
        assertThat(markdown).contains("| triton-w4a16 | 6144x4096 (llama3-8b qkv) | 0.47× | 0.46× | 3.40 | 2.95 |");
        assertThat(markdown).contains("| triton-w4a16 | 4096x2112 (gemma-4 down, K=2112) | 0.42× | 0.42× | 3.99 | 2.99 |");
        assertThat(markdown).contains("at most 13.40 µs; a bare launch (an empty kernel launched the same way, the driver's part of each launch) at most 2.50 µs");
        // Java side: 3.2 - 1 × 2.5 and 13.4 - 2 × 2.4
        assertThat(markdown).contains("- Java side of `apply` (host time less a bare launch per kernel launched): ≤ 5 µs on 1 of 2 layers, at most 8.60 µs");
        assertThat(markdown).contains("| triton-w4a16 | 6144x4096 (llama3-8b qkv) | 3.20 | 1.00 | 2.50 | 0.70 | yes | 62.50 | 61.90 | 1.01× |");
        assertThat(markdown).contains("| triton-w4a16 | 4096x2112 (gemma-4 down, K=2112) | 13.40 | 2.00 | 2.40 | 8.60 | **no** | 34.90 | failed: IllegalStateException: capture failed | – |");
        assertThat(markdown).contains("### 6144x4096 (llama3-8b qkv)");
        // M=1 kernel: 13.0 MB in 62.1 µs = 209 GB/s, 7 % of 3000 GB/s; M=4096 cuBLAS: 709.2 TFLOP/s
        assertThat(markdown).contains("| 1 | triton-w4a16 | 128 | 62.1 | 60.9 | 64.0 | 0.8 | 13.0 | 209 | 7 | 0.47× |");
        assertThat(markdown).contains("| 4096 | cuBLAS fp16 | – | 290.7 | 284.9 | 299.4 | 709.2 |");
        assertThat(markdown).contains("- not measured: marlin: K alignment: K=2112 must be a multiple of 128");
        assertThat(markdown).contains("## Notes", "group 128 does not divide K=2112");
    }
}
