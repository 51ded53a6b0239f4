package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestTiledPlan {

    @ParameterizedTest(name = "M={0} K={1} N={2} -> {3} rows, {4} whole column blocks, {5} splits of {6} stages")
    @CsvSource({
            // 70B gate_up: 448 column blocks fill the GPU, K stays whole (tails of more than half a wave are not split);
            // at 128 rows, one block an SM, three waves of whole tiles and a tail of 52 split in 2
            "17, 8192, 57344, 64, 448, 1, 128", "64, 8192, 57344, 64, 448, 1, 128", "65, 8192, 57344, 128, 396, 2, 64",
            "512, 8192, 57344, 256, 448, 1, 128", "1024, 8192, 57344, 256, 448, 1, 128",
            // 8B down at M = 64: 32 column blocks, so K splits 8 ways to fill 132 multiprocessors with two blocks each
            "64, 14336, 4096, 64, 0, 8, 28",
            // 70B down: 64 column blocks, 4 splits; 8B qkv at M = 200: 48 blocks of 256 rows (one per multiprocessor), 2 splits
            "33, 28672, 8192, 64, 0, 4, 112", "200, 4096, 6144, 256, 0, 2, 32",
            // few stages: at least 16 a split (K = 2048: 32 stages, 2 splits, not 8)
            "20, 2048, 256, 64, 0, 2, 16",
            // a last split cut short: 129 stages as 8 splits of 17
            "40, 8256, 4096, 64, 0, 8, 17",
            // a wave of whole tiles, then a tail of up to half a wave split: 8B qkv at M = 1024 (4 x 33 whole tiles, 4 x 15
            // split in 2), 70B qkv (2 waves, 4 x 14 split), 70B gate_up at M = 256 (3 waves, 52 split), 3 token tiles
            "1024, 4096, 6144, 256, 33, 2, 32", "1024, 8192, 10240, 256, 66, 2, 64", "256, 8192, 57344, 256, 396, 2, 64",
            "700, 2048, 6144, 256, 44, 2, 16"})
    void takesTheLowestBlockThatCoversMAndSplitsTheTailToFillAWave(int m, int k, int n, int rows, int wholeColumns, int splits, int perSplit) {
        TiledPlan plan = TiledPlan.of(m, k, n, 132);
        assertThat(plan.blockRows()).isEqualTo(rows);
        assertThat(plan.wholeColumns()).isEqualTo(wholeColumns);
        assertThat(plan.splits()).isEqualTo(splits);
        assertThat(plan.stagesPerSplit()).isEqualTo(perSplit);
        assertThat((long) (splits - 1) * perSplit).isLessThan(k / 64);
        assertThat((long) splits * perSplit).isGreaterThanOrEqualTo(k / 64);
        int tokenTiles = FusedPlan.ceilDiv(m, rows);
        int tailBlocks = (n / 128 - wholeColumns) * tokenTiles * splits;
        assertThat(plan.launch()).isEqualTo(new LaunchConfig(wholeColumns * tokenTiles + tailBlocks, 1, 1, 288, 1, 1, TiledPlan.sharedBytes(rows)));
        assertThat(tailBlocks).isLessThanOrEqualTo(TiledPlan.residentBlocks(rows) * 132);
        assertThat(plan.activation()).isEqualTo(new TensorMapLayout(ScalarType.FLOAT16, k, 64, rows, TensorMapLayout.Swizzle.BYTES_128));
        assertThat(plan.reduce().isPresent()).isEqualTo(splits > 1);
        plan.reduce().ifPresent(reduce -> assertThat((long) reduce.gridX() * reduce.blockX() * 8).isGreaterThanOrEqualTo((long) m * (n - plan.tailColumn())));
        assertThat(plan.tailColumn()).isEqualTo(wholeColumns * 128);
        assertThat(plan.partialFloats()).isEqualTo(splits > 1 ? (long) splits * m * (n - wholeColumns * 128) : 0);
        assertThat(plan.partialFloats() * 4 + 2L * m * k).isLessThanOrEqualTo(TiledPlan.workspaceBytes(k, 132));
    }

    @Test
    void sharedMemoryMatchesTheKernelsStagesAndFitsAnH100() {
        // TiledShape in exllama.cu: 6, 8 and 6 stages of 1024-rounded (activations + 8 word rows + scales), two
        // 8-byte barriers a stage, + 1024
        assertThat(TiledPlan.sharedBytes(64)).isEqualTo(6 * 13312 + 16 * 6 + 1024);
        assertThat(TiledPlan.sharedBytes(128)).isEqualTo(8 * 21504 + 16 * 8 + 1024);
        assertThat(TiledPlan.sharedBytes(256)).isEqualTo(6 * 37888 + 16 * 6 + 1024);
        for (int rows : List.of(64, 128, 256)) {
            // each resident block also takes 1 KB the system reserves, of the 228 KB an H100 multiprocessor has
            assertThat(TiledPlan.residentBlocks(rows) * (TiledPlan.sharedBytes(rows) + 1024)).isLessThanOrEqualTo(228 * 1024);
        }
        assertThatThrownBy(() -> TiledPlan.sharedBytes(32)).hasMessageContaining("64, 128 or 256 rows, got 32");
    }

    @Test
    void theWordsMapCopiesAStagesEightRowsOfTheBlocksColumns() {
        // TiledShape::W_BYTES in exllama.cu: 8 rows of 128 words, as the consumers read them (no swizzle)
        TensorMapLayout words = TiledPlan.words(6144);
        assertThat(words).isEqualTo(new TensorMapLayout(ScalarType.INT32, 6144, 128, 8, TensorMapLayout.Swizzle.NONE));
        assertThat(words.boxBytes()).isEqualTo(64 / 8 * 128 * 4);
    }

    @Test
    void gathersEveryRowOfTheActivation() {
        TiledPlan plan = TiledPlan.of(300, 4096, 384, 132);
        assertThat((long) plan.gather().gridX() * plan.gather().blockX() * 8).isGreaterThanOrEqualTo(300L * 4096);
        assertThat(TiledPlan.workspaceBytes(8192, 132)).isEqualTo(4L * 132 * 256 * 128 + 2L * 1024 * 8192);
    }

    @ParameterizedTest(name = "M={0}")
    @CsvSource({"1", "16", "1025"})
    void refusesRowsOutsideItsRange(int m) {
        assertThatThrownBy(() -> TiledPlan.of(m, 4096, 4096, 132)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the tiled kernel runs 17 to 1024 rows, got M=" + m);
    }

    @ParameterizedTest(name = "bits={0} K={1} N={2} G={3} -> {4}")
    @CsvSource({"4, 4096, 4096, 128, true", "4, 4096, 4096, 4096, true", "4, 2112, 1024, 2112, true", "8, 4096, 4096, 128, false",
            "4, 4096, 4096, 32, false", "4, 4128, 4096, 4128, false", "4, 4096, 4160, 128, false"})
    void fitsFourBitLayersOfWholeStagesAndBlocks(int bits, int k, int n, int groupSize, boolean fits) {
        assertThat(TiledPlan.fits(bits, k, n, groupSize)).isEqualTo(fits);
    }
}
