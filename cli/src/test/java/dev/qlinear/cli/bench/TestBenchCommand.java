package dev.qlinear.cli.bench;

import dev.qlinear.cli.QlinearCli;
import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The bench command on this machine, which may have no GPU: everything it checks before touching one, and its refusal without one. */
final class TestBenchCommand {

    @TempDir
    Path folder;

    private record Run(int exitCode, String out, String err) {
    }

    /** {@code qlinear bench ARGS} in this JVM, with no plugins folder from the environment. */
    private Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] line = new String[args.length + 1];
        line[0] = "bench";
        System.arraycopy(args, 0, line, 1, args.length);
        int exitCode = QlinearCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), new Properties(), line);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void withoutAGpuExitsOneNamingTheReason() {
        assumeTrue(Cuda.availability() instanceof CudaAvailability.Unavailable, "this machine has a CUDA GPU; TestBenchOnGpu runs the bench instead");
        String reason = ((CudaAvailability.Unavailable) Cuda.availability()).reason();

        Run run = bench("--shapes", "llama3-8b", "--out", folder.resolve("out").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("qlinear: bench needs a CUDA GPU, and none can be used here: " + reason + System.lineSeparator());
        assertThat(reason).isNotBlank();
        assertThat(run.out()).isEmpty();
    }

    @Test
    void anIncompleteShapeIsNamed() {
        Run run = bench("--shapes", "llama3-8b,4096x", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--shapes: shape '4096x' is neither a preset (llama3-8b, llama3-70b, awkward, all) nor NxK with two positive integers");
    }

    @Test
    void mZeroIsNamed() {
        Run run = bench("--m", "1,0,16", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("M=0 is not a positive row count; M must be at least 1");
    }

    @Test
    void everyBadSettingIsListedAtOnce() {
        Run run = bench("--group-size", "0", "--weight-type", "float8_e4m3fn", "--act-type", "float32", "--runs", "0", "--warmup", "-1", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--group-size must be -1 (channelwise) or positive, got 0", "--weight-type must be uint4b8, uint8b128, uint4 or uint8, got float8_e4m3fn",
                "--act-type must be float16 or bfloat16, got float32", "--runs must be at least 1, got 0", "--warmup must not be negative, got -1");
    }

    @Test
    void aBadRotationSizeIsNamed() {
        Run run = bench("--rotate-bytes", "200 parsecs", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("size '200 parsecs' has an unknown unit 'parsecs'");
    }

    @Test
    void unreadableTorchBaselinesAreRefusedBeforeAnyMeasurement() throws IOException {
        Path torch = Files.writeString(folder.resolve("torch.json"), "{\"schema\": \"something-else\"}");

        Run run = bench("--torch-baselines", torch.toString(), "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--torch-baselines " + torch + ": torch baselines torch.json: schema is 'something-else', expected 'qlinear-torch-baselines/1'");
    }

    @Test
    void anUninstalledKernelIsNamedWithTheInstalledOnes() {
        Run run = bench("--kernel", "marlin", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--kernel marlin is not installed; installed kernels:");
    }

    @Test
    void chartWithoutAReportNamesTheFile() {
        Path missing = folder.resolve("nothing.json");

        Run run = bench("chart", missing.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("report " + missing + " does not exist");
    }

    @Test
    void chartDrawsAWrittenReport() throws IOException {
        Path json = folder.resolve("bench.json");
        BenchJson.write(BenchFixture.report(), json);

        Run run = bench("chart", json.toString(), "--width", "640", "--height", "480");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("chart: " + folder.resolve("bench.png") + System.lineSeparator());
        assertThat(ImageIO.read(folder.resolve("bench.png").toFile()).getWidth()).isEqualTo(640);
    }
}
