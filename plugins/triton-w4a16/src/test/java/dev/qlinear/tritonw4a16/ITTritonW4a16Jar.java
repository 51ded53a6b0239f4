package dev.qlinear.tritonw4a16;

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
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged jar: its Triton images, the static checks, and loading through core's discovery. */
final class ITTritonW4a16Jar {

    static Path packagedJar() {
        Path jar = Path.of(System.getProperty("triton-w4a16.jar", "target/qlinear-triton-w4a16-0.1.0.jar"));
        assertThat(jar).as("the jar the package phase built").isRegularFile();
        return jar;
    }

    @Test
    void holdsEveryImageAndManifestItsListNames() throws IOException {
        try (JarFile jar = new JarFile(packagedJar().toFile())) {
            String directory = TritonW4a16Variants.DIRECTORY;
            List<String> lines;
            try (InputStream stream = jar.getInputStream(jar.getJarEntry(directory + "/images.list"))) {
                lines = new String(stream.readAllBytes(), StandardCharsets.UTF_8).lines().filter(line -> !line.isBlank()).toList();
            }
            assertThat(lines).hasSize(6 * TritonW4a16Variants.all().size());
            for (String line : lines) {
                String[] fields = line.split(" ");
                String stem = directory + "/" + fields[0] + "." + fields[1];
                assertThat(jar.getJarEntry(stem + ".json")).as(stem + ".json").isNotNull();
                String image = stem + (fields[1].startsWith("compute_") ? ".ptx" : fields[1].startsWith("gfx") ? ".hsaco" : ".cubin");
                assertThat(jar.getJarEntry(image)).as(image).isNotNull();
                // binary images are copied as they are, never filtered as text
                assertThat(jar.getJarEntry(image).getSize()).isEqualTo(Files.size(Path.of("src/main/resources", image)));
            }
        }
    }

    @Test
    void passesTheStaticChecksAndListsItsKernel() {
        JarInspection inspection = new PluginJarInspector().inspect(packagedJar());
        assertThat(inspection.problems()).isEmpty();
        assertThat(inspection.manifest().orElseThrow().kernels()).extracting(KernelDescriptor::id).containsExactly("triton-w4a16");
    }

    @Test
    void loadsFromAPluginsFolderAndSupportsWhatItsImagesRunOn(@TempDir Path plugins) throws IOException {
        Files.copy(packagedJar(), plugins.resolve("qlinear-triton-w4a16-0.1.0.jar"));
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(plugins), Optional.empty());
        assertThat(registry.plugins()).singleElement().satisfies(plugin -> {
            assertThat(plugin.id()).isEqualTo("triton-w4a16");
            assertThat(plugin.version()).isEqualTo("0.1.0");
            assertThat(plugin.problems()).isEmpty();
            assertThat(plugin.isStarted()).isTrue();
        });
        RegisteredKernel kernel = registry.kernels().getFirst();
        assertThat(kernel.id()).isEqualTo("triton-w4a16");
        assertThat(kernel.kernel().getClass().getClassLoader()).isSameAs(kernel.classLoader()).isNotSameAs(ITTritonW4a16Jar.class.getClassLoader());
        // the images are read through the plugin's own class loader
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_90")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_80")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("cuda:sm_120")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("rocm:gfx942")).isAccepted()).isTrue();
        assertThat(kernel.kernel().supports(Platform.parse("rocm:gfx1100")).toString()).isEqualTo("refused: Triton images: needs images for gfx1100 of every "
                + "variant (build them with " + TritonImages.PIPELINE + "), got images for compute_80, gfx90a, gfx942, gfx950, sm_80, sm_90a; none runs "
                + "w4a16_bf16_sym_m128n128k32 and 45 more");
    }
}
