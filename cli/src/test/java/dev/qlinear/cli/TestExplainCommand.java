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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

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
                Arguments.of(List.of("--weight-type", "uint4b8", "--act-type", "fp16", "--k", "2112", "--n", "4096", "--group-size", "128", "--tp", "2",
                        "--parallel", "row"), "group size 128 does not divide K=1056 of this partition (full K=2112)"),
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

    @Test
    void selectsMarlinForAnAlignedW4A16LayerOnSm80WithTheShippedPlugins() throws IOException {
        boolean imagesBuilt = installShippedPlugins("exllama", "marlin");

        CliRun run = explain("--platform", "cuda:sm_80", "--weight-type", "uint4b8", "--act-type", "float16", "--k", "4096", "--n", "4096", "--group-size", "128");

        if (!imagesBuilt) {
            // a build without nvcc ships both CUDA plugins without kernel images: they refuse every CUDA platform
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.out()).containsPattern("marlin +plugin marlin 0.1.0 +priority 300 +REFUSED")
                    .contains("      - kernel images: needs CUDA kernel images in the plugin jar, got kernel images were not built (nvcc was missing at build time)");
            return;
        }
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out())
                .contains("layer:    weight-only uint4b8 x float16 -> float16, K=4096 N=4096, group 128")
                .containsPattern("selected: +marlin")
                .containsPattern("marlin +plugin marlin 0.1.0 +priority 300 +SELECTED")
                .containsPattern("exllama +plugin exllama 0.1.0 +priority 200 +ACCEPTED")
                .doesNotContain("warning:", "failure:");
    }

    @Test
    void refusesMarlinForAKThatIsNoMultipleOf128AndFallsBackToExllama() throws IOException {
        boolean imagesBuilt = installShippedPlugins("exllama", "marlin");

        // 2112 = 33 x 64: group 128 would not divide it, so the layer has groups of 64, which exllama takes
        CliRun run = explain("--platform", "cuda:sm_80", "--weight-type", "uint4b8", "--act-type", "float16", "--k", "2112", "--n", "4096", "--group-size", "64",
                "--format", "json");

        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode marlin = json.get("candidates").get(0);
        assertThat(marlin.get("kernel").asText()).isEqualTo("marlin");
        assertThat(marlin.get("status").asText()).isEqualTo("refused");
        assertThat(marlin.get("priority").asInt()).isEqualTo(300);
        List<String> reasons = new ArrayList<>();
        marlin.get("reasons").forEach(reason -> reasons.add(reason.get("message").asText()));
        if (!imagesBuilt) {
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(reasons).contains("K alignment: needs K % 128 == 0, got K=2112");
            return;
        }
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(reasons).containsExactly("K alignment: needs K % 128 == 0, got K=2112");
        assertThat(json.get("selected").asText()).isEqualTo("exllama");
        JsonNode exllama = json.get("candidates").get(1);
        assertThat(exllama.get("kernel").asText()).isEqualTo("exllama");
        assertThat(exllama.get("status").asText()).isEqualTo("selected");
        assertThat(json.get("warning").asText()).startsWith("Performance: fallback kernel exllama (priority 200) selected for")
                .contains("marlin (plugin marlin 0.1.0): K alignment: needs K % 128 == 0, got K=2112 [priority 300]");

        CliRun text = explain("--platform", "cuda:sm_80", "--weight-type", "uint4b8", "--act-type", "float16", "--k", "2112", "--n", "4096", "--group-size", "64");
        assertThat(text.exitCode()).isZero();
        assertThat(text.out())
                .containsPattern("selected: +exllama")
                .containsPattern("marlin +plugin marlin 0.1.0 +priority 300 +REFUSED")
                .contains("      - K alignment: needs K % 128 == 0, got K=2112")
                .containsPattern("exllama +plugin exllama 0.1.0 +priority 200 +SELECTED");
    }

    /**
     * Copies the kernel plugins the distribution ships, as built by this reactor (cli/pom.xml names their files in
     * {@code qlinear.test.plugin.<id>}), into the plugins folder; returns whether all of them hold kernel images (nvcc
     * was there at build time). A reactor stopped before packaging names the plugin's classes folder, which is jarred
     * here as the jar plugin would.
     */
    private boolean installShippedPlugins(String... ids) throws IOException {
        boolean images = true;
        for (String id : ids) {
            String location = System.getProperty("qlinear.test.plugin." + id);
            if (location == null || location.isBlank() || location.startsWith("${")) {
                fail("system property qlinear.test.plugin." + id + " names no plugin jar (got " + location + "): run the tests through Maven, whose "
                        + "cli/pom.xml sets it");
            }
            Path source = Path.of(location);
            Path jar = plugins.resolve("qlinear-" + id + "-0.1.0.jar");
            if (Files.isDirectory(source)) {
                jarFolder(source, jar);
            }
            else {
                Files.copy(source, jar);
            }
            try (JarFile file = new JarFile(jar.toFile())) {
                images &= file.getJarEntry("dev/qlinear/" + id + "/kernels/" + id + ".fatbin") != null;
            }
        }
        return images;
    }

    private static void jarFolder(Path folder, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(folder.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }
}
