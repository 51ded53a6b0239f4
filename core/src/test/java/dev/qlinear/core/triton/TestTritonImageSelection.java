package dev.qlinear.core.triton;

import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which image of a variant a platform gets, and reading its manifest, through a real class loader over real files. */
final class TestTritonImageSelection {

    private static final String DIRECTORY = "dev/qlinear/example/triton";

    @TempDir
    Path root;

    @Test
    void picksTheBestImageForEachPlatform() throws IOException {
        try (URLClassLoader loader = listing("""
                gemm compute_80
                gemm sm_80
                gemm sm_89
                gemm sm_90a
                fp8 compute_89
                fp8 sm_89
                fp8 sm_90a
                amd gfx942
                """)) {
            TritonImages images = TritonImages.load(loader, DIRECTORY);
            assertThat(images.targetsByVariant()).containsOnlyKeys("gemm", "fp8", "amd");
            assertThat(images.allTargets()).containsExactly("compute_80", "compute_89", "gfx942", "sm_80", "sm_89", "sm_90a");

            assertTargets(images, "cuda:sm_80", "sm_80", null, null);
            // machine code of the same major and no higher minor beats PTX
            assertTargets(images, "cuda:sm_86", "sm_80", null, null);
            assertTargets(images, "cuda:sm_89", "sm_89", "sm_89", null);
            assertTargets(images, "cuda:sm_90", "sm_90a", "sm_90a", null);
            // no machine code for 10.0: the newest PTX not above it
            assertTargets(images, "cuda:sm_100", "compute_80", "compute_89", null);
            assertTargets(images, "rocm:gfx942", null, null, "gfx942");
            assertTargets(images, "rocm:gfx90a", null, null, null);
            assertTargets(images, "cpu", null, null, null);
            assertThat(images.targetFor("missing", Platform.parse("cuda:sm_90"))).isEmpty();
        }
    }

    @Test
    void loadingRefusesVariantsWithoutAnImageForTheDevice() throws IOException {
        try (URLClassLoader loader = listing("fp8 sm_89\nfp8 sm_90a\nfp8 compute_89\ngemm sm_80\n")) {
            TritonImages images = TritonImages.load(loader, DIRECTORY);

            assertThat(TritonLoader.target(images, "fp8", Platform.parse("cuda:sm_90"))).isEqualTo("sm_90a");
            assertThatThrownBy(() -> TritonLoader.target(images, "fp8", Platform.parse("cuda:sm_86")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("no image of Triton variant fp8 runs on sm_86 (cuda:sm_86): its targets are [compute_89, sm_89, sm_90a]; build one for this "
                            + "device with " + TritonImages.PIPELINE);
            assertThatThrownBy(() -> TritonLoader.target(images, "gemm", Platform.parse("rocm:gfx942")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("no image of Triton variant gemm runs on gfx942 (rocm:gfx942): its targets are [sm_80]");
            assertThatThrownBy(() -> TritonLoader.target(images, "w4a16", Platform.parse("cuda:sm_90")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the " + images + " have no Triton variant 'w4a16' (variants: fp8, gemm)");
            assertThatThrownBy(() -> TritonLoader.target(images, "fp8", Platform.parse("cpu")))
                    .isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("runs no Triton kernels");
        }
    }

    @Test
    void readsTheFixtureImagesFromTheClassPath() {
        TritonImages images = TritonImages.load(getClass().getClassLoader(), TritonFixtures.W4A16_IMAGES);

        assertThat(images.targetsByVariant()).containsExactly(Map.entry(TritonFixtures.REDUCE_F16, List.of("compute_80", "sm_80", "sm_90a")));
        assertThat(images.targetFor(TritonFixtures.REDUCE_F16, Platform.parse("cuda:sm_90"))).contains("sm_90a");
        assertThat(images.targetFor(TritonFixtures.REDUCE_F16, Platform.parse("cuda:sm_89"))).contains("sm_80");
        assertThat(images.targetFor(TritonFixtures.REDUCE_F16, Platform.parse("cuda:sm_120"))).contains("compute_80");
        assertThat(images.check(Platform.parse("cuda:sm_75"), List.of(TritonFixtures.REDUCE_F16)).isAccepted()).isFalse();

        TritonManifest manifest = TritonLoader.manifest(images, TritonFixtures.REDUCE_F16, "compute_80");
        assertThat(manifest.image()).isEqualTo("w4a16_reduce_f16.compute_80.ptx");
        assertThat(manifest.kernelInfo().parameterNames()).containsExactly("partials_ptr", "bias_ptr", "out_ptr", "M", "N", "stride_om", "splits", "has_bias");
        assertThat(images.read(images.directory() + "/" + manifest.image())).startsWith("//".getBytes(StandardCharsets.US_ASCII));
        assertThat(images.read(images.directory() + "/w4a16_reduce_f16.sm_90a.cubin")).startsWith(0x7F, 'E', 'L', 'F');
    }

    @Test
    void aManifestMustDescribeTheImageAskedFor() throws IOException {
        byte[] sm80 = TritonFixtures.bytes(TritonFixtures.W4A16_IMAGES + "/w4a16_reduce_f16.sm_80.json");
        try (URLClassLoader loader = listing("w4a16_reduce_f16 sm_86\nw4a16_reduce_f16 sm_80\n")) {
            Files.write(root.resolve(DIRECTORY).resolve("w4a16_reduce_f16.sm_86.json"), sm80);
            TritonImages images = TritonImages.load(loader, DIRECTORY);

            assertThatThrownBy(() -> TritonLoader.manifest(images, TritonFixtures.REDUCE_F16, "sm_86"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(DIRECTORY + "/w4a16_reduce_f16.sm_86.json describes variant w4a16_reduce_f16 for sm_80, not w4a16_reduce_f16 for sm_86");
            assertThatThrownBy(() -> TritonLoader.manifest(images, TritonFixtures.REDUCE_F16, "sm_80"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("the plugin jar lacks " + DIRECTORY + "/w4a16_reduce_f16.sm_80.json");
        }
    }

    private static void assertTargets(TritonImages images, String spec, String gemm, String fp8, String amd) {
        Platform platform = Platform.parse(spec);
        assertThat(images.targetFor("gemm", platform)).as("gemm on %s", spec).isEqualTo(Optional.ofNullable(gemm));
        assertThat(images.targetFor("fp8", platform)).as("fp8 on %s", spec).isEqualTo(Optional.ofNullable(fp8));
        assertThat(images.targetFor("amd", platform)).as("amd on %s", spec).isEqualTo(Optional.ofNullable(amd));
    }

    /** A class loader over a temporary folder whose images.list is {@code listing}. */
    private URLClassLoader listing(String listing) throws IOException {
        Path directory = Files.createDirectories(root.resolve(DIRECTORY));
        Files.writeString(directory.resolve("images.list"), listing);
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    }
}
