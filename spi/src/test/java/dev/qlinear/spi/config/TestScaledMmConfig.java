package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestScaledMmConfig {

    private static final QuantKey PER_CHANNEL_WEIGHT = QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, true);
    private static final QuantKey PER_TOKEN_DYNAMIC = QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, false);

    private static ScaledMmConfig config(QuantKey weight, QuantKey activation, ScalarType outputType) {
        return new ScaledMmConfig(new LayerShape(4096, 14336), weight, activation, ScalarType.BFLOAT16, outputType, false);
    }

    @Test
    void perTokenPerChannelIsAccepted() {
        ScaledMmConfig ptpc = config(PER_CHANNEL_WEIGHT, PER_TOKEN_DYNAMIC, ScalarType.BFLOAT16);
        assertThat(ptpc.kind()).isEqualTo(LayerKind.SCALED_MM);
        assertThat(ptpc.k()).isEqualTo(4096);
        assertThat(ptpc.n()).isEqualTo(14336);
    }

    @Test
    void perTokenWeightScaleIsRefused() {
        QuantKey perTokenWeight = QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, true);
        assertThatThrownBy(() -> config(perTokenWeight, PER_TOKEN_DYNAMIC, ScalarType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("per-token scales apply to activations, not to the weight");
    }

    @Test
    void dynamicWeightScaleIsRefused() {
        QuantKey dynamicWeight = QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, false);
        assertThatThrownBy(() -> config(dynamicWeight, PER_TOKEN_DYNAMIC, ScalarType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight scales must be static")
                .hasMessageContaining("float8_e4m3fn per-channel dynamic");
    }

    @Test
    void perChannelActivationScaleIsRefused() {
        QuantKey perChannelActivation = QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, false);
        assertThatThrownBy(() -> config(PER_CHANNEL_WEIGHT, perChannelActivation, ScalarType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("per-channel scales apply to the weight, not to activations");
    }

    @Test
    void integerOutputIsRefused() {
        assertThatThrownBy(() -> config(PER_CHANNEL_WEIGHT, PER_TOKEN_DYNAMIC, ScalarType.INT32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output type must be a floating-point type, got int32");
    }

    @Test
    void quantKeyNeedsFloatScales() {
        assertThatThrownBy(() -> new QuantKey(ScalarType.INT8, ScalarType.INT32, GroupShape.PER_TENSOR, true, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scale type must be a floating-point type, got int32");
        assertThat(PER_TOKEN_DYNAMIC).hasToString("float8_e4m3fn per-token dynamic");
        assertThat(new QuantKey(ScalarType.INT8, ScalarType.FLOAT32, GroupShape.PER_TENSOR, true, false))
                .hasToString("int8 per-tensor static asymmetric");
    }
}
