package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.core.checkpoint.fixtures.CheckpointFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code qlinear explain --model} on the fixture checkpoints, with the test plugin installed. */
final class TestExplainModel {

    private static Path checkpoints;
    private static Path plugins;

    @BeforeAll
    static void writeFixturesAndPlugin(@TempDir Path directory) throws IOException {
        checkpoints = Files.createDirectories(directory.resolve("checkpoints"));
        plugins = Files.createDirectories(directory.resolve("plugins"));
        CheckpointFixtures.writeAll(checkpoints, System.nanoTime());
        PluginJars.fakeKernels(plugins);
    }

    private static CliRun explain(String... args) {
        List<String> all = new ArrayList<>(List.of("--plugins", plugins.toString(), "explain"));
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static JsonNode group(JsonNode report, String summary) {
        return StreamSupport.stream(report.get("groups").spliterator(), false)
                .filter(group -> group.get("summary").get(0).asText().equals(summary))
                .findFirst().orElseThrow(() -> new AssertionError("no group " + summary + " in " + report));
    }

    @Test
    void explainsEveryLayerOfAGptqCheckpointAsJson() throws IOException {
        CliRun run = explain("--model", checkpoints.resolve("llama-gptq-w4g64").toString(), "--platform", "cuda:sm_90", "--format", "json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("method").asText()).isEqualTo("gptq");
        assertThat(report.get("platform").asText()).isEqualTo("cuda:sm_90");
        assertThat(report.get("allQuantizedLayersHaveAKernel").asBoolean()).isTrue();
        assertThat(report.get("groups")).hasSize(6);
        JsonNode down = group(report, "model.layers.{0..1}.mlp.down_proj");
        assertThat(down.get("layers")).extracting(JsonNode::asText).containsExactly("model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj");
        assertThat(down.get("format").asText()).isEqualTo("gptq");
        assertThat(down.get("parallelism").asText()).isEqualTo("row");
        assertThat(down.get("layer").asText()).isEqualTo("weight-only uint4b8 x float16 -> float16, K=2112 N=576, group 64");
        assertThat(down.get("selected").asText()).isEqualTo("slow");
        JsonNode fast = down.get("selection").get("candidates").get(0);
        assertThat(fast.get("kernel").asText()).isEqualTo("fast");
        assertThat(fast.get("reasons")).extracting(reason -> reason.get("message").asText())
                .containsExactly("group size: needs 128, got 64", "K alignment: needs K % 128 == 0, got K=2112");
        JsonNode head = group(report, "lm_head");
        assertThat(head.get("format").asText()).isEqualTo("unquantized");
        assertThat(head.get("selected").isNull()).isTrue();
    }

    @Test
    void printsOneBlockPerGroupOfIdenticalLayers() {
        CliRun run = explain("--model", checkpoints.resolve("llama-awq-w4g64").toString(), "--platform", "cuda:sm_90");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out())
                .containsPattern("method: +awq")
                .containsPattern("layers: +14 quantized, 1 unquantized, in 6 groups")
                .contains("] model.layers.{0..1}.mlp.gate_proj, model.layers.{0..1}.mlp.up_proj")
                .contains("weight-only uint4 x float16 -> float16, K=576 N=2112, group 64, zero points")
                .containsPattern("selected: +slow");
    }

    @Test
    void tensorParallelSplitsThatBreakTheGroupSizeAreReportedPerGroup() throws IOException {
        CliRun run = explain("--model", checkpoints.resolve("llama-gptq-w4g64").toString(), "--platform", "cuda:sm_90", "--tp", "8", "--format", "json");

        assertThat(run.exitCode()).isEqualTo(QlinearCli.NEGATIVE);
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("tensorParallel").asInt()).isEqualTo(8);
        assertThat(group(report, "model.layers.{0..1}.mlp.down_proj").get("problem").asText())
                .isEqualTo("group size 64 does not divide K=264 of this partition (full K=2112): a tensor-parallel rank must hold whole groups");
        assertThat(group(report, "model.layers.{0..1}.mlp.gate_proj").get("layer").asText()).contains("K=576 N=264");
    }

    @Test
    void fp8LayersWithoutAScaledMmKernelExitOne() throws IOException {
        CliRun run = explain("--model", checkpoints.resolve("llama-fp8-dynamic").toString(), "--platform", "cuda:sm_90", "--format", "json");

        assertThat(run.exitCode()).isEqualTo(QlinearCli.NEGATIVE);
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("method").asText()).isEqualTo("compressed-tensors");
        JsonNode down = group(report, "model.layers.{0..1}.mlp.down_proj");
        assertThat(down.get("layer").asText()).startsWith("scaled-mm float8_e4m3fn per-channel weight x float8_e4m3fn per-token dynamic activation");
        assertThat(down.get("selection").get("failure").asText()).contains("no SCALED_MM kernels are installed");
    }

    @Test
    void badCheckpointsAreOneLineErrors(@TempDir Path broken) throws IOException {
        Path noConfig = Files.createDirectories(broken.resolve("no-config"));
        Path corrupt = Files.createDirectories(broken.resolve("corrupt"));
        Files.writeString(corrupt.resolve("config.json"), "{\"torch_dtype\": \"float16\"}");
        Files.write(corrupt.resolve("model.safetensors"), new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0x7F, 1, 2, 3});

        CliRun missing = explain("--model", broken.resolve("nowhere").toString());
        CliRun withoutConfig = explain("--model", noConfig.toString());
        CliRun truncated = explain("--model", corrupt.toString());
        CliRun mixed = explain("--model", corrupt.toString(), "--k", "4096");

        assertThat(missing.exitCode()).isEqualTo(QlinearCli.BAD_INPUT);
        assertThat(missing.errLines()).singleElement().asString().contains("does not exist or is not a directory");
        assertThat(withoutConfig.errLines()).singleElement().asString().contains("config.json is missing");
        assertThat(truncated.exitCode()).isEqualTo(QlinearCli.BAD_INPUT);
        assertThat(truncated.errLines()).singleElement().asString().contains("cannot read checkpoint", "model.safetensors");
        assertThat(mixed.errLines()).singleElement().asString().contains("--k describes a single layer; with --model the checkpoint describes its layers");
    }

    @Test
    void fixturesCommandWritesCheckpointsAndRefusesToOverwrite(@TempDir Path target) {
        CliRun first = CliRun.of("fixtures", target.toString(), "--seed", "7");
        CliRun again = CliRun.of("fixtures", target.toString());

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("llama-gptq-w4g64", "llama-fp8-dynamic");
        assertThat(target.resolve("llama-ct-w4a16-asym-g32").resolve("config.json")).isRegularFile();
        assertThat(again.exitCode()).isEqualTo(QlinearCli.BAD_INPUT);
        assertThat(again.err()).contains("already exists");
    }
}
