package dev.qlinear.core.select;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;

/** One-line descriptions of layers for messages and logs. */
public final class LayerDescriptions {

    private LayerDescriptions() {
    }

    /** {@code weight-only uint4b8 x float16 -> float16, K=2112 N=4096, group 128}. */
    public static String describe(LayerConfig config) {
        return switch (config) {
            case WeightOnlyConfig layer -> "weight-only " + layer.weightType() + " x " + layer.activationType() + " -> " + layer.outputType()
                    + ", K=" + layer.k() + " N=" + layer.n()
                    + ", " + (layer.isChannelwise() ? "channelwise" : "group " + layer.groupSize())
                    + (layer.zeroPoints() ? ", zero points" : "")
                    + (layer.actOrder() ? ", act-order" : "")
                    + (layer.fullShape().equals(layer.partitionShape()) ? "" : ", partition of " + layer.fullShape());
            case ScaledMmConfig layer -> "scaled-mm " + layer.weightQuant().type() + " " + layer.weightQuant().groupShape() + " weight x "
                    + layer.activationQuant() + " activation, " + layer.inputType() + " -> " + layer.outputType()
                    + ", K=" + layer.k() + " N=" + layer.n() + (layer.bias() ? ", bias" : "");
        };
    }
}
