package dev.qlinear.core.plugin;

import dev.qlinear.core.testing.PluginJarBuilder;
import dev.qlinear.core.testing.TestPluginsFolder;
import dev.qlinear.spi.kernel.LinearKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestFolderDiscovery {

    @TempDir
    Path plugins;

    private KernelRegistry discover() {
        return new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
    }

    @Test
    void startsEveryPluginInTheFolderAndRegistersItsKernels() {
        TestPluginsFolder.withGoodPlugins(plugins);

        KernelRegistry registry = discover();

        assertThat(registry.plugins()).extracting(InstalledPlugin::id, InstalledPlugin::state)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("alpha", PluginState.STARTED),
                        org.assertj.core.groups.Tuple.tuple("gamma", PluginState.STARTED));
        assertThat(registry.kernels()).extracting(RegisteredKernel::id).containsExactlyInAnyOrder("fast-w4", "portable-w4", "exl-w4", "fp8-ptpc");
        assertThat(registry.kernel("fast-w4").orElseThrow().pluginId()).isEqualTo("alpha");
        InstalledPlugin alpha = registry.plugins().stream().filter(plugin -> plugin.id().equals("alpha")).findFirst().orElseThrow();
        assertThat(alpha.source()).isEqualTo(new PluginSource.Folder(plugins.resolve("alpha-1.0.0.jar")));
        assertThat(alpha.kernels()).extracting(descriptor -> descriptor.id()).containsExactly("fast-w4", "portable-w4");
    }

    @Test
    void eachPluginHasItsOwnClassLoaderButSharesTheHostSpi() throws ClassNotFoundException {
        TestPluginsFolder.withGoodPlugins(plugins);

        KernelRegistry registry = discover();

        RegisteredKernel fast = registry.kernel("fast-w4").orElseThrow();
        RegisteredKernel exl = registry.kernel("exl-w4").orElseThrow();
        assertThat(fast.classLoader()).isNotSameAs(exl.classLoader()).isNotSameAs(LinearKernel.class.getClassLoader());
        assertThat(fast.kernel().getClass().getClassLoader()).isSameAs(fast.classLoader());
        assertThat(fast.classLoader().loadClass(LinearKernel.class.getName())).isSameAs(LinearKernel.class);
        // the shared helper class is compiled into both jars and must stay private to each plugin
        assertThat(fast.classLoader().loadClass("dev.qlinear.testplugin.common.DeclaredKernel"))
                .isNotSameAs(exl.classLoader().loadClass("dev.qlinear.testplugin.common.DeclaredKernel"));
    }

    @Test
    void aJarDroppedIntoTheFolderIsInstalledByTheNextDiscovery() {
        PluginJarBuilder.plugin("alpha").buildInto(plugins, "alpha-1.0.0.jar");
        assertThat(discover().kernels()).extracting(RegisteredKernel::id).containsExactlyInAnyOrder("fast-w4", "portable-w4");

        PluginJarBuilder.plugin("gamma").buildInto(plugins, "gamma-1.0.0.jar");

        assertThat(discover().kernels()).extracting(RegisteredKernel::id).containsExactlyInAnyOrder("fast-w4", "portable-w4", "exl-w4", "fp8-ptpc");
    }

    @Test
    void filesThatAreNotJarsAreIgnored() throws Exception {
        PluginJarBuilder.plugin("alpha").buildInto(plugins, "alpha-1.0.0.jar");
        Files.writeString(plugins.resolve("README.txt"), "drop plugin jars here");
        Files.createDirectories(plugins.resolve("old"));

        assertThat(discover().plugins()).extracting(InstalledPlugin::id).containsExactly("alpha");
    }

    @Test
    void aMissingFolderIsAnErrorNamingIt() {
        Path missing = plugins.resolve("nope");

        assertThatThrownBy(() -> new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(missing), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
    }
}
