package dev.qlinear.marlin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestDecodePlan {

    private static long budget(int n) {
        return MarlinLauncher.partialFloatBudget(n, 64);
    }

    @Test
    void splitsKSoThatTheBlocksFillWholeWaves() {
        // 4096 columns: 16 blocks of 256; 396 resident slots on 132 SMs; K = 14336: 112 stages. 24 splits fill 384 of
        // 396 (97 %), no count up to 32 fills 2 % more; 112 stages in 24 splits are 5 a split, so 23 splits
        DecodePlan plan = DecodePlan.of(1, 14336, 4096, 132, budget(4096));
        assertThat(plan.tokenTiles()).isEqualTo(1);
        assertThat(plan.splits()).isEqualTo(23);
        assertThat(plan.stagesPerSplit()).isEqualTo(5);
        assertThat(plan.kernelLaunch().gridX()).isEqualTo(16 * 23);
        assertThat(plan.kernelLaunch().blockX()).isEqualTo(DecodePlan.THREADS);
        assertThat(plan.kernelLaunch().dynamicSharedBytes()).isEqualTo(69120);
        assertThat(plan.reduce()).isPresent();
        assertThat(plan.partialFloats()).isEqualTo(23L * 4096);
    }

    @Test
    void aWideLayerRunsWholeWavesOfSplits() {
        // 57344 columns: 224 blocks; 396 slots: 1 split fills 57 %, 3 splits 85 %, 5 94 %, 7 splits 1568 of 1584 (99 %)
        DecodePlan plan = DecodePlan.of(16, 8192, 57344, 132, budget(57344));
        assertThat(plan.tokenTiles()).isEqualTo(2);
        assertThat(plan.splits()).isEqualTo(7);
        assertThat(plan.stagesPerSplit()).isEqualTo(10);
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "8, 1", "9, 2", "16, 2"})
    void takesOneTokenTileUpToEightRows(int m, int tokenTiles) {
        assertThat(DecodePlan.of(m, 1024, 512, 132, budget(512)).tokenTiles()).isEqualTo(tokenTiles);
    }

    @Test
    void aBlockCoversFourChunksTheLastOnePartly() {
        // 320 columns: 5 chunks of 64 in 2 blocks; 2 stages of K leave one split
        DecodePlan plan = DecodePlan.of(3, 256, 320, 132, budget(320));
        assertThat(plan.splits()).isEqualTo(1);
        assertThat(plan.kernelLaunch().gridX()).isEqualTo(2);
        assertThat(plan.reduce()).isEmpty();
        assertThat(plan.partialFloats()).isZero();
    }

    @Test
    void theSharedMemoryOfThreeBlocksFitsAMultiprocessor() {
        assertThat(DecodePlan.RESIDENT_BLOCKS * (DecodePlan.SHARED_BYTES + 1024)).isLessThanOrEqualTo(228 * 1024);
    }

    @Test
    void refusesRowsAndShapesItDoesNotRun() {
        assertThatThrownBy(() -> DecodePlan.of(17, 1024, 512, 132, budget(512))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel runs 1 to 16 rows, got M=17");
        assertThatThrownBy(() -> DecodePlan.of(1, 2112, 512, 132, budget(512))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel tiles K by 128 and N by 64, got K=2112 N=512");
    }
}
