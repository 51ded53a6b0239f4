package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

final class TestExplainCommand {

    private static final ScalarType FP8 = ScalarType.FLOAT8_E4M3FN;
    private static final ScalarType FNUZ = ScalarType.FLOAT8_E4M3FNUZ;
    private static final List<String> W4A16 = List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--group-size", "128");

    @TempDir
    Path plugins;

    private CliRun explain(Map<String, String> environment, String... args) {
        List<String> all = new ArrayList<>(List.of("--plugins", plugins.toString(), "explain"));
        all.addAll(List.of(args));
        return CliRun.of(environment, all.toArray(String[]::new));
    }

    private CliRun explain(String... args) {
        return explain(Map.of(), args);
    }

    private CliRun explainW4A16(String... more) {
        List<String> args = new ArrayList<>(W4A16);
        args.addAll(List.of(more));
        return explain(args.toArray(String[]::new));
    }

    @Test
    void reportsNoKernelAsJsonWithoutPlugins() throws IOException {
        CliRun run = explainW4A16("--platform", "cuda:sm_90", "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("selected").isNull()).isTrue();
        assertThat(json.get("candidates").isArray()).isTrue();
        assertThat(json.get("candidates")).isEmpty();
        assertThat(json.get("platform").asText()).isEqualTo("cuda:sm_90");
        assertThat(json.get("layer").asText()).startsWith("weight-only uint4b8 x ").contains("K=4096 N=4096, group 128");
        assertThat(json.get("warning").isNull()).isTrue();
        assertThat(json.get("failure").asText()).startsWith("no kernel can run ").contains("cuda:sm_90");
    }

    @Test
    void reportsNoKernelAsText() {
        CliRun run = explainW4A16("--platform", "cuda:sm_90");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).containsPattern("selected: +none").contains("candidates: none", "failure: no kernel can run");
    }

    @Test
    void usesTheDetectedPlatformByDefault() throws IOException {
        CliRun run = explainW4A16("--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(new ObjectMapper().readTree(run.out()).get("platform").asText()).startsWith("cpu:");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(List.of("--weight-type", "uint3", "--act-type", "fp16", "--k", "4096", "--n", "4096"), "'uint3'"),
                Arguments.of(List.of("--platform", "cuda:sm_8", "--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096"), "'cuda:sm_8'"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "-5", "--n", "4096"), "-5"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "0"), "got 0"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "2112", "--n", "4096", "--group-size", "128"),
                        "group size 128 does not divide K=2112"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--group-size", "0"), "got 0"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--frobnicate"), "'--frobnicate'"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "four", "--n", "4096"), "'four'"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--n", "4096"), "--k"),
                Arguments.of(List.of("--act-type", "fp16", "--k", "4096", "--n", "4096"), "--weight-type"),
                Arguments.of(List.of("--weight-type", "fp16", "--act-type", "fp16", "--k", "4096", "--n", "4096"), "float16"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--zero-points"), "uint4b8"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--tp", "3", "--parallel", "column"),
                        "--tp 3 does not divide N=4096"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--tp", "2"), "--parallel"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--parallel", "diagonal"), "'diagonal'"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--force", "Marlin"), "'Marlin'"),
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "4096", "--n", "4096", "--bias"), "--bias"),
                Arguments.of(List.of("--kind", "fp8", "--k", "4096", "--n", "4096"), "'fp8'"),
                Arguments.of(List.of("--kind", "scaled-mm", "--k", "4096", "--n", "4096", "--group-size", "128"), "--group-size"),
                Arguments.of(List.of("--kind", "scaled-mm", "--k", "4096", "--n", "4096", "--weight-scales", "per-token"), "per-token"),
                Arguments.of(List.of("--kind", "scaled-mm", "--k", "4096", "--n", "4096", "--act-scales", "1x2x3"), "'1x2x3'"));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputIsOneLineNamingTheValue(List<String> args, String offending) {
        CliRun run = explain(args.toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().startsWith("qlinear: error: ").contains(offending);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void describesAScaledMmLayerWithDefaults() throws IOException {
        CliRun run = explain("--kind", "scaled-mm", "--platform", "cuda:sm_90", "--k", "4096", "--n", "14336", "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(new ObjectMapper().readTree(run.out()).get("layer").asText())
                .isEqualTo("scaled-mm " + FP8 + " per-channel weight x " + FP8 + " per-token dynamic activation, " + ScalarType.BFLOAT16 + " -> " + ScalarType.BFLOAT16
                        + ", K=4096 N=14336");
    }

    @Test
    void describesAScaledMmLayerWithEveryOption() throws IOException {
        CliRun run = explain("--kind", "scaled-mm", "--platform", "rocm:gfx942", "--k", "4096", "--n", "4096",
                "--weight-type", "fp8_e4m3fnuz", "--act-type", "fp8_e4m3fnuz", "--weight-scales", "per-tensor", "--act-scales", "per-tensor",
                "--static-act-scales", "--input-type", "fp16", "--out-type", "fp16", "--bias", "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(new ObjectMapper().readTree(run.out()).get("layer").asText())
                .isEqualTo("scaled-mm " + FNUZ + " per-tensor weight x " + FNUZ + " per-tensor static activation, " + ScalarType.FLOAT16 + " -> " + ScalarType.FLOAT16
                        + ", K=4096 N=4096, bias");
    }

    @Test
    void splitsTheLayerForTensorParallelism() throws IOException {
        CliRun row = explainW4A16("--platform", "cuda:sm_90", "--tp", "2", "--parallel", "row", "--format", "json");
        CliRun column = explainW4A16("--platform", "cuda:sm_90", "--tp", "4", "--parallel", "column", "--format", "json");

        assertThat(new ObjectMapper().readTree(row.out()).get("layer").asText()).contains("K=2048 N=4096", "partition of K=4096 x N=4096");
        assertThat(new ObjectMapper().readTree(column.out()).get("layer").asText()).contains("K=4096 N=1024", "partition of K=4096 x N=4096");
    }

    @Test
    void selectsTheHighestPriorityKernelThatFits() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explainW4A16("--platform", "cuda:sm_90");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .containsPattern("selected: +fast")
                .containsPattern("fast +plugin fake 1.0.0 +priority 200 +SELECTED")
                .containsPattern("slow +plugin fake 1.0.0 +priority 10 +ACCEPTED")
                .doesNotContain("failure:");
    }

    @Test
    void explainsRefusalsReasonByReasonAndWarnsAboutTheFallback() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explain("--platform", "cuda:sm_90", "--weight-type", "uint4b8", "--act-type", "fp16", "--k", "2112", "--n", "4096", "--group-size", "64");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .containsPattern("selected: +slow")
                .containsPattern("fast +plugin fake 1.0.0 +priority 200 +REFUSED")
                .contains("      - group size: needs 128, got 64")
                .contains("      - K alignment: needs K % 128 == 0, got K=2112")
                .contains("warning: Performance: fallback kernel slow");
    }

    @Test
    void printsCandidatesAsJson() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explainW4A16("--platform", "cuda:sm_80", "--format", "json");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("selected").asText()).isEqualTo("slow");
        assertThat(json.get("failure").isNull()).isTrue();
        JsonNode slow = json.get("candidates").get(0);
        assertThat(slow.get("kernel").asText()).isEqualTo("slow");
        assertThat(slow.get("plugin").asText()).isEqualTo("fake");
        assertThat(slow.get("pluginVersion").asText()).isEqualTo("1.0.0");
        assertThat(slow.get("priority").asInt()).isEqualTo(10);
        assertThat(slow.get("status").asText()).isEqualTo("selected");
        assertThat(slow.get("accepted").asBoolean()).isTrue();
        JsonNode fast = json.get("candidates").get(1);
        assertThat(fast.get("priority").isNull()).isTrue();
        assertThat(fast.get("status").asText()).isEqualTo("refused");
        assertThat(fast.get("accepted").asBoolean()).isFalse();
        JsonNode reason = fast.get("reasons").get(0);
        assertThat(reason.get("constraint").asText()).isEqualTo("platform");
        assertThat(reason.get("expected").asText()).isEqualTo("cuda:sm_90");
        assertThat(reason.get("actual").asText()).isEqualTo("cuda:sm_80");
        assertThat(reason.get("message").asText()).isEqualTo("platform: needs cuda:sm_90, got cuda:sm_80");
    }

    @Test
    void addsCommandLinePolicyToTheEnvironmentPolicy() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explain(Map.of("QLINEAR_DISABLED_KERNELS", "fast"), "--platform", "cuda:sm_90", "--weight-type", "uint4b8", "--act-type", "fp16",
                "--k", "4096", "--n", "4096", "--group-size", "128", "--disable", "slow,typo");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out())
                .contains("disabled fast (by QLINEAR_DISABLED_KERNELS), slow (by --disable), typo (by --disable)")
                .contains("      - policy: needs kernel not disabled, got disabled by QLINEAR_DISABLED_KERNELS")
                .contains("      - policy: needs kernel not disabled, got disabled by --disable");
        assertThat(run.errLines()).containsExactly("qlinear: warning: the kernel policy names 'typo', which is not installed");
    }

    @Test
    void forcingAKernelThatCannotRunTheLayerFails() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explainW4A16("--platform", "cuda:sm_80", "--force", "fast");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).containsPattern("selected: +none").contains("failure: forced kernel fast cannot run");
    }

    @Test
    void preferringAKernelPutsItFirst() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = explainW4A16("--platform", "cuda:sm_90", "--prefer", "slow", "--format", "json");

        assertThat(run.exitCode()).isZero();
        assertThat(new ObjectMapper().readTree(run.out()).get("selected").asText()).isEqualTo("slow");
    }
}
