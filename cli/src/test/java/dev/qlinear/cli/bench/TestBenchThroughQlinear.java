package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code qlinear bench} as a user runs it: through the qlinear command's main, in a JVM of its own. */
final class TestBenchThroughQlinear {

    @TempDir
    Path folder;

    private record Run(int exitCode, String out, String err) {
    }

    private Run qlinear(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), "dev.qlinear.cli.QlinearCli"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(folder.resolve("out.txt").toFile()).redirectError(folder.resolve("err.txt").toFile());
        builder.environment().remove("QLINEAR_PLUGINS_DIR");
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("qlinear finished within a minute").isTrue();
        return new Run(process.exitValue(), Files.readString(folder.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(folder.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void benchIsAQlinearCommandThatNeedsAGpu() throws IOException, InterruptedException {
        assumeTrue(Cuda.availability() instanceof CudaAvailability.Unavailable, "this machine has a CUDA GPU; TestBenchOnGpu runs the bench instead");

        Run run = qlinear("bench", "--shapes", "4096x4096", "--out", folder.resolve("out").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("qlinear: bench needs a CUDA GPU, and none can be used here: ");
    }

    @Test
    void theInheritedPluginsOptionChoosesTheFolder() throws IOException, InterruptedException {
        Path missing = folder.resolve("no-plugins-here");

        Run before = qlinear("--plugins", missing.toString(), "bench", "--out", folder.toString());
        Run after = qlinear("bench", "--plugins", missing.toString(), "--out", folder.toString());

        for (Run run : List.of(before, after)) {
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("qlinear: error: plugins folder " + missing + " (from --plugins) does not exist");
        }
    }
}
