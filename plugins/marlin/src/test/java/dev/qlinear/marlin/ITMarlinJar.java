package dev.qlinear.marlin;

import dev.qlinear.conformance.CudaKernelBuild;
import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.device.Fatbin;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged jar: its kernel images, the static checks, and loading through core's discovery. */
final class ITMarlinJar {

    static Path packagedJar() {
        Path jar = Path.of(System.getProperty("marlin.jar", "target/qlinear-marlin-0.1.0.jar"));
        assertThat(jar).as("the jar the package phase built").isRegularFile();
        return jar;
    }

    @Test
    void holdsOneFatbinWithSassForSm80AndSm90aAndPtxForCompute80() throws IOException {
        CudaKernelBuild.assumeImagesWereBuilt();
        try (JarFile jar = new JarFile(packagedJar().toFile())) {
            JarEntry image = jar.getJarEntry(MarlinFunctions.IMAGE);
            assertThat(image).as("%s in %s", MarlinFunctions.IMAGE, jar.getName()).isNotNull();
            Fatbin fatbin;
            try (InputStream stream = jar.getInputStream(image)) {
                fatbin = Fatbin.parse(stream.readAllBytes());
            }
            assertThat(fatbin.entries()).containsExactlyInAnyOrder(new Fatbin.Entry("ELF", 80), new Fatbin.Entry("ELF", 90), new Fatbin.Entry("PTX", 80));
            try (InputStream stream = jar.getInputStream(jar.getJarEntry(MarlinFunctions.TARGETS))) {
                assertThat(new String(stream.readAllBytes(), StandardCharsets.UTF_8).lines().toList()).containsExactly("sm_80", "sm_90a", "compute_80");
            }
        }
    }

    @Test
    void everyEntryPointThePluginLaunchesIsInEachMachineCodeImage() throws IOException {
        CudaKernelBuild.assumeImagesWereBuilt();
        byte[] image;
        try (JarFile jar = new JarFile(packagedJar().toFile())) {
            try (InputStream stream = jar.getInputStream(jar.getJarEntry(MarlinFunctions.IMAGE))) {
                image = stream.readAllBytes();
            }
        }
        String text = new String(image, StandardCharsets.ISO_8859_1);
        for (String name : MarlinFunctions.entryPoints()) {
            // a symbol name is NUL-terminated in the string table of each of the two ELF images (sm_80, sm_90a); the PTX is
            // stored compressed
            assertThat(occurrences(text, "\0" + name + "\0")).as("SASS symbols named %s", name).isEqualTo(2);
        }
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    @Test
    void passesTheStaticChecksAndListsItsKernel() {
        JarInspection inspection = new PluginJarInspector().inspect(packagedJar());
        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.manifest().orElseThrow().kernels()).extracting(KernelDescriptor::id).containsExactly("marlin");
    }

    @Test
    void loadsFromAPluginsFolderAndSupportsWhatItsImagesRunOn(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-marlin-0.1.0.jar"));
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(registry.plugins()).singleElement().satisfies(plugin -> {
            assertThat(plugin.id()).isEqualTo("marlin");
            assertThat(plugin.version()).isEqualTo("0.1.0");
            assertThat(plugin.problems()).isEmpty();
            assertThat(plugin.isStarted()).isTrue();
        });
        RegisteredKernel kernel = registry.kernels().getFirst();
        assertThat(kernel.id()).isEqualTo("marlin");
        assertThat(kernel.kernel().getClass().getClassLoader()).isSameAs(kernel.classLoader()).isNotSameAs(ITMarlinJar.class.getClassLoader());
        if (CudaKernelBuild.nvcc().isPresent()) {
            assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_90")).isAccepted()).isTrue();
            assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_80")).isAccepted()).isTrue();
            assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_75")).toString()).isEqualTo(
                    "refused: CUDA architecture: needs one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80), got sm_75");
        }
        else {
            assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_90")).toString()).isEqualTo(
                    "refused: kernel images: needs CUDA kernel images in the plugin jar, got kernel images were not built (nvcc was missing at build time)");
        }
    }
}
