package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

final class TestMarlinPlan {

    /** What a layer of N columns reserves with the default 64 kernel rows: 16 splits of 64 rows. */
    private static long budget(int n) {
        return MarlinLauncher.partialFloatBudget(n, 64);
    }

    @Test
    void aSplitThatFillsAWaveNoBetterIsNotTaken() {
        // M = 64, 4096 x 4096: 64 rows a block (2 resident a multiprocessor: 264 slots), 64 blocks. 1..4 splits fill
        // 0.24, 0.48, 0.73, 0.97 of a wave; 5..8 splits spill into a second wave (0.61, 0.73, 0.85, 0.97): 4 splits of 8
        MarlinPlan plan = MarlinPlan.of(64, 4096, 4096, 132, budget(4096));
        assertThat(plan.rowBlocks()).isEqualTo(1);
        assertThat(plan.splits()).isEqualTo(4);
        assertThat(plan.stagesPerSplit()).isEqualTo(8);
        assertThat(plan.gemm()).isEqualTo(new LaunchConfig(256, 1, 1, 256, 1, 1, 84480));
        assertThat(plan.reduce()).contains(LaunchConfig.linear(256, 256, 0));
        // Llama-3 8B down at M = 17: 112 stages allow 16 splits, but 8, 12 and 16 fill no more than the 0.97 of 4: 4 of 28
        MarlinPlan down = MarlinPlan.of(17, 14336, 4096, 132, budget(4096));
        assertThat(down.splits()).isEqualTo(4);
        assertThat(down.stagesPerSplit()).isEqualTo(28);
    }

    @Test
    void eachSplitKeepsAtLeastFourStagesAndOneStageIsNeverSplit() {
        MarlinPlan oneStage = MarlinPlan.of(17, 128, 64, 132, budget(64));
        assertThat(oneStage.splits()).isEqualTo(1);
        assertThat(oneStage.stagesPerSplit()).isEqualTo(1);
        assertThat(oneStage.reduce()).isEmpty();
        assertThat(oneStage.partialFloats()).isZero();
        assertThat(oneStage.gemm()).isEqualTo(new LaunchConfig(1, 1, 1, 256, 1, 1, 84480));
        // 8 stages: at most 2 splits of 4, which 64 column blocks take (0.24 to 0.48 of a wave)
        assertThat(MarlinPlan.of(17, 1024, 4096, 132, budget(4096)).splits()).isEqualTo(2);
        // a split must gain 2 % of a wave: one column block on 264 slots gains 0.4 % a split and stays whole
        assertThat(MarlinPlan.of(17, 1024, 64, 132, budget(64)).splits()).isEqualTo(1);
    }

    @Test
    void thePartialSumsStayWithinTheReservedWorkspace() {
        // M = 100, K = 8192, N = 128: 2 row blocks of 64 rows, 4 blocks against 264 slots, so every second split count
        // gains 0.03 and 16 splits win; 16 x 100 x 128 floats exceed the 16 x 64 x 128 reserved, which holds 10 splits:
        // 64 stages as 10 splits of 7 (the last of 1)
        assertThat(MarlinPlan.of(100, 8192, 128, 132, Long.MAX_VALUE).splits()).isEqualTo(16);
        MarlinPlan plan = MarlinPlan.of(100, 8192, 128, 132, budget(128));
        assertThat(plan.rowBlocks()).isEqualTo(2);
        assertThat(plan.splits()).isEqualTo(10);
        assertThat(plan.stagesPerSplit()).isEqualTo(7);
        assertThat(plan.partialFloats()).isEqualTo(10L * 100 * 128).isLessThanOrEqualTo(budget(128));
        assertThat(plan.gemm().gridX()).isEqualTo(2 * 10);
        assertThat(plan.gemm().gridY()).isEqualTo(2);
    }

    @ParameterizedTest(name = "M={0} -> {1} row blocks")
    @CsvSource({"17, 1", "32, 1", "64, 1", "65, 2", "1000, 16", "1024, 16"})
    void coversMInBlocksOf64Rows(int m, int rowBlocks) {
        MarlinPlan plan = MarlinPlan.of(m, 1024, 1152, 132, budget(1152));
        assertThat(plan.rowBlocks()).isEqualTo(rowBlocks);
        assertThat(plan.gemm().gridY()).isEqualTo(rowBlocks);
        assertThat(plan.gemm().dynamicSharedBytes()).isEqualTo(MarlinPlan.SHARED_BYTES);
    }

    @ParameterizedTest(name = "M={0} K={1} N={2} SMs={3}")
    @CsvSource({"17, 128, 64, 132", "20, 4096, 6144, 132", "30, 4096, 28672, 114", "17, 14336, 4096, 132", "17, 8192, 8192, 132", "33, 28672, 8192, 132",
            "64, 8192, 57344, 132", "48, 2048, 192, 66", "1024, 4096, 4096, 132", "700, 11008, 2048, 108"})
    void coversEveryStageAndColumnOnceWithNoEmptySplit(int m, int k, int n, int multiprocessors) {
        MarlinPlan plan = MarlinPlan.of(m, k, n, multiprocessors, budget(n));
        int stages = k / 128;
        assertThat(plan.splits()).isBetween(1, 16);
        assertThat((long) plan.splits() * plan.stagesPerSplit()).isGreaterThanOrEqualTo(stages);
        assertThat((long) (plan.splits() - 1) * plan.stagesPerSplit()).isLessThan(stages);
        assertThat(plan.stagesPerSplit()).isGreaterThanOrEqualTo(Math.min(4, stages));
        assertThat(plan.reduce().isPresent()).isEqualTo(plan.splits() > 1);
        assertThat(plan.partialFloats()).isLessThanOrEqualTo(budget(n));
        // blockIdx.x % (N / 64) is the column block, blockIdx.x / (N / 64) the split
        assertThat((long) plan.gemm().gridX()).isEqualTo((long) n / 64 * plan.splits());
        assertThat((long) plan.rowBlocks() * MarlinPlan.BLOCK_ROWS).isGreaterThanOrEqualTo(m);
        assertThat((long) (plan.rowBlocks() - 1) * MarlinPlan.BLOCK_ROWS).isLessThan(m);
        assertThat(plan.gemm().blockX()).isEqualTo(256);
        plan.reduce().ifPresent(reduce -> assertThat((long) reduce.gridX() * reduce.blockX() * 4).isGreaterThanOrEqualTo((long) m * n));
        assertThat((long) plan.gather().gridX() * plan.gather().blockX()).isGreaterThanOrEqualTo((long) m * k);
    }

    @Test
    void sharedMemoryIsTheKernelsStagesTimesTheirBytes() {
        // Stage<4>::SHARED = 4 stages x (4096 words + 64 x 128 halves + 4 x 64 scales + 4 x 64 zero nibbles)
        assertThat(MarlinPlan.SHARED_BYTES).isEqualTo(4 * (4096 + 16384 + 512 + 128));
        // the kernel's static_assert: the resident blocks fit an sm_90 multiprocessor's 228 KB, 1 KB each reserved
        assertThat(MarlinPlan.RESIDENT_BLOCKS * (MarlinPlan.SHARED_BYTES + 1024)).isLessThanOrEqualTo(228 * 1024);
    }

    @ParameterizedTest(name = "warpgroup M={0} -> blocks of {1} rows, {2} of them")
    @CsvSource({"17, 64, 1", "64, 64, 1", "65, 128, 1", "128, 128, 1", "129, 256, 1", "256, 256, 1", "257, 256, 2", "1024, 256, 4"})
    void theWarpgroupKernelTakesTheFewestRowsThatHoldM(int m, int blockRows, int rowBlocks) {
        MarlinPlan plan = MarlinPlan.warpgroup(m, 4096, 4096, ScalarType.FLOAT16, 132, budget(4096));
        assertThat(plan.warpgroup()).isTrue();
        assertThat(plan.blockRows()).isEqualTo(blockRows);
        assertThat(plan.rowBlocks()).isEqualTo(rowBlocks);
        assertThat(plan.gemm().gridX()).isEqualTo(rowBlocks);
        assertThat(plan.gemm().blockX()).isEqualTo(288);
        assertThat(plan.gemm().dynamicSharedBytes()).isEqualTo(MarlinPlan.warpgroupSharedBytes(blockRows));
        assertThat(plan.activation()).contains(new TensorMapLayout(ScalarType.FLOAT16, 4096, 64, blockRows, TensorMapLayout.Swizzle.BYTES_128));
        MarlinPlan sync = MarlinPlan.of(m, 4096, 4096, 132, budget(4096));
        assertThat(sync.warpgroup()).isFalse();
        assertThat(sync.activation()).isEmpty();
    }

    @Test
    void theWarpgroupKernelSplitsWhereItsWavesGainMoreThanThePartialSumsCost() {
        // M = 64, blocks of 128 columns by 64 rows, 2 resident a multiprocessor (264 slots on 132 SMs). A stage time
        // moves 2.5 / 5.4 x 2 x 64 x 128 x 128 x 2 = 1.94 MB. 8B gate_up: 224 blocks in one wave of 32 stages; its
        // 59 MB of words take 30 stage times; 2 splits would make 2 waves of 16 and add 8 x 2 x 64 x 28672 bytes
        // (15 stage times): 1
        MarlinPlan gateUp = MarlinPlan.warpgroup(64, 4096, 28672, ScalarType.FLOAT16, 132, budget(28672));
        assertThat(gateUp.splits()).isEqualTo(1);
        assertThat(gateUp.reduce()).isEmpty();
        assertThat(gateUp.gemm()).isEqualTo(new LaunchConfig(1, 224, 1, 288, 1, 1, 107520 + 64));
        assertThat(MarlinPlan.warpgroupCost(64, 4096, 28672, 64, 224, 132, 1)).isCloseTo(32, within(1e-9));
        assertThat(MarlinPlan.warpgroupCost(64, 4096, 28672, 64, 224, 132, 2)).isCloseTo(32 + 8.0 * 2 * 64 * 28672 / (2.5 / 5.4 * 2 * 64 * 128 * 128 * 2),
                within(1e-9));
        // 8B qkv: 48 blocks, a fifth of a wave: 4 splits of 8 stages still one wave, 8 stage times, plus 1.6 of partials
        MarlinPlan qkv = MarlinPlan.warpgroup(64, 4096, 6144, ScalarType.FLOAT16, 132, budget(6144));
        assertThat(qkv.splits()).isEqualTo(4);
        assertThat(qkv.stagesPerSplit()).isEqualTo(8);
        assertThat(qkv.gemm().gridY()).isEqualTo(48 * 4);
        // 70B o: 64 blocks; 4 splits of 16
        MarlinPlan o = MarlinPlan.warpgroup(64, 8192, 8192, ScalarType.FLOAT16, 132, budget(8192));
        assertThat(o.splits()).isEqualTo(4);
        assertThat(o.stagesPerSplit()).isEqualTo(16);
        assertThat(o.partialFloats()).isEqualTo(4L * 64 * 8192);
        // what the wave rule alone split and the H100 measured slower (docs/perf/raw/marlin-hopper-kernel-h100-2026-11-22.txt):
        // 8B gate_up at M = 256 (4 splits: 169.6 us, whole: 95.5), 70B gate_up at M = 64 (7: 198.3, whole: 150.8),
        // 70B qkv at M = 256 (8: 123.0, 3: 80.0)
        assertThat(MarlinPlan.warpgroup(256, 4096, 28672, ScalarType.FLOAT16, 132, budget(28672)).splits()).isEqualTo(1);
        assertThat(MarlinPlan.warpgroup(64, 8192, 57344, ScalarType.FLOAT16, 132, budget(57344)).splits()).isEqualTo(1);
        assertThat(MarlinPlan.warpgroup(256, 8192, 10240, ScalarType.FLOAT16, 132, budget(10240)).splits()).isEqualTo(3);
        // N = 192: the second block of 128 columns has one warpgroup's 64
        assertThat(MarlinPlan.warpgroup(17, 1024, 192, ScalarType.FLOAT16, 132, budget(192)).gemm().gridY()).isEqualTo(2);
    }

    @Test
    void theWarpgroupKernelsSharedMemoryIsItsStagesTimesTheirBytes() {
        // HopperStage<BT>: 4, 4, 3 stages of (BT x 128 halves + 8 x 1 KB words + 4 x 128 scales + 4 x 128 nibbles),
        // each rounded up to 1 KB, + a full and an empty 8-byte barrier a stage, + 1 KB to align the ring
        assertThat(MarlinPlan.warpgroupSharedBytes(64)).isEqualTo(4 * 26 * 1024 + 4 * 16 + 1024);
        assertThat(MarlinPlan.warpgroupSharedBytes(128)).isEqualTo(4 * 42 * 1024 + 4 * 16 + 1024);
        assertThat(MarlinPlan.warpgroupSharedBytes(256)).isEqualTo(3 * 74 * 1024 + 3 * 16 + 1024);
        for (int rows : MarlinPlan.WARPGROUP_BLOCK_ROWS) {
            int resident = MarlinPlan.warpgroupResidentBlocks(rows);
            // the kernel's static_assert, and two blocks exactly when two fit
            assertThat(resident * (MarlinPlan.warpgroupSharedBytes(rows) + 1024)).isLessThanOrEqualTo(228 * 1024);
            assertThat(2 * (MarlinPlan.warpgroupSharedBytes(rows) + 1024) <= 228 * 1024).isEqualTo(resident == 2);
        }
    }

    @ParameterizedTest(name = "warpgroup M={0} K={1} N={2} SMs={3}")
    @CsvSource({"17, 128, 64, 132", "20, 4096, 6144, 132", "30, 4096, 28672, 114", "100, 14336, 4096, 132", "256, 8192, 8192, 132",
            "33, 28672, 8192, 132", "200, 8192, 57344, 132", "48, 2048, 192, 66", "1024, 4096, 4288, 132", "700, 11008, 2048, 108"})
    void theWarpgroupKernelCoversEveryStageAndColumnOnce(int m, int k, int n, int multiprocessors) {
        MarlinPlan plan = MarlinPlan.warpgroup(m, k, n, ScalarType.FLOAT16, multiprocessors, budget(n));
        int stages = k / 128;
        assertThat((long) plan.splits() * plan.stagesPerSplit()).isGreaterThanOrEqualTo(stages);
        assertThat((long) (plan.splits() - 1) * plan.stagesPerSplit()).isLessThan(stages);
        assertThat(plan.stagesPerSplit()).isGreaterThanOrEqualTo(Math.min(8, stages));
        assertThat(plan.partialFloats()).isLessThanOrEqualTo(budget(n));
        // blockIdx.x is the token tile; blockIdx.y % ceil(N / 128) the column block, blockIdx.y / ceil(N / 128) the split
        assertThat((long) plan.gemm().gridY()).isEqualTo((long) (n + 127) / 128 * plan.splits());
        assertThat(plan.gemm().gridX()).isEqualTo(plan.rowBlocks());
        assertThat((long) plan.rowBlocks() * plan.blockRows()).isGreaterThanOrEqualTo(m);
        assertThat((long) (plan.rowBlocks() - 1) * plan.blockRows()).isLessThan(m);
    }

    @Test
    void refusesWhatTheKernelCannotTile() {
        assertThatThrownBy(() -> MarlinPlan.of(16, 128, 64, 132, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the GEMM kernel runs more than 16 rows (the decode kernel fewer), got M=16");
        assertThatThrownBy(() -> MarlinPlan.of(17, 2112, 64, 132, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the GEMM kernel tiles K by 128 and N by 64, got K=2112 N=64");
        assertThatThrownBy(() -> MarlinPlan.warpgroup(16, 128, 64, ScalarType.FLOAT16, 132, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the GEMM kernel runs more than 16 rows (the decode kernel fewer), got M=16");
        assertThatThrownBy(() -> MarlinPlan.warpgroup(17, 128, 96, ScalarType.FLOAT16, 132, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the GEMM kernel tiles K by 128 and N by 64, got K=128 N=96");
    }

    @ParameterizedTest(name = "K={0} group {1}: {2} scale rows, {3} a stage")
    @CsvSource({"4096, 32, 128, 4", "4096, 64, 64, 2", "4096, 128, 32, 1", "4096, 4096, 1, 1"})
    void theWarpgroupKernelsMapsCopyAStagesWordTilesAndScaleRows(int k, int groupSize, int scaleRows, int rowsPerStage) {
        // HopperStage in marlin.cu: 8 tiles of 16 rows of K by the block's two 64-column chunks (1 KB a tile); scale rows
        // of 128 a group a stage spans, 256 bytes apart
        TensorMapLayout words = MarlinPlan.warpgroupWords(8192);
        assertThat(words).isEqualTo(new TensorMapLayout(ScalarType.INT32, 2 * 8192, 256, 8, TensorMapLayout.Swizzle.NONE));
        assertThat(words.boxBytes()).isEqualTo(8 * 1024);
        TensorMapLayout scales = MarlinPlan.warpgroupScales(ScalarType.BFLOAT16, 8192, k, groupSize);
        assertThat(scales).isEqualTo(new TensorMapLayout(ScalarType.BFLOAT16, 8192, 128, rowsPerStage, TensorMapLayout.Swizzle.NONE));
        assertThat(scales.boxRowBytes()).isEqualTo(256);
        assertThat(MarlinPlan.scaleRows(k, groupSize)).isEqualTo(scaleRows);
    }

    @Test
    void theWorkspaceHoldsTheLargestOfTheDecodeKernelsTheGemmKernelsAndTheDenseWeight() {
        // 64 kernel rows: 2 x 64 x K gathered + 4 x 16 x 64 x N partials, more than the decode kernel's 8.8 MB on 132 SMs;
        // the dense path's weight 2 x K x N is larger still
        assertThat(MarlinLauncher.workspaceBytes(4096, 4096, 64, false, 132)).isEqualTo(2L * 64 * 4096 + 4L * 16 * 64 * 4096);
        assertThat(MarlinLauncher.workspaceBytes(4096, 4096, 64, true, 132)).isEqualTo(2L * 4096 * 4096);
        // every M on the kernel (act-order, or no dense GEMM): a chunk of 1024 rows gathered, partials still for 64 rows
        assertThat(MarlinLauncher.workspaceBytes(8192, 1024, 65536, false, 132)).isEqualTo(2L * 1024 * 8192 + 4L * 16 * 64 * 1024);
        // a narrow layer: the decode kernel's partial sums of 264 blocks and 16 rows exceed the GEMM kernel's
        assertThat(MarlinLauncher.workspaceBytes(4096, 512, 64, false, 132)).isEqualTo(DecodePlan.workspaceBytes(4096, 132))
                .isGreaterThan(2L * 64 * 4096 + 4L * 16 * 64 * 512);
        // up to 16 kernel rows the GEMM kernel never runs and reserves nothing: the decode kernel's 2 blocks, over the weight
        assertThat(MarlinLauncher.workspaceBytes(128, 256, 16, true, 1)).isEqualTo(4L * 2 * 2 * 16 * 256 + 2L * 16 * 128);
        assertThat(MarlinLauncher.partialFloatBudget(4096, 16)).isEqualTo(16L * 16 * 4096);
        assertThat(Optional.of(MarlinLauncher.CHUNK_ROWS)).contains(1024);
    }

    @Test
    void largeMRunsInTheFewestEvenChunksNoneOfSixteenRowsOrFewer() {
        assertThat(MarlinLauncher.chunkRows(17)).isEqualTo(17);
        assertThat(MarlinLauncher.chunkRows(1024)).isEqualTo(1024);
        // 1030 rows: 515 and 515, not 1024 and a tail of 6 the GEMM kernel does not run
        assertThat(MarlinLauncher.chunkRows(1030)).isEqualTo(515);
        assertThat(MarlinLauncher.chunkRows(65536)).isEqualTo(1024);
        for (int m = DecodePlan.MAX_ROWS + 1; m <= MarlinSettings.MAX_ROWS; m++) {
            int chunk = MarlinLauncher.chunkRows(m);
            int chunks = (m + chunk - 1) / chunk;
            int last = m - (chunks - 1) * chunk;
            assertThat(chunk).isLessThanOrEqualTo(MarlinLauncher.CHUNK_ROWS);
            assertThat(chunks).as("chunks of M=%d", m).isEqualTo((m + MarlinLauncher.CHUNK_ROWS - 1) / MarlinLauncher.CHUNK_ROWS);
            if (last <= DecodePlan.MAX_ROWS) {
                throw new AssertionError("M=" + m + " leaves a last chunk of " + last + " rows");
            }
        }
    }
}
