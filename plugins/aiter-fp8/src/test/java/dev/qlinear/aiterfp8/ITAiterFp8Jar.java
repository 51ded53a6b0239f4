package dev.qlinear.aiterfp8;

import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar: Commons CSV bundled and relocated, nothing of the SPI inside, the static checks, and the kernel
 * loaded through core's discovery reading the fixture's tuned-GEMM CSV through the plugin's own class loader (the build
 * sets {@value AiterSettings#AITER_HOME} to {@code src/test/aiter-home}).
 */
final class ITAiterFp8Jar {

    static Path packagedJar() {
        Path jar = Path.of(System.getProperty("aiter-fp8.jar", "target/qlinear-aiter-fp8-0.1.0.jar"));
        assertThat(jar).as("the jar the package phase built").isRegularFile();
        return jar;
    }

    @Test
    void bundlesCommonsCsvRelocatedAndNothingElseOfOthers() throws IOException {
        try (JarFile jar = new JarFile(packagedJar().toFile())) {
            List<String> classes = Collections.list(jar.entries()).stream().map(JarEntry::getName).filter(name -> name.endsWith(".class")).toList();
            assertThat(classes).contains("dev/qlinear/aiterfp8/shaded/commons/csv/CSVParser.class", "dev/qlinear/aiterfp8/AiterFp8Kernel.class");
            assertThat(classes).allSatisfy(name -> assertThat(name).startsWith("dev/qlinear/aiterfp8/"));
            assertThat(jar.getJarEntry("META-INF/extensions.idx")).isNotNull();
            assertThat(jar.getJarEntry("META-INF/qlinear/kernels.json")).isNotNull();
            assertThat(jar.getJarEntry("plugin.properties")).isNotNull();
            assertThat(jar.getJarEntry("META-INF/LICENSE.txt")).as("the Apache License of the bundled Commons libraries").isNotNull();
        }
    }

    @Test
    void passesTheStaticChecksAndListsItsKernel() {
        JarInspection inspection = new PluginJarInspector().inspect(packagedJar());
        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.manifest().orElseThrow().kernels()).extracting(KernelDescriptor::id).containsExactly("aiter-fp8");
    }

    @Test
    void loadsFromAPluginsFolderAndReadsTheTunedTableThroughItsOwnClassLoader(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-aiter-fp8-0.1.0.jar"));
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(registry.plugins()).singleElement().satisfies(plugin -> {
            assertThat(plugin.id()).isEqualTo("aiter-fp8");
            assertThat(plugin.version()).isEqualTo("0.1.0");
            assertThat(plugin.problems()).isEmpty();
            assertThat(plugin.isStarted()).isTrue();
        });
        RegisteredKernel kernel = registry.kernels().getFirst();
        assertThat(kernel.id()).isEqualTo("aiter-fp8");
        assertThat(kernel.kernel().getClass().getClassLoader()).isSameAs(kernel.classLoader()).isNotSameAs(ITAiterFp8Jar.class.getClassLoader());

        Path fixture = Installations.fixture();
        ScaledMmConfig tuned = Layers.ptpc(576, 704, ScalarType.FLOAT8_E4M3FN, false);
        assertThat(kernel.canImplement(tuned, Platform.parse("rocm:gfx942")).isAccepted()).isTrue();
        assertThat(kernel.canImplement(tuned, Platform.parse("rocm:gfx950")).isAccepted()).isTrue();
        assertThat(kernel.canImplement(Layers.ptpc(4096, 4096, ScalarType.FLOAT8_E4M3FN, false), Platform.parse("rocm:gfx942")).toString())
                .contains("tuned GEMM: needs a row for N=4096, K=4096", fixture + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv");
        assertThat(kernel.supports(Platform.parse("rocm:gfx942")).toString()).isEqualTo("refused: aiter shim: needs " + fixture
                + "/qlinear/libqlinear_aiter_fp8.so (build it with plugins/aiter-fp8/src/main/hip/build-shim.sh " + fixture + " (aiter-shim/build-shim.sh in a GPU bundle)), got no such file");
    }
}
