package dev.qlinear.tritonfp8;

import dev.qlinear.core.triton.TritonImageCheck;
import dev.qlinear.core.triton.TritonManifest;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernelInfo;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.tritonfp8.TritonFp8Variants.Tile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The images the jar carries: fresh, for which platforms, and keeping the launch contract the launcher relies on. */
final class TestTritonFp8Images {

    private static final TritonImages IMAGES = TestTritonFp8Kernel.BUILT;

    @Test
    void areFreshForTheTritonSourcesAsTheyAreNow() {
        assertThat(TritonImageCheck.problems(Path.of("src/main/resources/" + TritonFp8Kernel.IMAGES), Path.of("src/main/triton"))).isEmpty();
    }

    @Test
    void runOnSm89AndNewerAndPickTheBestImage() {
        for (String spec : List.of("cuda:sm_89", "cuda:sm_90", "cuda:sm_100", "cuda:sm_120")) {
            assertThat(IMAGES.check(Platform.parse(spec), TritonFp8Variants.all(false)).isAccepted()).as(spec).isTrue();
        }
        String gemm = TritonFp8Variants.gemm(ScalarType.BFLOAT16, Tile.M16N64, false);
        assertThat(IMAGES.targetFor(gemm, Platform.parse("cuda:sm_89"))).contains("sm_89");
        assertThat(IMAGES.targetFor(gemm, Platform.parse("cuda:sm_90"))).contains("sm_90a");
        assertThat(IMAGES.targetFor(gemm, Platform.parse("cuda:sm_120"))).contains("compute_89");
        assertThat(IMAGES.targetFor(gemm, Platform.parse("cuda:sm_80"))).isEmpty();
    }

    @Test
    void runMi300ButLeaveMi350WithoutImagesNamingThePipelineAndRefuseCpus() {
        assertThat(IMAGES.check(Platform.parse("rocm:gfx942"), TritonFp8Variants.all(true)).isAccepted()).isTrue();
        assertThat(IMAGES.targetFor(TritonFp8Variants.gemm(ScalarType.BFLOAT16, Tile.M16N64, true), Platform.parse("rocm:gfx942"))).contains("gfx942");
        assertThat(IMAGES.check(Platform.parse("rocm:gfx950"), TritonFp8Variants.all(false)).reasons()).containsExactly(new Reason("Triton images",
                "images for gfx950 of every variant (build them with " + TritonImages.PIPELINE + ")",
                "images for compute_89, gfx942, sm_89, sm_90a; none runs fp8_gemm_bf16_m128n128k128 and 11 more"));
        assertThat(IMAGES.check(Platform.parse("cpu:x86_64"), TritonFp8Variants.all(false)).reasons())
                .containsExactly(new Reason("platform", "a CUDA or ROCm device", "cpu:x86_64"));
    }

    @Test
    void keepTheLaunchContractOfFp8Py() {
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : IMAGES.targetsByVariant().entrySet()) {
            for (String target : entry.getValue()) {
                String resource = IMAGES.manifestResource(entry.getKey(), target);
                TritonKernelInfo info = TritonManifest.parse(resource, IMAGES.read(resource)).kernelInfo();
                String variant = info.variant();
                if (variant.startsWith("fp8_quantize_")) {
                    double fp8Max = variant.startsWith("fp8_quantize_fnuz_") ? 240.0 : 448.0;
                    TritonFp8Functions.requireContract(info, TritonFp8Functions.QUANTIZE_PARAMETERS, TritonFp8Functions.QUANTIZE_KINDS,
                            Map.of("BLOCK_K", 1024.0, "FP8_MAX", fp8Max, "MIN_SCALE", 1.0 / (fp8Max * 512.0)));
                }
                else if (variant.startsWith("fp8_reduce_")) {
                    TritonFp8Functions.requireContract(info, TritonFp8Functions.REDUCE_PARAMETERS, TritonFp8Functions.REDUCE_KINDS, Map.of("BLOCK", 1024.0));
                }
                else {
                    Tile tile = List.of(Tile.values()).stream().filter(candidate -> variant.endsWith("_" + candidate.suffix())).findFirst().orElseThrow();
                    TritonFp8Functions.requireContract(info, TritonFp8Functions.GEMM_PARAMETERS, TritonFp8Functions.GEMM_KINDS,
                            TritonFp8Functions.gemmConstants(tile));
                }
                assertThat(info.target()).isEqualTo(target);
                checked.add(variant + "." + target);
            }
        }
        assertThat(checked).hasSize(12 * 3 + 12);
    }

    @Test
    void refuseAnImageOfAnotherContractNamingTheDifference() {
        TritonKernelInfo swapped = new TritonKernelInfo("fp8_reduce_f16", "fp8_reduce", "sm_90a", List.of("a_scales_ptr", "partials_ptr", "w_scales_ptr",
                "bias_ptr", "out_ptr", "M", "N", "stride_om", "splits", "w_scale_per_channel", "has_bias"), TritonFp8Functions.REDUCE_KINDS,
                Map.of("BLOCK", "1024"), 4, 1, 0, "3.6.0");
        assertThatThrownBy(() -> TritonFp8Functions.requireContract(swapped, TritonFp8Functions.REDUCE_PARAMETERS, TritonFp8Functions.REDUCE_KINDS,
                Map.of("BLOCK", 1024.0))).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Triton variant fp8_reduce_f16 (sm_90a) takes [a_scales_ptr, partials_ptr, ")
                .hasMessageEndingWith("; rebuild the images with " + TritonImages.PIPELINE);
        TritonKernelInfo otherTile = new TritonKernelInfo("fp8_reduce_f16", "fp8_reduce", "sm_90a", TritonFp8Functions.REDUCE_PARAMETERS,
                TritonFp8Functions.REDUCE_KINDS, Map.of("BLOCK", "512"), 4, 1, 0, "3.6.0");
        assertThatThrownBy(() -> TritonFp8Functions.requireContract(otherTile, TritonFp8Functions.REDUCE_PARAMETERS, TritonFp8Functions.REDUCE_KINDS,
                Map.of("BLOCK", 1024.0))).isInstanceOf(IllegalStateException.class)
                .hasMessage("Triton variant fp8_reduce_f16 (sm_90a) was compiled with BLOCK=512, but the launcher plans with BLOCK=1024.0; rebuild the images with "
                        + TritonImages.PIPELINE);
    }
}
