package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.spi.triton.TritonImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@code explain} with the W4A16 plugins the distribution ships, for the layers the Triton kernel exists for: a K that
 * Marlin's 128-row stages do not divide, in bf16, which exllama refuses; and ROCm, where it comes first.
 */
final class TestExplainTritonW4a16 {

    /** Gemma 4's dense intermediate size: 2112 = 16.5 groups of 128, so 17 groups, the last of 64 rows. */
    private static final List<String> GEMMA_BF16 = List.of("--weight-type", "uint4b8", "--act-type", "bfloat16", "--k", "2112", "--n", "4096",
            "--group-size", "128");

    @TempDir
    Path plugins;

    @Test
    void selectsTritonW4a16OnSm80WhereMarlinAndExllamaRefuseTheLayer() throws IOException {
        installShippedPlugins("exllama", "marlin", "triton-w4a16");

        CliRun run = explain("--platform", "cuda:sm_80", "--format", "json");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("layer").asText()).contains("K=2112 N=4096, group 128");
        assertThat(json.get("selected").asText()).isEqualTo("triton-w4a16");
        JsonNode marlin = candidate(json, "marlin");
        assertThat(marlin.get("status").asText()).isEqualTo("refused");
        assertThat(marlin.get("priority").asInt()).isEqualTo(300);
        assertThat(reasons(marlin)).contains("K alignment: needs K % 128 == 0, got K=2112");
        JsonNode exllama = candidate(json, "exllama");
        assertThat(exllama.get("status").asText()).isEqualTo("refused");
        assertThat(reasons(exllama)).anySatisfy(reason -> assertThat(reason).startsWith("activation type: needs ").endsWith("got bfloat16"));
        JsonNode triton = candidate(json, "triton-w4a16");
        assertThat(triton.get("status").asText()).isEqualTo("selected");
        assertThat(triton.get("priority").asInt()).isEqualTo(100);
        assertThat(triton.get("plugin").asText()).isEqualTo("triton-w4a16");
        assertThat(json.get("warning").asText())
                .startsWith("Performance: fallback kernel triton-w4a16 (priority 100) selected for ")
                .contains("on cuda:sm_80 because higher-priority kernels refused: ")
                .contains("marlin (plugin marlin 0.1.0): ", "K alignment: needs K % 128 == 0, got K=2112", "[priority 300]")
                .contains("exllama (plugin exllama 0.1.0): ", "[priority 200]");

        CliRun text = explain("--platform", "cuda:sm_80");
        assertThat(text.exitCode()).isZero();
        assertThat(text.out())
                .containsPattern("selected: +triton-w4a16")
                .containsPattern("marlin +plugin marlin 0.1.0 +priority 300 +REFUSED")
                .contains("      - K alignment: needs K % 128 == 0, got K=2112")
                .containsPattern("exllama +plugin exllama 0.1.0 +priority 200 +REFUSED")
                .containsPattern("triton-w4a16 +plugin triton-w4a16 0.1.0 +priority 100 +SELECTED")
                .contains("warning: Performance: fallback kernel triton-w4a16");
    }

    @Test
    void selectsTritonW4a16FirstOnMi300AndSaysHowToBuildTheImagesOfAnotherRocmTarget() throws IOException {
        installShippedPlugins("exllama", "marlin", "triton-w4a16");

        CliRun run = explain("--platform", "rocm:gfx942", "--format", "json");

        // the jar holds gfx942 code objects; nothing else declares ROCm
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("selected").asText()).isEqualTo("triton-w4a16");
        JsonNode first = json.get("candidates").get(0);
        assertThat(first.get("kernel").asText()).isEqualTo("triton-w4a16");
        assertThat(first.get("priority").asInt()).isEqualTo(400);
        assertThat(first.get("status").asText()).isEqualTo("selected");

        CliRun rdna = explain("--platform", "rocm:gfx1151", "--format", "json");
        assertThat(rdna.exitCode()).as(rdna.out() + rdna.err()).isEqualTo(1);
        JsonNode refused = new ObjectMapper().readTree(rdna.out()).get("candidates").get(0);
        assertThat(refused.get("status").asText()).isEqualTo("refused");
        assertThat(reasons(refused)).singleElement().asString()
                .startsWith("Triton images: needs images for gfx1151 of every variant (build them with " + TritonImages.PIPELINE + ")")
                .contains("python3 plugins/triton-aot.py", "got images for compute_80, gfx90a, gfx942, gfx950, sm_80, sm_90a");

        CliRun text = explain("--platform", "rocm:gfx1151");
        assertThat(text.out())
                .containsPattern("triton-w4a16 +plugin triton-w4a16 0.1.0 +priority 400 +REFUSED")
                .contains("      - Triton images: needs images for gfx1151 of every variant (build them with python3 plugins/triton-aot.py");
    }

    private CliRun explain(String... more) {
        List<String> all = new ArrayList<>(List.of("--plugins", plugins.toString(), "explain"));
        all.addAll(GEMMA_BF16);
        all.addAll(List.of(more));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static JsonNode candidate(JsonNode json, String kernel) {
        for (JsonNode candidate : json.get("candidates")) {
            if (candidate.get("kernel").asText().equals(kernel)) {
                return candidate;
            }
        }
        return fail("no candidate " + kernel + " in " + json.get("candidates"));
    }

    private static List<String> reasons(JsonNode candidate) {
        List<String> messages = new ArrayList<>();
        candidate.get("reasons").forEach(reason -> messages.add(reason.get("message").asText()));
        return messages;
    }

    /**
     * Copies the kernel plugins the distribution ships, as built by this reactor (cli/pom.xml names their files in
     * {@code qlinear.test.plugin.<id>}), into the plugins folder. A reactor stopped before packaging names the plugin's
     * classes folder, which is jarred here as the jar plugin would.
     */
    private void installShippedPlugins(String... ids) throws IOException {
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
        }
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
