package dev.qlinear.core.plugin;

import dev.qlinear.core.testkernels.EmbeddedCpuProvider;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestRegisteredKernel {

    private final LinearKernel<?> embedded = new EmbeddedCpuProvider().kernels().getFirst();
    private final RegisteredKernel registered = new RegisteredKernel(embedded, embedded.descriptor(), "embedded", "1.0.0", getClass().getClassLoader());

    @Test
    void typesTheKernelForALayerOfItsKind() {
        WeightOnlyConfig layer = WeightOnlyConfig.unsharded(256, 128, ScalarType.UINT4B8, ScalarType.FLOAT16, 128, false, false);

        LinearKernel<WeightOnlyConfig> typed = registered.kernelFor(layer);

        assertThat(typed).isSameAs(embedded);
    }

    @Test
    void refusesALayerOfTheOtherKindNamingBoth() {
        ScaledMmConfig fp8 = new ScaledMmConfig(new LayerShape(256, 128), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, false), ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);

        assertThatThrownBy(() -> registered.kernelFor(fp8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel '" + EmbeddedCpuProvider.KERNEL_ID + "' computes WEIGHT_ONLY layers, not SCALED_MM");
    }
}
