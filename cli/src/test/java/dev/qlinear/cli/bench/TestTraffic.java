package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

final class TestTraffic {

    @Test
    void w4a16MovesWhatKernelsSection92Says() {
        WeightOnlyConfig layer = WeightOnlyConfig.unsharded(8192, 8192, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false);

        long bytes = Traffic.weightOnly(layer, 1);

        // N·K/2 + (K/G)·N·2 + 2·M·K + 2·M·N
        assertThat(bytes).isEqualTo(33_554_432L + 1_048_576L + 16_384L + 16_384L);
        assertThat(bytes / 1e6).isCloseTo(34.6, within(0.05));
        // §9.2: 10.3 µs at 3.35 TB/s, 11.5 µs at 3.0 TB/s, 7.2 µs at 4.8 TB/s
        assertThat(bytes / 3.35e12 * 1e6).isCloseTo(10.3, within(0.05));
        assertThat(bytes / 3.0e12 * 1e6).isCloseTo(11.5, within(0.05));
        assertThat(bytes / 4.8e12 * 1e6).isCloseTo(7.2, within(0.05));
    }

    @Test
    void zeroPointsAndActOrderAddTheirBytes() {
        WeightOnlyConfig symmetric = WeightOnlyConfig.unsharded(4096, 1024, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false);
        WeightOnlyConfig zeros = WeightOnlyConfig.unsharded(4096, 1024, ScalarType.UINT4, ScalarType.FLOAT16, 128, true, false);
        WeightOnlyConfig actOrder = WeightOnlyConfig.unsharded(4096, 1024, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, true);

        assertThat(Traffic.weightOnly(zeros, 16) - Traffic.weightOnly(symmetric, 16)).isEqualTo(32L * 1024 / 2);
        assertThat(Traffic.weightOnly(actOrder, 16) - Traffic.weightOnly(symmetric, 16)).isEqualTo(4L * 4096);
    }

    @Test
    void channelwiseEightBitHasOneScaleRow() {
        WeightOnlyConfig layer = WeightOnlyConfig.unsharded(1024, 512, ScalarType.UINT8B128, ScalarType.BFLOAT16, -1, false, false);

        assertThat(Traffic.weightOnly(layer, 2)).isEqualTo(512L * 1024 + 512L * 2 + 2L * 2 * 1024 + 2L * 2 * 512);
    }

    @Test
    void denseAndFp8Formulas() {
        assertThat(Traffic.dense16(6144, 4096, 1)).isEqualTo(2L * 6144 * 4096 + 2L * 4096 + 2L * 6144);
        assertThat(Traffic.fp8RowWise(6144, 4096, 16)).isEqualTo(6144L * 4096 + 4L * 6144 + 16L * 4096 + 4L * 16 + 2L * 16 * 6144);
        assertThat(Traffic.flops(6144, 4096, 4096)).isEqualTo(2.0 * 4096 * 6144 * 4096);
    }
}
