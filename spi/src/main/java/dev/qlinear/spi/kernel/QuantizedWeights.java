package dev.qlinear.spi.kernel;

import dev.qlinear.spi.device.Tensor;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The canonical weights of one layer, the one form every kernel's {@link LinearKernel#prepare} starts from. */
public sealed interface QuantizedWeights permits QuantizedWeights.WeightOnly, QuantizedWeights.ScaledMm {

    Optional<Tensor> bias();

    /**
     * Weight-only weights.
     *
     * @param codes integer codes {@code [K, N]} in the config's weight type
     * @param scales group scales {@code [groups, N]}
     * @param zeroPoints zero points {@code [groups, N]} in the weight type, when the config has them
     * @param groupIndex act-order group of each input row {@code [K]} (int32), when the config has act-order
     * @param bias bias {@code [N]} in the output type
     */
    record WeightOnly(Tensor codes, Tensor scales, Optional<Tensor> zeroPoints, Optional<Tensor> groupIndex, Optional<Tensor> bias)
            implements QuantizedWeights {
        public WeightOnly {
            requireNonNull(codes, "codes is null");
            requireNonNull(scales, "scales is null");
            requireNonNull(zeroPoints, "zeroPoints is null");
            requireNonNull(groupIndex, "groupIndex is null");
            requireNonNull(bias, "bias is null");
        }
    }

    /**
     * Scaled-mm weights.
     *
     * @param weight quantized weight {@code [N, K]}
     * @param weightScale weight scales: {@code [N, 1]} per channel, a scalar per tensor
     * @param inputScale static activation scale, when the config's activation scales are static
     * @param bias bias {@code [N]} in the output type
     */
    record ScaledMm(Tensor weight, Tensor weightScale, Optional<Tensor> inputScale, Optional<Tensor> bias) implements QuantizedWeights {
        public ScaledMm {
            requireNonNull(weight, "weight is null");
            requireNonNull(weightScale, "weightScale is null");
            requireNonNull(inputScale, "inputScale is null");
            requireNonNull(bias, "bias is null");
        }
    }
}
