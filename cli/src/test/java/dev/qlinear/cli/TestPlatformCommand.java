package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.core.rocm.Rocm;
import dev.qlinear.core.rocm.RocmAvailability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

final class TestPlatformCommand {

    @TempDir
    Path plugins;

    @Test
    void describesTheDetectedCpu() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "platform");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("platform:", "cpu:", "compute units:", "memory:", "features:", "probes:");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void printsJson() throws IOException {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "platform", "--format", "json");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("spec").asText()).startsWith("cpu:");
        assertThat(json.get("vendor").asText()).isEqualTo("cpu");
        assertThat(json.get("device").get("computeUnits").asInt()).isPositive();
        assertThat(json.get("probes")).extracting(JsonNode::asText).containsExactly("cuda", "rocm", "cpu");
        assertThat(json.get("findings").get("cpu").get("platform").asText()).isEqualTo(json.get("spec").asText());
    }

    @Test
    void saysWhyTheCudaProbeFoundNoGpuOnAMachineWithout() throws IOException {
        assumeTrue(Cuda.availability() instanceof CudaAvailability.Unavailable, "this machine has a CUDA device");
        String reason = ((CudaAvailability.Unavailable) Cuda.availability()).reason();

        CliRun text = CliRun.of("--plugins", plugins.toString(), "platform");
        CliRun json = CliRun.of("--plugins", plugins.toString(), "platform", "--format", "json");

        assertThat(text.out()).contains("cuda:").contains("none: " + reason);
        JsonNode cuda = new ObjectMapper().readTree(json.out()).get("findings").get("cuda");
        assertThat(cuda.get("platform").isNull()).isTrue();
        assertThat(cuda.get("reason").asText()).isEqualTo(reason).isNotBlank();
    }

    @Test
    void saysWhyTheRocmProbeFoundNoGpuOnAMachineWithout() throws IOException {
        assumeTrue(Rocm.availability() instanceof RocmAvailability.Unavailable, "this machine has an AMD GPU");
        String reason = ((RocmAvailability.Unavailable) Rocm.availability()).reason();

        CliRun text = CliRun.of("--plugins", plugins.toString(), "platform");
        CliRun json = CliRun.of("--plugins", plugins.toString(), "platform", "--format", "json");

        assertThat(text.out()).contains("  rocm:").contains("none: " + reason);
        JsonNode rocm = new ObjectMapper().readTree(json.out()).get("findings").get("rocm");
        assertThat(rocm.get("platform").isNull()).isTrue();
        assertThat(rocm.get("reason").asText()).isEqualTo(reason).isNotBlank();
    }

    @Test
    void refusesAnUnknownFormat() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "platform", "--format", "yaml");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("'yaml'", "text or json");
    }
}
