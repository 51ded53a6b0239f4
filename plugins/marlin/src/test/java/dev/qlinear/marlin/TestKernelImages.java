package dev.qlinear.marlin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestKernelImages {

    @Test
    void readsTheImageAndItsTargetsFromAClassPath(@TempDir Path classes) throws IOException {
        Path kernels = Files.createDirectories(classes.resolve("dev/qlinear/marlin/kernels"));
        Files.write(kernels.resolve("marlin.fatbin"), new byte[] {0x50, (byte) 0xED, 0x55, (byte) 0xBA});
        Files.writeString(kernels.resolve("marlin.targets"), "sm_80\nsm_90a\ncompute_80\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            KernelImages images = KernelImages.load(loader);
            assertThat(images.bytes()).containsExactly(0x50, 0xED, 0x55, 0xBA);
            assertThat(images.targets()).extracting(ImageTarget::name).containsExactly("sm_80", "sm_90a", "compute_80");
            assertThat(images.describe()).isEqualTo("SASS sm_80, SASS sm_90a, PTX compute_80");
        }
    }

    @Test
    void withoutAnImageTheImagesAreAbsent(@TempDir Path classes) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            KernelImages images = KernelImages.load(loader);
            assertThat(images.image()).isEmpty();
            assertThatThrownBy(images::bytes).isInstanceOf(IllegalStateException.class)
                    .hasMessage("kernel images were not built (nvcc was missing at build time)");
        }
    }

    @Test
    void anImageWithoutItsTargetsIsABrokenJar(@TempDir Path classes) throws IOException {
        Path kernels = Files.createDirectories(classes.resolve("dev/qlinear/marlin/kernels"));
        Files.write(kernels.resolve("marlin.fatbin"), new byte[] {1});
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            assertThatThrownBy(() -> KernelImages.load(loader)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the plugin jar holds dev/qlinear/marlin/kernels/marlin.fatbin but not dev/qlinear/marlin/kernels/marlin.targets, "
                            + "which says what the image holds; rebuild the plugin");
        }
    }
}
