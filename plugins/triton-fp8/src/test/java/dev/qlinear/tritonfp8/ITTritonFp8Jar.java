package dev.qlinear.tritonfp8;

import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged jar: its Triton images, the static checks, and loading through core's discovery. */
final class ITTritonFp8Jar {

    static Path packagedJar() {
        Path jar = Path.of(System.getProperty("triton-fp8.jar", "target/qlinear-triton-fp8-0.1.0.jar"));
        assertThat(jar).as("the jar the package phase built").isRegularFile();
        return jar;
    }

    @Test
    void holdsEveryImageItsListNamesWithItsManifest() throws IOException {
        try (JarFile jar = new JarFile(packagedJar().toFile())) {
            JarEntry listing = jar.getJarEntry(TritonFp8Kernel.IMAGES + "/images.list");
            assertThat(listing).as("images.list in %s", jar.getName()).isNotNull();
            List<String> lines;
            try (InputStream stream = jar.getInputStream(listing)) {
                lines = new String(stream.readAllBytes(), StandardCharsets.UTF_8).lines().filter(line -> !line.isBlank()).toList();
            }
            assertThat(lines).hasSize(12 * 3 + 12);
            for (String line : lines) {
                String[] fields = line.split("\\s+");
                String stem = TritonFp8Kernel.IMAGES + "/" + fields[0] + "." + fields[1];
                assertThat(jar.getJarEntry(stem + ".json")).as(stem + ".json").isNotNull();
                String kind = fields[1].startsWith("compute_") ? ".ptx" : fields[1].startsWith("gfx") ? ".hsaco" : ".cubin";
                assertThat(jar.getJarEntry(stem + kind)).as(stem).isNotNull();
            }
        }
    }

    @Test
    void passesTheStaticChecksAndListsItsKernel() {
        JarInspection inspection = new PluginJarInspector().inspect(packagedJar());
        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.manifest().orElseThrow().kernels()).extracting(KernelDescriptor::id).containsExactly("triton-fp8");
    }

    @Test
    void loadsFromAPluginsFolderAndSupportsWhatItsImagesRunOn(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-triton-fp8-0.1.0.jar"));
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(registry.plugins()).singleElement().satisfies(plugin -> {
            assertThat(plugin.id()).isEqualTo("triton-fp8");
            assertThat(plugin.version()).isEqualTo("0.1.0");
            assertThat(plugin.problems()).isEmpty();
            assertThat(plugin.isStarted()).isTrue();
        });
        RegisteredKernel kernel = registry.kernels().getFirst();
        assertThat(kernel.id()).isEqualTo("triton-fp8");
        assertThat(kernel.kernel().getClass().getClassLoader()).isSameAs(kernel.classLoader()).isNotSameAs(ITTritonFp8Jar.class.getClassLoader());
        // the images are read through the plugin's own class loader
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_90")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_89")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_80")).toString()).isEqualTo(
                "refused: CUDA architecture: needs sm_89 or newer (FP8 tensor cores), got sm_80");
        assertThat(kernel.kernel().supports(Platform.parse("rocm:gfx942")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("rocm:gfx950")).toString()).startsWith(
                "refused: Triton images: needs images for gfx950 of every variant (build them with " + TritonImages.PIPELINE + ")");
    }
}
