package dev.qlinear.cpuvector;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static dev.qlinear.spi.config.GroupShape.PER_CHANNEL;
import static dev.qlinear.spi.config.GroupShape.PER_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged plugin jar, dropped into a plugins folder: it passes the static checks, loads through core's
 * discovery in its own class loader, is selected on this machine, and computes what the reference computes.
 */
final class ITCpuVectorPlugin {

    private static Path packagedJar() {
        Path jar = Path.of(System.getProperty("cpu-vector.jar", "target/qlinear-cpu-vector-0.1.0.jar"));
        assertThat(jar).as("the jar the package phase built").isRegularFile();
        return jar;
    }

    @Test
    void passesTheStaticChecks() {
        JarInspection inspection = new PluginJarInspector().inspect(packagedJar());
        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.manifest().orElseThrow().kernels()).extracting(descriptor -> descriptor.id())
                .containsExactly("cpu-vector-w4a16", "cpu-vector-fp8");
    }

    @Test
    void loadsFromAPluginsFolderIntoItsOwnClassLoader(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-cpu-vector-0.1.0.jar"));
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(registry.plugins()).singleElement().satisfies(plugin -> {
            assertThat(plugin.id()).isEqualTo("cpu-vector");
            assertThat(plugin.version()).isEqualTo("0.1.0");
            assertThat(plugin.problems()).isEmpty();
            assertThat(plugin.isStarted()).isTrue();
        });
        assertThat(registry.kernels()).extracting(RegisteredKernel::id).containsExactlyInAnyOrder("cpu-vector-w4a16", "cpu-vector-fp8");
        for (RegisteredKernel kernel : registry.kernels()) {
            // the test's class path holds the same classes; the registered ones must come from the jar
            assertThat(kernel.kernel().getClass().getClassLoader()).isSameAs(kernel.classLoader()).isNotSameAs(ITCpuVectorPlugin.class.getClassLoader());
            assertThat(kernel.kernel().getClass().getProtectionDomain().getCodeSource().getLocation().getPath()).endsWith(".jar");
        }
        assertThat(registry.plugins()).extracting(InstalledPlugin::kernels).singleElement().asList().hasSize(2);
    }

    @Test
    @SuppressWarnings("unchecked")
    void isSelectedOnThisMachineAndComputesWhatTheReferenceComputes(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-cpu-vector-0.1.0.jar"));
        Qlinear qlinear = Qlinear.builder().pluginsFolder(plugins).classPathDiscovery(false).environment(Map.of()).build();
        CpuDevice device = new CpuDevice(qlinear.platform());
        try (Arena arena = Arena.ofShared()) {
            W4Case w4 = W4Case.random(Seeds.fresh(), 9, 2112, 200, 64, ScalarType.UINT4, true, ScalarType.BFLOAT16, true, ScalarType.FLOAT16, arena);
            RegisteredKernel selected = qlinear.select(w4.config());
            assertThat(selected.id()).isEqualTo("cpu-vector-w4a16");
            LinearKernel<WeightOnlyConfig> kernel = (LinearKernel<WeightOnlyConfig>) selected.kernel();
            try (PreparedLayer prepared = kernel.prepare(w4.config(), w4.weights(), device)) {
                HostTensor output = Tensors.poisonedOutput(arena, ScalarType.BFLOAT16, 9, 200);
                kernel.apply(prepared, w4.input(arena), output, device.defaultStream());
                w4.assertMatches(Tensors.values(output), w4.reference());
            }

            Fp8Case fp8 = Fp8Case.random(Seeds.fresh(), 9, 704, 130, PER_CHANNEL, PER_TOKEN, false, ScalarType.BFLOAT16, ScalarType.BFLOAT16, true, arena);
            RegisteredKernel selectedFp8 = qlinear.select(fp8.config());
            assertThat(selectedFp8.id()).isEqualTo("cpu-vector-fp8");
            LinearKernel<ScaledMmConfig> fp8Kernel = (LinearKernel<ScaledMmConfig>) selectedFp8.kernel();
            try (PreparedLayer prepared = fp8Kernel.prepare(fp8.config(), fp8.weights(), device)) {
                HostTensor output = Tensors.poisonedOutput(arena, ScalarType.BFLOAT16, 9, 130);
                fp8Kernel.apply(prepared, fp8.input(arena), output, device.defaultStream());
                fp8.assertMatches(Tensors.values(output), fp8.reference());
            }
        }
    }
}
