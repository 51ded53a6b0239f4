package dev.qlinear.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

final class TestPluginsCommand {

    @TempDir
    Path plugins;

    @TempDir
    Path elsewhere;

    @Test
    void saysWhenNoneAreInstalled() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("no plugins installed", plugins.toString());
    }

    @Test
    void printsAnEmptyListAsJson() throws IOException {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "--format", "json");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("plugins").isArray()).isTrue();
        assertThat(json.get("plugins")).isEmpty();
        assertThat(json.get("pluginsFolder").get("path").asText()).isEqualTo(plugins.toString());
    }

    @Test
    void listsAStartedPluginWithWhatItsKernelsDeclare() throws IOException {
        PluginJars.fakeKernels(plugins);

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("fake 1.0.0  started")
                .contains(plugins.resolve("fake-1.0.0.jar").toString())
                .contains("fast 1.0.0 (weight-only, family fake)")
                .containsPattern("platforms: +cuda:sm_90 \\(priority 200\\)")
                .containsPattern("group sizes: +channelwise, 32, 64, 128")
                .containsPattern("zero points: +yes")
                .containsPattern("act-order: +no")
                .contains("K multiple of 128, N multiple of 64")
                .contains("1 plugin: 1 started, 0 refused; 2 kernels available");
    }

    @Test
    void listsRefusedPluginsWithEveryProblemAndStillSucceeds() throws IOException {
        PluginJars.fakeKernels(plugins);
        PluginJars.empty(plugins, "hollow.jar");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("hollow.jar ?  refused")
                .contains("    - has no plugin descriptor")
                .contains("    - has no kernel manifest")
                .contains("2 plugins: 1 started, 1 refused");
    }

    @Test
    void printsPluginsAsJsonWithKernelsInManifestShape() throws IOException {
        PluginJars.fakeKernels(plugins);
        PluginJars.empty(plugins, "hollow.jar");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "--format", "json");

        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("plugins")).hasSize(2);
        JsonNode fake = plugin(json, "fake");
        assertThat(fake.get("id").asText()).isEqualTo("fake");
        assertThat(fake.get("state").asText()).isEqualTo("started");
        assertThat(fake.get("sourceKind").asText()).isEqualTo("folder");
        assertThat(fake.get("kernels").get(0).get("id").asText()).isEqualTo("fast");
        assertThat(fake.get("kernels").get(0).get("groupSizes").get(0).asInt()).isEqualTo(128);
        JsonNode hollow = plugin(json, "hollow.jar");
        assertThat(hollow.get("state").asText()).isEqualTo("refused");
        assertThat(hollow.get("problems")).isNotEmpty();
    }

    @Test
    void verifyPassesAGoodJar() throws IOException {
        Path jar = PluginJars.fakeKernels(elsewhere);

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "verify", jar.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("PASS  " + jar).contains("fake 1.0.0", "fast 1.0.0", "slow 1.0.0").doesNotContain("problems");
    }

    @Test
    void verifyFailsAJarWithoutDescriptorOrManifest() throws IOException {
        Path jar = PluginJars.empty(elsewhere, "hollow.jar");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "verify", jar.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("FAIL  " + jar)
                .contains("- has no plugin descriptor", "- has no kernel manifest", "- has no META-INF/extensions.idx");
    }

    @Test
    void verifyFailsAFileThatIsNotAJar() throws IOException {
        byte[] noise = new byte[512];
        new Random(42).nextBytes(noise);
        Path jar = Files.write(elsewhere.resolve("noise.jar"), noise);

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "verify", jar.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("FAIL").contains("is not a readable jar");
    }

    @Test
    void verifyPrintsJson() throws IOException {
        Path jar = Files.write(elsewhere.resolve("noise.jar"), new byte[] {1, 2, 3});

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "verify", jar.toString(), "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("id").isNull()).isTrue();
        assertThat(json.get("problems").get(0).asText()).contains("is not a readable jar");
    }

    @Test
    void verifyOfAMissingJarIsBadInput() {
        Path missing = elsewhere.resolve("missing.jar");

        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "verify", missing.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().isEqualTo("qlinear: error: plugin jar " + missing + " does not exist");
        assertThat(run.out()).isEmpty();
    }

    private static JsonNode plugin(JsonNode listing, String id) {
        for (JsonNode plugin : listing.get("plugins")) {
            if (plugin.get("id").asText().equals(id)) {
                return plugin;
            }
        }
        throw new AssertionError("no plugin '" + id + "' in " + listing);
    }
}
