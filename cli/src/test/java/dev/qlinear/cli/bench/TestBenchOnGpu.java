package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A short bench on a real GPU: cuBLAS fp16 and the copy, with whatever kernels the class path provides. */
@Tag("gpu")
final class TestBenchOnGpu {

    @TempDir
    Path folder;

    @Test
    void timesCublasNextToTheCopyOnThisGpu() throws IOException {
        CudaAvailability availability = Cuda.availability();
        assumeTrue(availability instanceof CudaAvailability.Available,
                () -> "no CUDA GPU here: " + (availability instanceof CudaAvailability.Unavailable unavailable ? unavailable.reason() : ""));
        StringWriter err = new StringWriter();

        int exitCode = new CommandLine(new BenchCommand()).setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err))
                .execute("--shapes", "4096x4096", "--m", "1,16", "--runs", "5", "--warmup", "3", "--budget-ms", "20", "--out", folder.toString());

        assertThat(exitCode).as(err.toString()).isZero();
        BenchReport report = BenchJson.read(folder.resolve("bench.json"));
        assertThat(report.copy().gigabytesPerSecond()).isGreaterThan(100);
        for (int m : new int[] {1, 16}) {
            Measurement cublas = report.cublas(new LayerKey(4096, 4096), m).orElseThrow();
            assertThat(report.percentOfCopy(cublas)).isBetween(5.0, 150.0);
        }
        assertThat(Files.readString(folder.resolve("bench.md"))).contains("### 4096x4096");
    }
}
