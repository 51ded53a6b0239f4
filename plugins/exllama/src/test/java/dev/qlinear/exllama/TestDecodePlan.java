package dev.qlinear.exllama;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestDecodePlan {

    @Test
    void fillsTwoBlocksPerMultiprocessorWithTheKernelsSharedMemory() {
        // Llama-3-8B down: 32 column blocks of 56 units
        DecodePlan plan = DecodePlan.of(4, 1, 14336, 4096, 132, true);

        assertThat(plan.tokenTiles()).isEqualTo(1);
        assertThat(plan.launch().gridX()).isEqualTo(264);
        assertThat(plan.launch().blockX()).isEqualTo(256);
        // what the harness reports for exllama_decode_w4_tt1 / _tt2 (3 stages of 16 KB weights + activations)
        assertThat(plan.launch().dynamicSharedBytes()).isEqualTo(62976);
        assertThat(DecodePlan.of(4, 16, 14336, 4096, 132, true).launch().dynamicSharedBytes()).isEqualTo(76800);
        assertThat(plan.partialFloats()).isEqualTo(2L * 264 * 1 * 128);
    }

    @Test
    void sumsTheSplitColumnBlocksInASecondLaunchOfOneThreadPerFourColumnsOfARow() {
        // Llama-3-8B down: 1792 units over 264 blocks, so block 1 starts at unit 6, inside column block 0
        DecodePlan one = DecodePlan.of(4, 1, 14336, 4096, 132, true);
        DecodePlan sixteen = DecodePlan.of(4, 16, 14336, 4096, 132, false);

        assertThat(one.unitsPerColumn()).isEqualTo(56);
        assertThat(one.reduce()).hasValueSatisfying(reduce -> {
            assertThat(reduce.gridX()).isEqualTo(32);
            assertThat(reduce.gridY()).as("32 items of 4 columns, 128 threads a block").isEqualTo(1);
            assertThat(reduce.blockX()).isEqualTo(128);
            assertThat(reduce.overlapsPrevious()).isTrue();
        });
        assertThat(sixteen.reduce()).hasValueSatisfying(reduce -> {
            assertThat(reduce.gridY()).as("16 rows of 32 items").isEqualTo(4);
            assertThat(reduce.overlapsPrevious()).isFalse();
        });
    }

    @Test
    void launchesNoSumWhereEveryBlockStreamsWholeColumnBlocks() {
        // 264 column blocks of one stage (K = 256): one each
        assertThat(DecodePlan.of(4, 1, 256, 264 * 128, 132, true).reduce()).isEmpty();
        // 528 column blocks of 2 stages over 264 blocks: two whole column blocks each
        assertThat(DecodePlan.of(4, 1, 512, 528 * 128, 132, true).reduce()).isEmpty();
        // 2 column blocks of 3 stages over 6 blocks: each split
        assertThat(DecodePlan.of(4, 1, 768, 256, 132, true).reduce()).isPresent();
    }

    @Test
    void overlapsThePreviousWorkOnlyWhereTheImageWaitsForIt() {
        assertThat(DecodePlan.of(4, 1, 4096, 4096, 132, true).launch().overlapsPrevious()).isTrue();
        assertThat(DecodePlan.of(4, 1, 4096, 4096, 132, false).launch().overlapsPrevious()).isFalse();
        assertThat(DecodePlan.of(4, 1, 4096, 4096, 132, false).gather().overlapsPrevious()).isFalse();
    }

    @Test
    void aSmallLayerTakesOneBlockPerUnit() {
        // 2 column blocks of 1 unit (K = 256 is one stage)
        assertThat(DecodePlan.of(4, 3, 256, 256, 132, true).launch().gridX()).isEqualTo(2);
        assertThat(DecodePlan.of(8, 9, 256, 256, 132, true).tokenTiles()).isEqualTo(2);
    }

    @Test
    void refusesMoreThanSixteenRows() {
        assertThatThrownBy(() -> DecodePlan.of(4, 17, 4096, 4096, 132, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel runs 1 to 16 rows, got M=17");
    }
}
