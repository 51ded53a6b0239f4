package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestTiledPlan {

    @ParameterizedTest(name = "M={0} N={1} -> {2} rows per block")
    @CsvSource({
            // 70B gate_up (448 column blocks): every height fills the GPU, so the tallest that M needs
            "17, 57344, 64", "64, 57344, 64", "65, 57344, 128", "128, 57344, 128", "129, 57344, 256", "512, 57344, 256",
            // 8B qkv (48 column blocks): taller blocks only once the grid still covers 70% of 132 multiprocessors
            "128, 6144, 64", "256, 6144, 128", "512, 6144, 256",
            // 8B o (32 column blocks)
            "256, 4096, 64", "512, 4096, 128"})
    void takesTheTallestBlockThatStillFillsTheGpu(int m, int n, int rows) {
        TiledPlan plan = TiledPlan.of(m, 4096, n, 132);
        assertThat(plan.blockRows()).isEqualTo(rows);
        assertThat(plan.launch()).isEqualTo(new LaunchConfig(n / 128, FusedPlan.ceilDiv(m, rows), 1, 256, 1, 1, TiledPlan.sharedBytes(rows)));
    }

    @Test
    void sharedMemoryMatchesTheKernelsStagesAndFitsAnH100() {
        // TiledShape in exllama.cu: 10, 7 and 5 stages of 1024-rounded (activations + 8 word rows + scales), + 1024
        assertThat(TiledPlan.sharedBytes(64)).isEqualTo(10 * 13312 + 1024);
        assertThat(TiledPlan.sharedBytes(128)).isEqualTo(7 * 21504 + 1024);
        assertThat(TiledPlan.sharedBytes(256)).isEqualTo(5 * 37888 + 1024);
        for (int rows : List.of(64, 128, 256)) {
            assertThat(TiledPlan.sharedBytes(rows)).isLessThanOrEqualTo(227 * 1024);
        }
        assertThatThrownBy(() -> TiledPlan.sharedBytes(32)).hasMessageContaining("64, 128 or 256 rows, got 32");
    }

    @Test
    void gathersEveryRowOfTheActivation() {
        TiledPlan plan = TiledPlan.of(300, 4096, 384, 132);
        assertThat((long) plan.gather().gridX() * plan.gather().blockX() * 8).isGreaterThanOrEqualTo(300L * 4096);
        assertThat(TiledPlan.workspaceBytes(8192)).isEqualTo(2L * 512 * 8192);
    }

    @ParameterizedTest(name = "M={0}")
    @CsvSource({"1", "16", "513"})
    void refusesRowsOutsideItsRange(int m) {
        assertThatThrownBy(() -> TiledPlan.of(m, 4096, 4096, 132)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the tiled kernel runs 17 to 512 rows, got M=" + m);
    }

    @ParameterizedTest(name = "bits={0} K={1} N={2} G={3} -> {4}")
    @CsvSource({"4, 4096, 4096, 128, true", "4, 4096, 4096, 4096, true", "4, 2112, 1024, 2112, true", "8, 4096, 4096, 128, false",
            "4, 4096, 4096, 32, false", "4, 4128, 4096, 4128, false", "4, 4096, 4160, 128, false"})
    void fitsFourBitLayersOfWholeStagesAndBlocks(int bits, int k, int n, int groupSize, boolean fits) {
        assertThat(TiledPlan.fits(bits, k, n, groupSize)).isEqualTo(fits);
    }

    @Test
    void onlyAnArchitectureSpecificImageOfTheDevicesCapabilityRunsTheTiledKernel() {
        KernelImages images = new KernelImages(Optional.of(new byte[1]), List.of(ImageTarget.parse("sm_80"), ImageTarget.parse("sm_90a"),
                ImageTarget.parse("compute_80")));
        assertThat(images.runsArchitectureSpecific(90)).isTrue();
        assertThat(images.runsArchitectureSpecific(80)).isFalse();
        assertThat(images.runsArchitectureSpecific(100)).isFalse();
        assertThat(new KernelImages(Optional.of(new byte[1]), List.of(ImageTarget.parse("compute_90a"))).runsArchitectureSpecific(90)).isFalse();
        assertThat(KernelImages.absent().runsArchitectureSpecific(90)).isFalse();
    }
}
