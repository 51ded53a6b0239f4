package dev.qlinear.spi.weights;

import dev.qlinear.spi.device.Tensor;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The canonical weights of one layer, the one form every kernel's {@code LinearKernel.prepare} starts from,
 * whatever checkpoint format they were loaded from.
 */
public sealed interface QuantizedWeights permits QuantizedWeights.WeightOnly, QuantizedWeights.ScaledMm {

    Optional<Tensor> bias();

    /**
     * Weight-only weights in the {@linkplain WeightLayout#canonical canonical layout}.
     *
     * @param layout what the tensors hold; always canonical
     * @param codes int32 words {@code [ceil(K / pf), N]}, codes packed along K
     * @param scales group scales {@code [groups, N]} (fp16, bf16 or fp32)
     * @param zeroPoints true zero points {@code [groups, N]} (uint8), when the layout has them
     * @param groupIndex act-order group of each input row {@code [K]} (int32), when the layout has act-order
     * @param bias bias {@code [N]}
     */
    record WeightOnly(WeightLayout layout, Tensor codes, Tensor scales, Optional<Tensor> zeroPoints, Optional<Tensor> groupIndex, Optional<Tensor> bias)
            implements QuantizedWeights {
        public WeightOnly {
            requireNonNull(layout, "layout is null");
            if (!layout.isCanonical()) {
                throw new IllegalArgumentException("weights handed to kernels must be in the canonical layout, got " + layout);
            }
            requireNonNull(codes, "codes is null");
            requireNonNull(scales, "scales is null");
            requireNonNull(zeroPoints, "zeroPoints is null");
            requireNonNull(groupIndex, "groupIndex is null");
            requireNonNull(bias, "bias is null");
            if (zeroPoints.isPresent() != layout.hasZeroPoints()) {
                throw new IllegalArgumentException("zero points " + (zeroPoints.isPresent() ? "given" : "missing") + " for layout " + layout);
            }
            if (groupIndex.isPresent() != layout.actOrder()) {
                throw new IllegalArgumentException("group index " + (groupIndex.isPresent() ? "given" : "missing") + " for layout " + layout);
            }
        }
    }

    /**
     * Scaled-mm weights.
     *
     * @param weight quantized weight {@code [N, K]}, one FP8 code per byte
     * @param weightScale fp32 weight scales: {@code [N, 1]} per channel, {@code [1]} per tensor
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
