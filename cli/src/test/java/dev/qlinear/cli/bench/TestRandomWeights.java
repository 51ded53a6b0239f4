package dev.qlinear.cli.bench;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

final class TestRandomWeights {

    @Test
    void makesCanonicalWeightsWithEveryCodeAndPositiveScales() {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(256, 96, ScalarType.UINT4B8, ScalarType.FLOAT16, 64, false, false);
        try (Arena arena = Arena.ofShared()) {
            QuantizedWeights.WeightOnly weights = RandomWeights.of(config, 7, arena);

            assertThat(weights.layout().isCanonical()).isTrue();
            assertThat(weights.codes().size(0)).isEqualTo(32);
            assertThat(weights.codes().size(1)).isEqualTo(96);
            QuantizedMatrix matrix = CanonicalWeights.toMatrix(weights);
            assertThat(Arrays.stream(matrix.codes()).distinct().count()).isEqualTo(16);
            for (int group = 0; group < 4; group++) {
                for (int column = 0; column < 96; column++) {
                    assertThat(matrix.scale(group, column)).isBetween(0.5 / 128, 1.5 / 128);
                }
            }
            assertThat(weights.zeroPoints()).isEmpty();
        }
    }

    @Test
    void padsAPartialLastWordWithZeroCodes() {
        // K = 12: the second word of each column holds 4 codes in its low 16 bits
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(12, 64, ScalarType.UINT4B8, ScalarType.FLOAT16, 4, false, false);
        try (Arena arena = Arena.ofShared()) {
            QuantizedWeights.WeightOnly weights = RandomWeights.of(config, 11, arena);

            int[] words = weights.codes().hostSegment().orElseThrow().toArray(ValueLayout.JAVA_INT);
            assertThat(words).hasSize(2 * 64);
            for (int column = 0; column < 64; column++) {
                assertThat(words[64 + column] >>> 16).isZero();
            }
            assertThat(Arrays.stream(words, 64, 128).anyMatch(word -> word != 0)).isTrue();
        }
    }

    @Test
    void typesWithoutBiasGetZeroPointsAndBfloat16Scales() {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(128, 32, ScalarType.UINT4, ScalarType.BFLOAT16, 32, true, false);
        try (Arena arena = Arena.ofShared()) {
            QuantizedWeights.WeightOnly weights = RandomWeights.of(config, 3, arena);

            assertThat(weights.scales().dtype()).isEqualTo(ScalarType.BFLOAT16);
            QuantizedMatrix matrix = CanonicalWeights.toMatrix(weights);
            assertThat(matrix.hasZeroPoints()).isTrue();
            assertThat(matrix.scale(0, 0)).isPositive();
        }
    }
}
