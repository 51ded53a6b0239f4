package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(json.get("probes")).extracting(JsonNode::asText).contains("cpu");
    }

    @Test
    void refusesAnUnknownFormat() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "platform", "--format", "yaml");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("'yaml'", "text or json");
    }
}
