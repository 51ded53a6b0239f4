package dev.qlinear.conformance.cases;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.conformance.SweepShape;

import java.util.Locale;

import static java.util.Objects.requireNonNull;

/** Everything about a layer except its size: the report grid's columns. */
public sealed interface Variant permits Variant.WeightOnly, Variant.ScaledMm {

    /** Part of case ids: {@code uint4b8-g64-fp16-actorder}. */
    String id();

    /** {@code uint4b8 g64 fp16 act-order}. */
    String label();

    /**
     * A weight-only variant; zero points come with the weight type (types without a bias carry explicit zero points).
     *
     * @param weightType the integer weight type
     * @param groupSize rows per group, -1 for channelwise
     * @param actOrder whether rows map to groups through {@code g_idx}
     * @param activationType fp16 or bf16 (or what the kernel declares)
     * @param outputType the output type
     */
    record WeightOnly(ScalarType weightType, int groupSize, boolean actOrder, ScalarType activationType, ScalarType outputType) implements Variant {
        public WeightOnly {
            requireNonNull(weightType, "weightType is null");
            requireNonNull(activationType, "activationType is null");
            requireNonNull(outputType, "outputType is null");
        }

        public boolean zeroPoints() {
            return !weightType.hasBias();
        }

        public WeightOnlyConfig config(SweepShape shape) {
            return new WeightOnlyConfig(new LayerShape(shape.fullK(), shape.fullN()), new LayerShape(shape.k(), shape.n()), weightType, activationType,
                    groupSize, zeroPoints(), actOrder, outputType);
        }

        @Override
        public String id() {
            return weightType.name() + "-" + group() + "-" + Types.shortName(activationType)
                    + (outputType.equals(activationType) ? "" : "-to-" + Types.shortName(outputType))
                    + (zeroPoints() ? "-zp" : "") + (actOrder ? "-actorder" : "");
        }

        @Override
        public String label() {
            return weightType.name() + " " + group() + " " + Types.shortName(activationType)
                    + (outputType.equals(activationType) ? "" : "->" + Types.shortName(outputType))
                    + (zeroPoints() ? " zp" : "") + (actOrder ? " act-order" : "");
        }

        private String group() {
            return groupSize == WeightOnlyConfig.CHANNELWISE ? "gch" : "g" + groupSize;
        }
    }

    /**
     * A scaled-mm (FP8 W8A8) variant.
     *
     * @param weightType the fp8 weight type
     * @param activationType the fp8 type activations are quantized to
     * @param weightScales per-channel or per-tensor
     * @param activationScales per-token or per-tensor
     * @param staticScale whether the activation scale is loaded with the weights
     * @param inputType the activation type before quantization
     * @param outputType the output type
     */
    record ScaledMm(ScalarType weightType, ScalarType activationType, GroupShape weightScales, GroupShape activationScales, boolean staticScale,
            ScalarType inputType, ScalarType outputType) implements Variant {
        public ScaledMm {
            requireNonNull(weightType, "weightType is null");
            requireNonNull(activationType, "activationType is null");
            requireNonNull(weightScales, "weightScales is null");
            requireNonNull(activationScales, "activationScales is null");
            requireNonNull(inputType, "inputType is null");
            requireNonNull(outputType, "outputType is null");
        }

        public ScaledMmConfig config(SweepShape shape, boolean bias) {
            return new ScaledMmConfig(new LayerShape(shape.k(), shape.n()), QuantKey.of(weightType, weightScales, true),
                    QuantKey.of(activationType, activationScales, staticScale), inputType, outputType, bias);
        }

        @Override
        public String id() {
            return Types.shortName(weightType) + (activationType.equals(weightType) ? "" : "-a" + Types.shortName(activationType))
                    + "-w" + scale(weightScales) + "-a" + scale(activationScales) + "-" + (staticScale ? "static" : "dynamic")
                    + "-" + Types.shortName(inputType) + "-to-" + Types.shortName(outputType);
        }

        @Override
        public String label() {
            return Types.shortName(weightType) + (activationType.equals(weightType) ? "" : " x " + Types.shortName(activationType))
                    + " w:" + scale(weightScales) + " a:" + scale(activationScales) + " " + (staticScale ? "static" : "dynamic")
                    + " " + Types.shortName(inputType) + "->" + Types.shortName(outputType);
        }

        private static String scale(GroupShape shape) {
            return shape.toString().replace("per-", "").toLowerCase(Locale.ROOT);
        }
    }
}
