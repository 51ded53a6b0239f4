package dev.qlinear.core;

import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.core.plugin.PluginSource;
import dev.qlinear.core.plugin.PluginState;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.testing.TestPluginsFolder;
import dev.qlinear.core.testkernels.EmbeddedCpuProvider;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedder's facade, wired by Guice, over a real plugins folder and the test class path. */
final class TestQlinear {

    private static final WeightOnlyConfig LAYER = WeightOnlyConfig.unsharded(4096, 4096, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false);

    @Test
    void discoversProvidersOnTheClassPathAndRefusesTheBrokenOneOnly() {
        Qlinear qlinear = Qlinear.builder().environment(Map.of()).build();

        assertThat(qlinear.kernels()).extracting(RegisteredKernel::id).containsExactly(EmbeddedCpuProvider.KERNEL_ID);
        assertThat(qlinear.plugins()).extracting(InstalledPlugin::id, InstalledPlugin::state).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(EmbeddedCpuProvider.class.getName(), PluginState.STARTED),
                org.assertj.core.groups.Tuple.tuple("dev.qlinear.core.testkernels.BrokenClassPathProvider", PluginState.REFUSED));
        InstalledPlugin broken = qlinear.plugins().stream().filter(plugin -> plugin.state() == PluginState.REFUSED).findFirst().orElseThrow();
        assertThat(broken.source()).isInstanceOf(PluginSource.ClassPath.class);
        assertThat(broken.problems()).singleElement().asString()
                .contains("kernel provider could not be created", "missing native library for embedded kernels");
        assertThat(qlinear.select(LAYER, Platform.parse("cpu"), SelectionPolicy.defaults()).id()).isEqualTo(EmbeddedCpuProvider.KERNEL_ID);
    }

    @Test
    void combinesThePluginsFolderNamedByTheEnvironmentWithTheClassPath(@TempDir Path plugins) {
        TestPluginsFolder.withGoodPlugins(plugins);

        Qlinear qlinear = Qlinear.builder().environment(Map.of(Qlinear.PLUGINS_DIR_ENV, plugins.toString())).build();

        assertThat(qlinear.kernels()).extracting(RegisteredKernel::id)
                .containsExactlyInAnyOrder(EmbeddedCpuProvider.KERNEL_ID, "fast-w4", "portable-w4", "exl-w4", "fp8-ptpc");
        assertThat(qlinear.select(LAYER, Platform.parse("cuda:sm_90"), qlinear.policy()).id()).isEqualTo("fast-w4");
        // on a CPU the embedded kernel (priority 50) beats the portable plugin kernel (priority 5)
        assertThat(qlinear.select(LAYER, Platform.parse("cpu"), qlinear.policy()).id()).isEqualTo(EmbeddedCpuProvider.KERNEL_ID);
    }

    @Test
    void takesThePolicyFromTheEnvironment(@TempDir Path plugins) {
        TestPluginsFolder.withGoodPlugins(plugins);

        Qlinear qlinear = Qlinear.builder().pluginsFolder(plugins).classPathDiscovery(false)
                .environment(Map.of(SelectionPolicy.DISABLED_ENV, "fast-w4")).build();

        assertThat(qlinear.policy().disabled()).containsEntry("fast-w4", SelectionPolicy.DISABLED_ENV);
        assertThat(qlinear.select(LAYER, Platform.parse("cuda:sm_90"), qlinear.policy()).id()).isEqualTo("exl-w4");
    }

    @Test
    void detectsTheHostCpu() {
        Qlinear qlinear = Qlinear.builder().classPathDiscovery(false).environment(Map.of()).build();

        Platform platform = qlinear.platform();

        assertThat(platform.vendor()).isEqualTo(Vendor.CPU);
        assertThat(platform.architecture().name()).isEqualTo(Platform.hostIsa());
        assertThat(platform.device()).hasValueSatisfying(device -> {
            assertThat(device.computeUnits()).isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(device.memoryBytes()).isPositive();
        });
        assertThat(qlinear.platform()).isSameAs(platform);
    }
}
