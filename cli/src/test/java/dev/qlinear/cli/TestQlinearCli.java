package dev.qlinear.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

final class TestQlinearCli {

    @TempDir
    Path plugins;

    @Test
    void printsHelp() {
        CliRun run = CliRun.of("--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: qlinear", "platform", "plugins", "explain", "QLINEAR_PLUGINS_DIR");
    }

    @Test
    void printsVersion() {
        CliRun run = CliRun.of("--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("qlinear ").contains("SPI 1.");
    }

    @Test
    void unknownOptionIsBadInputOnOneLine() {
        CliRun run = CliRun.of("--plugins", plugins.toString(), "plugins", "--frobnicate");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("qlinear: error: ")
                .contains("'--frobnicate'")
                .endsWith("see qlinear plugins --help");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void unknownCommandIsBadInput() {
        CliRun run = CliRun.of("frobnicate");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("'frobnicate'");
    }

    @Test
    void noCommandIsBadInput() {
        CliRun run = CliRun.of();

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("qlinear: error: missing command").contains("Usage: qlinear");
    }

    @Test
    void missingPluginsFolderIsBadInput() {
        Path missing = plugins.resolve("nowhere");

        CliRun run = CliRun.of("--plugins", missing.toString(), "plugins");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString()
                .isEqualTo("qlinear: error: plugins folder " + missing + " (from --plugins) does not exist");
    }

    @Test
    void pluginsFolderThatIsAFileIsBadInput() throws IOException {
        Path file = Files.writeString(plugins.resolve("file.txt"), "x");

        CliRun run = CliRun.of("plugins", "--plugins", file.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains(file.toString(), "is not a directory");
    }

    @Test
    void aPluginsFolderNamedLikeACommandIsTakenAsTheFolder() {
        // "plugins" is also a subcommand; as the value of --plugins it must still be read as a path
        CliRun run = CliRun.of("--plugins", "plugins", "plugins");

        assertThat(run.exitCode()).isEqualTo(QlinearCli.BAD_INPUT);
        assertThat(run.err()).contains("plugins folder plugins (from --plugins) does not exist");
    }

    @Test
    void pluginsOptionIsAcceptedAfterTheSubcommand() {
        CliRun run = CliRun.of("plugins", "--plugins", plugins.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("plugins folder: " + plugins + " (from --plugins)");
    }

    @Test
    void pluginsFolderComesFromTheEnvironmentWhenNotGiven() {
        CliRun run = CliRun.of(Map.of("QLINEAR_PLUGINS_DIR", plugins.toString()), "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("plugins folder: " + plugins + " (from QLINEAR_PLUGINS_DIR)");
    }

    @Test
    void pluginsOptionWinsOverTheEnvironment() {
        CliRun run = CliRun.of(Map.of("QLINEAR_PLUGINS_DIR", plugins.resolve("nowhere").toString()), "--plugins", plugins.toString(), "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("(from --plugins)");
    }

    @Test
    void pluginsFolderFallsBackToTheDistribution() throws IOException {
        Path home = Files.createDirectories(plugins.resolve("dist"));
        Files.createDirectories(home.resolve("plugins"));
        Properties properties = new Properties();
        properties.setProperty("qlinear.home", home.toString());

        CliRun run = CliRun.of(Map.of(), properties, "plugins");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("plugins folder: " + home.resolve("plugins") + " (from -Dqlinear.home)");
    }

    @Test
    void invalidPolicyInTheEnvironmentIsBadInput() {
        CliRun run = CliRun.of(Map.of("QLINEAR_DISABLED_KERNELS", "Not_An_Id"), "--plugins", plugins.toString(), "plugins");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().startsWith("qlinear: error: ").contains("'Not_An_Id'");
    }
}
