package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestDecodePlan {

    @Test
    void fillsTwoBlocksPerMultiprocessorWithTheKernelsSharedMemory() {
        // Llama-3-8B down: 16 column blocks of 112 units, 1792 units over 264 blocks
        DecodePlan plan = DecodePlan.of(1, 14336, 4096, 132, true);

        assertThat(plan.tokenTiles()).isEqualTo(1);
        assertThat(plan.unitsPerColumn()).isEqualTo(112);
        assertThat(plan.launch().gridX()).isEqualTo(264);
        assertThat(plan.launch().gridY()).isEqualTo(1);
        assertThat(plan.launch().blockX()).isEqualTo(256);
        // 3 stages of 16 KB of words and 8 activation rows of 128 halves per token tile
        assertThat(plan.launch().dynamicSharedBytes()).isEqualTo(3 * (16384 + 2048));
        assertThat(DecodePlan.of(16, 14336, 4096, 132, true).launch().dynamicSharedBytes()).isEqualTo(3 * (16384 + 4096));
        // two slots of 1 row by 256 columns per block
        assertThat(plan.partialFloats()).isEqualTo(2L * 264 * 1 * 256);
        assertThat(DecodePlan.of(16, 14336, 4096, 132, true).partialFloats()).isEqualTo(2L * 264 * 16 * 256);
    }

    @Test
    void theSharedMemoryOfTheResidentBlocksFitsAMultiprocessor() {
        assertThat(DecodePlan.sharedBytes(1)).isEqualTo(55296);
        assertThat(DecodePlan.sharedBytes(2)).isEqualTo(61440);
        // an sm_90 multiprocessor's 228 KB, 1 KB of each block reserved
        assertThat(DecodePlan.BLOCKS_PER_MULTIPROCESSOR * (DecodePlan.sharedBytes(2) + 1024)).isLessThanOrEqualTo(228 * 1024);
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "8, 1", "9, 2", "16, 2"})
    void takesOneTokenTileUpToEightRows(int m, int tokenTiles) {
        DecodePlan plan = DecodePlan.of(m, 1024, 512, 132, true);
        assertThat(plan.tokenTiles()).isEqualTo(tokenTiles);
        assertThat(plan.launch().dynamicSharedBytes()).isEqualTo(DecodePlan.sharedBytes(tokenTiles));
    }

    @Test
    void sumsTheSplitColumnBlocksInASecondLaunchOfOneThreadPerTwoOrFourColumnsOfARow() {
        // Llama-3-8B down: block 1 starts at unit 1792 / 264 = 6, inside column block 0
        DecodePlan one = DecodePlan.of(1, 14336, 4096, 132, true);
        DecodePlan eight = DecodePlan.of(8, 14336, 4096, 132, true);
        DecodePlan sixteen = DecodePlan.of(16, 14336, 4096, 132, false);

        assertThat(one.reduce()).hasValueSatisfying(reduce -> {
            assertThat(reduce.gridX()).as("a block per column block").isEqualTo(16);
            assertThat(reduce.gridY()).as("128 items of 2 columns, 128 threads a block").isEqualTo(1);
            assertThat(reduce.blockX()).isEqualTo(128);
            assertThat(reduce.dynamicSharedBytes()).isZero();
            assertThat(reduce.overlapsPrevious()).isTrue();
        });
        assertThat(eight.reduce()).hasValueSatisfying(reduce -> assertThat(reduce.gridY()).as("8 rows of 128 items").isEqualTo(8));
        assertThat(sixteen.reduce()).hasValueSatisfying(reduce -> {
            assertThat(reduce.gridY()).as("16 rows of 64 items of 4 columns").isEqualTo(8);
            assertThat(reduce.overlapsPrevious()).isFalse();
        });
    }

    @Test
    void launchesNoSumWhereEveryBlockStreamsWholeColumnBlocks() {
        // 264 column blocks of one unit (K = 128): one each
        assertThat(DecodePlan.of(1, 128, 264 * 256, 132, true).reduce()).isEmpty();
        // 528 column blocks of 2 units over 264 blocks: two whole column blocks each
        DecodePlan whole = DecodePlan.of(1, 256, 528 * 256, 132, true);
        assertThat(whole.launch().gridX()).isEqualTo(264);
        assertThat(whole.reduce()).isEmpty();
        // 132 column blocks of 32 units (K = 4096) over the 132 blocks of 66 multiprocessors: one each
        DecodePlan one = DecodePlan.of(4, 4096, 132 * 256, 66, true);
        assertThat(one.launch().gridX()).isEqualTo(132);
        assertThat(one.reduce()).isEmpty();
        // 2 column blocks of 3 units over 6 blocks: a third of a column block each
        DecodePlan split = DecodePlan.of(1, 384, 512, 132, true);
        assertThat(split.launch().gridX()).isEqualTo(6);
        assertThat(split.reduce()).hasValueSatisfying(reduce -> assertThat(reduce.gridX()).isEqualTo(2));
        // 16 column blocks of 32 units (4096 x 4096) over 264 blocks: block 1 starts at unit 1
        assertThat(DecodePlan.of(1, 4096, 4096, 132, true).reduce()).isPresent();
    }

    @Test
    void theLastColumnBlockMayBeNarrower() {
        // 320 columns: a column block of 256 and one of 64, each one unit of K = 128
        DecodePlan plan = DecodePlan.of(3, 128, 320, 132, true);
        assertThat(plan.launch().gridX()).isEqualTo(2);
        assertThat(plan.reduce()).isEmpty();
        assertThat(plan.partialFloats()).isEqualTo(2L * 2 * 3 * 256);
    }

    @Test
    void overlapsThePreviousWorkOnlyWhereTheImageWaitsForIt() {
        assertThat(DecodePlan.of(1, 4096, 4096, 132, true).launch().overlapsPrevious()).isTrue();
        assertThat(DecodePlan.of(1, 4096, 4096, 132, true).reduce()).hasValueSatisfying(reduce -> assertThat(reduce.overlapsPrevious()).isTrue());
        assertThat(DecodePlan.of(1, 4096, 4096, 132, false).launch().overlapsPrevious()).isFalse();
        assertThat(DecodePlan.of(1, 4096, 4096, 132, false).reduce()).hasValueSatisfying(reduce -> assertThat(reduce.overlapsPrevious()).isFalse());
        // the gather runs in stream order: it writes what the launch ahead of it may still read
        assertThat(DecodePlan.of(1, 4096, 4096, 132, true).gather().overlapsPrevious()).isFalse();
    }

    @ParameterizedTest(name = "M={0} K={1} N={2} SMs={3}")
    @CsvSource({"1, 128, 64, 132", "1, 4096, 6144, 132", "7, 4096, 28672, 114", "16, 14336, 4096, 132", "9, 8192, 8192, 132", "2, 28672, 8192, 108",
            "16, 8192, 57344, 132", "5, 2048, 192, 66", "1, 128, 128, 1"})
    void takesAtMostTwoBlocksPerMultiprocessorAndReducesExactlyWhenAColumnBlockIsShared(int m, int k, int n, int multiprocessors) {
        DecodePlan plan = DecodePlan.of(m, k, n, multiprocessors, false);
        long columnBlocks = (n + 255) / 256;
        long units = columnBlocks * (k / 128);
        int blocks = plan.launch().gridX();
        assertThat((long) blocks).isEqualTo(Math.min(units, 2L * multiprocessors));
        boolean shared = false;
        for (long block = 0; block < blocks; block++) {
            long first = block * units / blocks;
            long end = (block + 1) * units / blocks;
            assertThat(end).as("block %d streams a unit at least", block).isGreaterThan(first);
            shared |= first % (k / 128) != 0;
        }
        assertThat(plan.reduce().isPresent()).isEqualTo(shared);
        plan.reduce().ifPresent(reduce -> {
            assertThat((long) reduce.gridX()).isEqualTo(columnBlocks);
            // a thread per reduceColumns(M) columns of a row covers every row: 2 up to 8 rows, else 4
            assertThat(DecodePlan.reduceColumns(m)).isEqualTo(m <= 8 ? 2 : 4);
            assertThat((long) reduce.gridY() * reduce.blockX() * DecodePlan.reduceColumns(m)).isGreaterThanOrEqualTo((long) m * 256);
        });
        LaunchConfig gather = plan.gather();
        assertThat((long) gather.gridX() * gather.blockX()).isGreaterThanOrEqualTo((long) m * k);
        assertThat(plan.partialFloats()).isEqualTo(2L * blocks * m * 256);
        assertThat(4 * plan.partialFloats() + 2L * m * k).isLessThanOrEqualTo(DecodePlan.workspaceBytes(k, multiprocessors));
    }

    @Test
    void theWorkspaceHoldsThePartialSumsAndAGatheredActivationOfSixteenRows() {
        // 264 blocks of two slots of 16 x 256 floats, and 16 rows of K halves
        assertThat(DecodePlan.workspaceBytes(4096, 132)).isEqualTo(4L * 2 * 264 * 16 * 256 + 2L * 16 * 4096);
    }

    @Test
    void refusesRowsAndShapesItDoesNotRun() {
        assertThatThrownBy(() -> DecodePlan.of(17, 1024, 512, 132, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel runs 1 to 16 rows, got M=17");
        assertThatThrownBy(() -> DecodePlan.of(0, 1024, 512, 132, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel runs 1 to 16 rows, got M=0");
        assertThatThrownBy(() -> DecodePlan.of(1, 2112, 512, 132, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel tiles K by 128 and N by 64, got K=2112 N=512");
    }
}
