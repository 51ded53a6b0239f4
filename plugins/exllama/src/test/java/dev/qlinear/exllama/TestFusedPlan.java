package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

final class TestFusedPlan {

    private static final long BUDGET = 16L << 20;

    @Test
    void splitsKWhenTheColumnsAloneLeaveTheGpuIdle() {
        // 8B qkv at M = 1: 24 column blocks; 8 blocks per multiprocessor wanted, capped at 128 quads / 16 = 8 splits
        FusedPlan plan = FusedPlan.of(4, 1, 4096, 6144, 132, BUDGET);
        assertThat(plan.tiles()).isEqualTo(1);
        assertThat(plan.rowChunks()).isEqualTo(1);
        assertThat(plan.columnBlocks()).isEqualTo(24);
        assertThat(plan.splits()).isEqualTo(8);
        assertThat(plan.quadsPerSplit()).isEqualTo(16);
        assertThat(plan.fused()).isEqualTo(new LaunchConfig(1, 24, 8, 256, 1, 1, 0));
        assertThat(plan.reduce()).contains(LaunchConfig.linear(3, 256, 0));
        assertThat(plan.partialFloats()).isEqualTo(8L * 6144);
    }

    @Test
    void leavesKWholeWhenTheBlocksFillTheGpu() {
        // 70B gate_up at M = 64: 224 column blocks want 5 splits, but 5 * 64 * 57344 floats exceed the 16 MiB budget
        FusedPlan plan = FusedPlan.of(4, 64, 8192, 57344, 132, BUDGET);
        assertThat(plan.tiles()).isEqualTo(4);
        assertThat(plan.columnBlocks()).isEqualTo(224);
        assertThat(plan.splits()).isEqualTo(1);
        assertThat(plan.reduce()).isEmpty();
        assertThat(plan.partialFloats()).isZero();
        assertThat(plan.fused()).isEqualTo(new LaunchConfig(1, 224, 1, 256, 1, 1, 0));
    }

    @ParameterizedTest(name = "M={0} -> {1} tiles, {2} row chunks")
    @CsvSource({"1, 1, 1", "16, 1, 1", "17, 2, 1", "32, 2, 1", "33, 4, 1", "64, 4, 1", "65, 4, 2", "257, 4, 5"})
    void choosesTheTilesByM(int m, int tiles, int rowChunks) {
        FusedPlan plan = FusedPlan.of(8, m, 1024, 1152, 132, BUDGET);
        assertThat(plan.tiles()).isEqualTo(tiles);
        assertThat(plan.rowChunks()).isEqualTo(rowChunks);
        assertThat(plan.fused().gridX()).isEqualTo(rowChunks);
    }

    @ParameterizedTest(name = "bits={0} M={1} K={2} N={3} SMs={4}")
    @CsvSource({"4, 1, 128, 64, 132", "4, 1, 2112, 576, 132", "8, 5, 2112, 576, 114", "4, 13, 14336, 4096, 132", "8, 1, 96, 40, 132",
            "4, 100, 4224, 192, 66", "8, 1024, 704, 2112, 132"})
    void coversEveryQuadOnceWithNoEmptySplit(int bits, int m, int k, int n, int multiprocessors) {
        FusedPlan plan = FusedPlan.of(bits, m, k, n, multiprocessors, BUDGET);
        int quads = k / FusedPlan.quadK(bits);
        assertThat((long) plan.splits() * plan.quadsPerSplit()).isGreaterThanOrEqualTo(quads);
        assertThat((long) (plan.splits() - 1) * plan.quadsPerSplit()).isLessThan(quads);
        assertThat(plan.reduce().isPresent()).isEqualTo(plan.splits() > 1);
        assertThat(plan.partialFloats() * 4).isLessThanOrEqualTo(BUDGET);
        assertThat((long) plan.columnBlocks() * FusedPlan.BLOCK_N).isGreaterThanOrEqualTo(n);
        assertThat((long) plan.rowChunks() * 16 * plan.tiles()).isGreaterThanOrEqualTo(m);
    }

    @Test
    void dequantizesWholeWordRowsAndStridesPastTheGridLimit() {
        DequantizePlan plan = DequantizePlan.of(4, 300, 4096, 6144);
        assertThat(plan.dequantize()).isEqualTo(new LaunchConfig(12, 512, 1, 128, 1, 1, 0));
        assertThat(plan.addBias()).isEqualTo(LaunchConfig.linear(900, 256, 0));
        assertThat(DequantizePlan.of(8, 1, 1 << 19, 64).dequantize().gridY()).isEqualTo(65535);
        assertThat(DequantizePlan.weightBytes(8192, 57344)).isEqualTo(2L * 8192 * 57344);
    }
}
