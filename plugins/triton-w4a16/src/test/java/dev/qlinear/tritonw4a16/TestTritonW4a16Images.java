package dev.qlinear.tritonw4a16;

import dev.qlinear.core.triton.TritonImageCheck;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed images: fresh against the Triton sources, and which of them each platform runs. */
final class TestTritonW4a16Images {

    private static final TritonImages IMAGES = TritonImages.load(TritonW4a16Kernel.class.getClassLoader(), TritonW4a16Variants.DIRECTORY);
    private static final List<String> ALL = TritonW4a16Variants.all();

    @Test
    void areCompiledFromTheTritonSourcesAsTheyAreNow() {
        // a kernel source changed without rerunning plugins/triton-aot.py fails here
        assertThat(TritonImageCheck.problems(Path.of("src/main/resources").resolve(TritonW4a16Variants.DIRECTORY), Path.of("src/main/triton"))).isEmpty();
    }

    @Test
    void cudaRunsTheMachineCodeOfItsArchitectureElseThePtx() {
        assertThat(IMAGES.allTargets()).containsExactly("compute_80", "gfx90a", "gfx942", "gfx950", "sm_80", "sm_90a");
        assertThat(IMAGES.check(Platform.parse("cuda:sm_80"), ALL).isAccepted()).isTrue();
        assertThat(IMAGES.check(Platform.parse("cuda:sm_90"), ALL).isAccepted()).isTrue();
        assertThat(IMAGES.targetFor("w4a16_bf16_zp_m16n128k64", Platform.parse("cuda:sm_80"))).contains("sm_80");
        assertThat(IMAGES.targetFor("w4a16_bf16_zp_m16n128k64", Platform.parse("cuda:sm_86"))).contains("sm_80");
        assertThat(IMAGES.targetFor("w4a16_bf16_zp_m16n128k64", Platform.parse("cuda:sm_90"))).contains("sm_90a");
        assertThat(IMAGES.targetFor("w4a16_reduce_f16", Platform.parse("cuda:sm_120"))).contains("compute_80");
        assertThat(IMAGES.targetFor("w4a16_reduce_f16", Platform.parse("cuda:sm_75"))).isEmpty();
    }

    @Test
    void runsCdnaAndRefusesOtherRocmTargetsSayingHowToBuildThem() {
        assertThat(IMAGES.check(Platform.parse("rocm:gfx942"), ALL).isAccepted()).isTrue();
        assertThat(IMAGES.targetFor(ALL.getFirst(), Platform.parse("rocm:gfx90a"))).contains("gfx90a");
        assertThat(IMAGES.check(Platform.parse("rocm:gfx1100"), ALL).reasons()).singleElement().satisfies(reason -> {
            assertThat(reason.constraint()).isEqualTo("Triton images");
            assertThat(reason.expected()).isEqualTo("images for gfx1100 of every variant (build them with " + TritonImages.PIPELINE + ")")
                    .contains("python3 plugins/triton-aot.py");
            assertThat(reason.actual()).isEqualTo("images for compute_80, gfx90a, gfx942, gfx950, sm_80, sm_90a; none runs w4a16_bf16_sym_m128n128k32 and 45 more");
        });
    }

    @Test
    void refusesTheCpu() {
        assertThat(IMAGES.check(Platform.parse("cpu"), ALL).reasons()).containsExactly(new Reason("platform", "a CUDA or ROCm device", Platform.parse("cpu").spec()));
    }
}
