package dev.qlinear.spi.device;

import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestKernelImages {

    private static final String IMAGE = "dev/qlinear/exllama/kernels/exllama.fatbin";
    private static final String TARGETS = "dev/qlinear/exllama/kernels/exllama.targets";

    @Test
    void readsTheImageAndItsTargetsFromAClassPath(@TempDir Path classes) throws IOException {
        Path kernels = Files.createDirectories(classes.resolve("dev/qlinear/exllama/kernels"));
        Files.write(kernels.resolve("exllama.fatbin"), new byte[] {0x50, (byte) 0xED, 0x55, (byte) 0xBA});
        Files.writeString(kernels.resolve("exllama.targets"), "sm_80\nsm_90a\ncompute_80\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            KernelImages images = KernelImages.load(loader, IMAGE, TARGETS);
            assertThat(images.bytes()).containsExactly(0x50, 0xED, 0x55, 0xBA);
            assertThat(images.targets()).extracting(ImageTarget::name).containsExactly("sm_80", "sm_90a", "compute_80");
            assertThat(images.describe()).isEqualTo("SASS sm_80, SASS sm_90a, PTX compute_80");
            assertThat(images.name()).isEqualTo(IMAGE);
        }
    }

    @Test
    void withoutAnImageTheImagesAreAbsent(@TempDir Path classes) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            KernelImages images = KernelImages.load(loader, IMAGE, TARGETS);
            assertThat(images.image()).isEmpty();
            assertThatThrownBy(images::bytes).isInstanceOf(IllegalStateException.class)
                    .hasMessage("kernel images were not built (nvcc was missing at build time)");
        }
    }

    @Test
    void anImageWithoutItsTargetsIsABrokenJar(@TempDir Path classes) throws IOException {
        Path kernels = Files.createDirectories(classes.resolve("dev/qlinear/exllama/kernels"));
        Files.write(kernels.resolve("exllama.fatbin"), new byte[] {1});
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            assertThatThrownBy(() -> KernelImages.load(loader, IMAGE, TARGETS)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the plugin jar holds dev/qlinear/exllama/kernels/exllama.fatbin but not dev/qlinear/exllama/kernels/exllama.targets, "
                            + "which says what the image holds; rebuild the plugin");
        }
    }

    @Test
    void runsTheArchitectureSpecificImageOnlyOnItsOwnCapability() {
        KernelImages images = new KernelImages(IMAGE, Optional.of(new byte[1]), List.of(ImageTarget.parse("sm_80"), ImageTarget.parse("sm_90a"),
                ImageTarget.parse("compute_80")));
        assertThat(images.runsArchitectureSpecific(90)).isTrue();
        assertThat(images.runsArchitectureSpecific(80)).isFalse();
        assertThat(images.runsArchitectureSpecific(100)).isFalse();
        assertThat(new KernelImages(IMAGE, Optional.of(new byte[1]), List.of(ImageTarget.parse("compute_90a"))).runsArchitectureSpecific(90)).isFalse();
        assertThat(KernelImages.absent(IMAGE).runsArchitectureSpecific(90)).isFalse();
    }

    @Test
    void acceptsOnlyCudaDevicesAnImageRunsOn() {
        KernelImages images = new KernelImages(IMAGE, Optional.of(new byte[1]), List.of(ImageTarget.parse("sm_80"), ImageTarget.parse("sm_90a"),
                ImageTarget.parse("compute_80")));
        assertThat(images.check(Platform.parse("cuda:sm_90")).isAccepted()).isTrue();
        assertThat(images.check(Platform.parse("cuda:sm_86")).isAccepted()).isTrue();
        assertThat(images.check(Platform.parse("cuda:sm_120")).isAccepted()).isTrue();
        assertThat(images.check(Platform.parse("cuda:sm_75")).toString())
                .isEqualTo("refused: CUDA architecture: needs one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80), got sm_75");
        assertThat(images.check(Platform.parse("cpu:x86_64")).isAccepted()).isFalse();
        assertThat(KernelImages.absent(IMAGE).check(Platform.parse("cuda:sm_90")).toString()).contains(KernelImages.NOT_BUILT);
    }
}
