package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestWeightOnlyConfig {

    private static WeightOnlyConfig gptq(int k, int n, int groupSize) {
        return WeightOnlyConfig.unsharded(k, n, ScalarType.UINT4B8, ScalarType.FLOAT16, groupSize, false, false);
    }

    private static WeightOnlyConfig sharded(int fullK, int partitionK, int groupSize, boolean actOrder) {
        return new WeightOnlyConfig(new LayerShape(fullK, 4096), new LayerShape(partitionK, 4096),
                ScalarType.UINT4B8, ScalarType.BFLOAT16, groupSize, false, actOrder, ScalarType.BFLOAT16);
    }

    @Test
    void unshardedLayerHasItsShapeAndKind() {
        WeightOnlyConfig config = gptq(4096, 11008, 128);
        assertThat(config.kind()).isEqualTo(LayerKind.WEIGHT_ONLY);
        assertThat(config.k()).isEqualTo(4096);
        assertThat(config.n()).isEqualTo(11008);
        assertThat(config.outputType()).isEqualTo(ScalarType.FLOAT16);
        assertThat(config.isRowParallel()).isFalse();
        assertThat(config.isChannelwise()).isFalse();
        assertThat(config.groupCount()).isEqualTo(32);
    }

    @Test
    void groupSizeNotDividingAnUnshardedKLeavesAPartialLastGroup() {
        // 2112 = 2^6 * 3 * 11, so 128 does not divide it: 16 groups of 128 and a last one of 64 rows.
        WeightOnlyConfig config = gptq(2112, 4096, 128);
        assertThat(config.groupCount()).isEqualTo(17);
        assertThat(config.hasPartialGroup()).isTrue();
        assertThat(gptq(2112, 4096, 100).groupCount()).isEqualTo(22);
        assertThat(gptq(2112, 4096, 64).hasPartialGroup()).isFalse();
        assertThat(gptq(2112, 4096, WeightOnlyConfig.CHANNELWISE).hasPartialGroup()).isFalse();
    }

    @Test
    void groupSize96DividesK2112() {
        assertThat(gptq(2112, 4096, 96).groupCount()).isEqualTo(22);
    }

    @Test
    void groupSizeNotDividingThePartitionNamesTheFullK() {
        // TP=4 of K=4096 gives K=1024 per rank; 2048-long groups straddle ranks.
        assertThatThrownBy(() -> sharded(4096, 1024, 2048, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group size 2048 does not divide K=1024 of this partition (full K=4096): a tensor-parallel rank must hold whole groups");
    }

    @Test
    void partitionKMustDivideFullK() {
        assertThatThrownBy(() -> sharded(4096, 3000, 128, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partition K=3000 must divide full K=4096");
        assertThatThrownBy(() -> sharded(4096, 8192, 128, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partition K=8192 must divide full K=4096");
    }

    @Test
    void partitionNMustDivideFullN() {
        assertThatThrownBy(() -> new WeightOnlyConfig(new LayerShape(4096, 4096), new LayerShape(4096, 3000),
                ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false, ScalarType.FLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partition N=3000 must divide full N=4096");
    }

    @Test
    void floatWeightTypeIsRefused() {
        assertThatThrownBy(() -> WeightOnlyConfig.unsharded(4096, 4096, ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT16, 128, false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be an integer type")
                .hasMessageContaining("float8_e4m3fn");
    }

    @Test
    void integerActivationTypeIsRefused() {
        assertThatThrownBy(() -> new WeightOnlyConfig(new LayerShape(4096, 4096), new LayerShape(4096, 4096),
                ScalarType.UINT4B8, ScalarType.INT8, 128, false, false, ScalarType.FLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("activation type")
                .hasMessageContaining("must be a floating-point type")
                .hasMessageContaining("int8");
    }

    @Test
    void zeroPointsWithBiasedTypeAreRefused() {
        assertThatThrownBy(() -> WeightOnlyConfig.unsharded(4096, 4096, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, true, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("zero points cannot be combined with weight type uint4b8")
                .hasMessageContaining("bias 8")
                .hasMessageEndingWith("use uint4");
        assertThatThrownBy(() -> WeightOnlyConfig.unsharded(4096, 4096, ScalarType.UINT8B128, ScalarType.FLOAT16, 128, true, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("use uint8");
    }

    @Test
    void zeroPointsWithUnbiasedTypeAreAccepted() {
        WeightOnlyConfig awq = WeightOnlyConfig.unsharded(4096, 4096, ScalarType.UINT4, ScalarType.FLOAT16, 128, true, false);
        assertThat(awq.zeroPoints()).isTrue();
    }

    @Test
    void zeroAndNegativeGroupSizesOtherThanChannelwiseAreRefused() {
        assertThatThrownBy(() -> gptq(4096, 4096, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group size must be -1 (channelwise) or positive, got 0");
        assertThatThrownBy(() -> gptq(4096, 4096, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group size must be -1 (channelwise) or positive, got -2");
    }

    @Test
    void channelwiseByMinusOneOrByFullK() {
        assertThat(gptq(4096, 4096, WeightOnlyConfig.CHANNELWISE).isChannelwise()).isTrue();
        assertThat(gptq(4096, 4096, 4096).isChannelwise()).isTrue();
        assertThat(gptq(4096, 4096, WeightOnlyConfig.CHANNELWISE).groupCount()).isEqualTo(1);
        assertThat(gptq(4096, 4096, 4096).groupCount()).isEqualTo(1);
        assertThat(gptq(4096, 4096, 2048).isChannelwise()).isFalse();
    }

    @Test
    void groupOfFullKStaysChannelwiseOnARowParallelRank() {
        WeightOnlyConfig config = sharded(4096, 2048, 4096, false);
        assertThat(config.isChannelwise()).isTrue();
        assertThat(config.groupCount()).isEqualTo(1);
    }

    @Test
    void rowParallelAndKFull() {
        WeightOnlyConfig rowParallel = sharded(4096, 2048, 128, false);
        assertThat(rowParallel.isRowParallel()).isTrue();
        assertThat(rowParallel.isKFull()).isTrue();
        assertThat(rowParallel.groupCount()).isEqualTo(16);

        assertThat(sharded(4096, 2048, 128, true).isKFull()).isFalse();
        assertThat(sharded(4096, 4096, 128, true).isKFull()).isTrue();
        assertThat(sharded(4096, 4096, 128, true).isRowParallel()).isFalse();
    }

    @Test
    void columnParallelIsNotRowParallel() {
        WeightOnlyConfig config = new WeightOnlyConfig(new LayerShape(4096, 8192), new LayerShape(4096, 2048),
                ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, true, ScalarType.FLOAT16);
        assertThat(config.isRowParallel()).isFalse();
        assertThat(config.isKFull()).isTrue();
        assertThat(config.n()).isEqualTo(2048);
    }

    @Test
    void layerShapeDimensionsMustBePositive() {
        assertThatThrownBy(() -> new LayerShape(0, 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("K must be positive, got 0");
        assertThatThrownBy(() -> new LayerShape(4096, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("N must be positive, got -1");
        assertThat(new LayerShape(4096, 11008)).hasToString("K=4096 x N=11008");
    }
}
