package dev.qlinear.core.plugin;

import dev.qlinear.core.testing.PluginJarBuilder;
import dev.qlinear.spi.SpiVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The static checks of {@code qlinear plugins verify}: they read a jar without installing it. */
final class TestPluginJarInspector {

    @TempDir
    Path folder;

    @Test
    void aGoodJarPassesWithItsIdentityAndKernels() {
        Path jar = PluginJarBuilder.plugin("alpha").version("2.3.4").buildInto(folder, "alpha.jar");

        JarInspection inspection = new PluginJarInspector().inspect(jar);

        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.identity()).contains(new PluginIdentity("alpha", "2.3.4", ">=1.0.0 & <2.0.0"));
        assertThat(inspection.manifest().orElseThrow().kernelIds()).containsExactly("fast-w4", "portable-w4");
    }

    @Test
    void reportsEveryProblemOfAJarAtOnce() {
        Path jar = PluginJarBuilder.plugin("gamma").withoutAnnotationProcessing().requires(">=3.0.0").buildInto(folder, "gamma.jar");

        JarInspection inspection = new PluginJarInspector().inspect(jar);

        assertThat(inspection.problems()).hasSize(2);
        assertThat(inspection.problems().get(0)).startsWith("has no META-INF/extensions.idx");
        assertThat(inspection.problems().get(1)).isEqualTo("requires SPI '>=3.0.0' but this host provides SPI " + SpiVersion.current());
    }

    @Test
    void anEmptyFileIsNotAJar() throws Exception {
        Path jar = Files.createFile(folder.resolve("empty.jar"));

        assertThat(new PluginJarInspector().inspect(jar).problems()).singleElement().asString().startsWith("is not a readable jar");
    }
}
