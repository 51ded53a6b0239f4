package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.core.testing.PluginJarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code qlinear conformance} on real plugin jars built from the conformance suite's test plugins. */
final class TestConformanceCommand {

    private static final Path TEST_PLUGINS = Path.of("../conformance-tests/src/test/plugins");

    @TempDir
    Path plugins;

    @TempDir
    Path reports;

    @Test
    void aCorrectPluginPassesWithATableAndReports() throws IOException {
        install("scalar-fp8");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "conformance", "--max-cases", "0", "--max-macs", "65536", "--seed", "7",
                "--report", reports.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out())
                .contains("seed 7", "size cap M*N*K <= 65536")
                .containsPattern("kernel +pass +fail +not declared +cannot run here")
                .containsPattern("scalar-fp8 +\\d+ +0 +2 +0")
                .contains("PASSED: ");
        assertThat(run.err()).contains("conformance: ", "cases planned on cpu:", "(100%), 0 failed");
        JsonNode json = new ObjectMapper().readTree(reports.resolve("conformance.json").toFile());
        assertThat(json.get("passed").asBoolean()).isTrue();
        assertThat(json.get("run").get("seed").asLong()).isEqualTo(7);
        assertThat(Files.readString(reports.resolve("conformance.html"))).startsWith("<!DOCTYPE html>").contains("scalar-fp8");
        try (Stream<Path> junit = Files.list(reports.resolve("junit"))) {
            assertThat(junit.map(file -> file.getFileName().toString())).anyMatch(name -> name.startsWith("TEST-") && name.endsWith(".xml"));
        }
    }

    @Test
    void aBrokenPluginFailsWithTheFailureAndTheCommandThatReproducesIt() throws IOException {
        install("bug-bias-ignored");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "conformance", "--plugin", "bug-bias-ignored", "--max-cases", "0", "--max-macs", "65536",
                "--seed", "11");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("failures:", "the kernel does not add the bias",
                "reproduce: qlinear --plugins " + plugins + " conformance --plugin bug-bias-ignored --seed 11 --case bug-bias-ignored/m")
                .containsPattern("FAILED: \\d+ of \\d+ cases failed");

        String reproduce = run.out().lines().filter(line -> line.contains("reproduce: ")).findFirst().orElseThrow();
        String caseId = reproduce.substring(reproduce.indexOf("--case ") + "--case ".length()).trim();
        CliRun again = CliRun.of("--plugins", plugins.toString(), "conformance", "--plugin", "bug-bias-ignored", "--seed", "11", "--case", caseId);
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.out()).contains("chosen by the case filter", caseId + ": reference:", "the kernel does not add the bias");
    }

    @Test
    void aRunWhereNothingCanRunHereFails() throws IOException {
        install("scalar-fp8");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "conformance", "--platform", "rocm:gfx942", "--max-cases", "0");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).containsPattern("scalar-fp8 +\\d+ +0 +\\d+ +[1-9]\\d*")
                .contains("cannot run here: kernel 'scalar-fp8' declares cpu, not rocm:gfx942", "no case executed", "FAILED: no case executed");
    }

    @Test
    void aCaseFilterThatMatchesNothingFails() throws IOException {
        install("scalar-fp8");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "conformance", "--case", "scalar-fp8/m3-no-such-case");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("FAILED: --case scalar-fp8/m3-no-such-case matches no case");
    }

    @Test
    void anEmptyPluginsFolderFails() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "conformance");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("no case executed", "no kernels were found");
    }

    @Test
    void badInputExitsTwoNamingTheValueAndTheRule() throws IOException {
        install("scalar-fp8");

        assertBadInput(CliRun.of("--plugins", plugins.resolve("missing").toString(), "conformance"), "does not exist");
        assertBadInput(CliRun.of("conformance"), "no plugins folder to test: set --plugins DIR or QLINEAR_PLUGINS_DIR");
        assertBadInput(CliRun.of("--plugins", plugins.toString(), "conformance", "--plugin", "nope"), "--plugin nope is not in", "plugins there: scalar-fp8");
        assertBadInput(CliRun.of("--plugins", plugins.toString(), "conformance", "--max-macs", "0"), "--max-macs must be at least 1, got 0");
        assertBadInput(CliRun.of("--plugins", plugins.toString(), "conformance", "--platform", "tpu"), "invalid platform spec 'tpu'");
        assertBadInput(CliRun.of("--plugins", plugins.toString(), "conformance", "--seed", "x"), "--seed");
    }

    private static void assertBadInput(CliRun run, String... texts) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).startsWith("qlinear: error: ").contains(texts);
    }

    private void install(String plugin) {
        PluginJarBuilder.plugin(plugin).sourcesFrom(TEST_PLUGINS).buildInto(plugins, plugin + "-1.0.0.jar");
    }
}
