package dev.qlinear.core.plugin;

import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestWriter;
import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.core.testing.PluginJarBuilder;
import dev.qlinear.core.testkernels.EmbeddedCpuProvider;
import dev.qlinear.spi.SpiVersion;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Every kind of broken plugin is refused with a diagnosis, while a good plugin next to it keeps working. */
final class TestPluginRefusals {

    private static final WeightOnlyConfig LAYER = WeightOnlyConfig.unsharded(4096, 4096, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false);

    @TempDir
    Path plugins;

    private KernelRegistry installWithAlpha() {
        PluginJarBuilder.plugin("alpha").buildInto(plugins, "alpha-1.0.0.jar");
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(plugin(registry, "alpha").state()).isEqualTo(PluginState.STARTED);
        SelectionReport report = new KernelSelector(registry).explain(LAYER, Platform.parse("cuda:sm_90"), SelectionPolicy.defaults());
        assertThat(report.selectedKernelId()).contains("fast-w4");
        return registry;
    }

    private static InstalledPlugin plugin(KernelRegistry registry, String id) {
        return registry.plugins().stream().filter(plugin -> plugin.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no plugin '" + id + "' in " + registry.plugins()));
    }

    private static void assertRefused(InstalledPlugin plugin, String... problemFragments) {
        assertThat(plugin.state()).isEqualTo(PluginState.REFUSED);
        assertThat(String.join("\n", plugin.problems())).contains(problemFragments);
    }

    @Test
    void corruptJar() throws IOException {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        Files.write(plugins.resolve("corrupt.jar"), garbage);

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "corrupt.jar"), "is not a readable jar");
    }

    @Test
    void jarWithoutDescriptor() {
        PluginJarBuilder.plugin("gamma").withoutDescriptor().buildInto(plugins, "gamma-no-descriptor.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma-no-descriptor.jar"), "has no plugin descriptor");
        assertThat(registry.kernel("exl-w4")).isEmpty();
    }

    @Test
    void incompatibleSpiMajor() {
        PluginJarBuilder.plugin("gamma").requires(">=2.0.0 & <3.0.0").buildInto(plugins, "gamma-2.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "requires SPI '>=2.0.0 & <3.0.0' but this host provides SPI " + SpiVersion.current());
    }

    @Test
    void manifestBuiltAgainstAnotherSpiMajor() {
        List<KernelDescriptor> descriptors = KernelManifestWriter.manifestOf(List.of(new EmbeddedCpuProvider())).kernels();
        PluginJarBuilder.plugin("gamma").requires(">=1.0.0").manifest(new KernelManifest("2.1.0", descriptors)).buildInto(plugins, "gamma.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "compiled against SPI 2.1.0", "a different major version is incompatible");
    }

    @Test
    void duplicatePluginIdKeepsTheHigherVersionAndSaysWhy() {
        PluginJarBuilder.plugin("gamma").version("1.0.0").buildInto(plugins, "gamma-1.0.0.jar");
        PluginJarBuilder.plugin("gamma").version("1.1.0").buildInto(plugins, "gamma-1.1.0.jar");

        KernelRegistry registry = installWithAlpha();

        List<InstalledPlugin> gammas = registry.plugins().stream().filter(plugin -> plugin.id().equals("gamma")).toList();
        assertThat(gammas).hasSize(2);
        InstalledPlugin winner = gammas.stream().filter(InstalledPlugin::isStarted).findFirst().orElseThrow();
        InstalledPlugin loser = gammas.stream().filter(plugin -> !plugin.isStarted()).findFirst().orElseThrow();
        assertThat(winner.version()).isEqualTo("1.1.0");
        assertThat(loser.version()).isEqualTo("1.0.0");
        assertRefused(loser, "duplicate plugin id 'gamma'", "gamma-1.1.0.jar (version 1.1.0) is installed instead of this jar (version 1.0.0)",
                "because it has the higher version");
        assertThat(registry.kernel("exl-w4").orElseThrow().pluginVersion()).isEqualTo("1.1.0");
    }

    @Test
    void duplicatePluginIdWithEqualVersionsKeepsTheFirstFile() {
        PluginJarBuilder.plugin("gamma").buildInto(plugins, "a-gamma.jar");
        PluginJarBuilder.plugin("gamma").buildInto(plugins, "b-gamma.jar");

        KernelRegistry registry = installWithAlpha();

        InstalledPlugin loser = registry.plugins().stream().filter(plugin -> plugin.id().equals("gamma") && !plugin.isStarted()).findFirst().orElseThrow();
        assertThat(loser.source()).isEqualTo(new PluginSource.Folder(plugins.resolve("b-gamma.jar")));
        assertRefused(loser, "both have version 1.0.0 and it comes first by file name");
    }

    @Test
    void jarBundlingSpiClasses() throws IOException {
        byte[] verdictClass;
        try (InputStream in = Verdict.class.getResourceAsStream("Verdict.class")) {
            verdictClass = in.readAllBytes();
        }
        PluginJarBuilder.plugin("gamma").entry("dev/qlinear/spi/kernel/Verdict.class", verdictClass).buildInto(plugins, "gamma-fat.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "bundles qlinear SPI classes (dev/qlinear/spi/kernel/Verdict.class)", "scope 'provided'");
    }

    @Test
    void jarBuiltWithoutTheAnnotationProcessor() {
        PluginJarBuilder.plugin("gamma").withoutAnnotationProcessing().buildInto(plugins, "gamma.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "has no META-INF/extensions.idx", "annotation processor did not run");
    }

    @Test
    void providerWhoseConstructorThrows() {
        KernelManifest manifest = KernelManifestWriter.manifestOf(List.of(new EmbeddedCpuProvider()));
        PluginJarBuilder.plugin("ctor-throws").manifest(manifest).buildInto(plugins, "ctor-throws.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "ctor-throws"), "dev.qlinear.testplugin.ctorthrows.Provider could not be created",
                "IllegalStateException: driver library libfake.so not found");
        assertThat(registry.kernel(EmbeddedCpuProvider.KERNEL_ID)).isEmpty();
    }

    @Test
    void manifestNamingOtherKernelsThanTheProvider() {
        KernelManifest other = KernelManifestWriter.manifestOf(List.of(new EmbeddedCpuProvider()));
        PluginJarBuilder.plugin("gamma").manifest(other).buildInto(plugins, "gamma.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "kernel manifest declares [embedded-cpu] but the provider yields [exl-w4, fp8-ptpc]", "rebuild the plugin");
        assertThat(registry.kernel("exl-w4")).isEmpty();
    }

    @Test
    void staleManifestWhoseDeclarationDiffersFromTheKernel() throws IOException {
        Path built = PluginJarBuilder.plugin("gamma").buildInto(plugins.resolve("staging"), "gamma.jar");
        KernelManifest real = new PluginJarInspector().inspect(built).manifest().orElseThrow();
        KernelDescriptor exl = real.kernels().getFirst();
        WeightOnlyCapabilities declared = (WeightOnlyCapabilities) exl.capabilities();
        KernelDescriptor stale = new KernelDescriptor(exl.id(), exl.family(), exl.version(), exl.platforms(),
                new WeightOnlyCapabilities(declared.weightTypes(), declared.activationTypes(), declared.outputTypes(), declared.groupSizes(),
                        declared.zeroPoints(), declared.actOrder(), 16, declared.nAlignment()),
                exl.tolerance(), exl.maxRows());
        PluginJarBuilder.plugin("gamma").manifest(new KernelManifest(real.spiVersion(), List.of(stale, real.kernels().get(1)))).buildInto(plugins, "gamma.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "gamma"), "kernel manifest is stale for 'exl-w4': kAlignment is 16 in the manifest but 32 in the kernel; rebuild the plugin");
    }

    @Test
    void kernelIdAlreadyTakenByAnotherPlugin() {
        PluginJarBuilder.plugin("alpha").id("alpha-copy").buildInto(plugins, "zz-alpha-copy.jar");

        KernelRegistry registry = installWithAlpha();

        assertRefused(plugin(registry, "alpha-copy"), "kernel id 'fast-w4' is already provided by plugin 'alpha'");
        assertThat(registry.kernel("fast-w4").orElseThrow().pluginId()).isEqualTo("alpha");
    }

    @Test
    void kernelWhoseCheckThrowsIsRefusedForTheLayerAndOthersAreSelected() {
        PluginJarBuilder.plugin("check-throws").buildInto(plugins, "check-throws.jar");

        KernelRegistry registry = installWithAlpha();
        SelectionReport report = new KernelSelector(registry).explain(LAYER, Platform.parse("cuda:sm_90"), SelectionPolicy.defaults());

        assertThat(plugin(registry, "check-throws").state()).isEqualTo(PluginState.STARTED);
        assertThat(report.candidates().getFirst().kernelId()).isEqualTo("flaky-w4");
        assertThat(report.candidates().getFirst().reasons()).singleElement()
                .satisfies(reason -> assertThat(reason.message()).isEqualTo("canImplement: needs a verdict, got threw IllegalStateException: tile table not initialised"));
        assertThat(report.selectedKernelId()).contains("fast-w4");
    }
}
