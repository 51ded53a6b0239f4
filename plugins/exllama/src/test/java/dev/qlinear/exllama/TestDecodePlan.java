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
