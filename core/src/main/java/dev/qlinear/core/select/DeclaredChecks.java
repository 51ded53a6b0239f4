package dev.qlinear.core.select;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelCapabilities;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;

import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * The engine's own check of a layer against a kernel's declared capabilities, done before the kernel is asked, so
 * that a kernel's envelope holds even where its {@code canImplement} is incomplete. Lists every unmet constraint.
 */
final class DeclaredChecks {

    private DeclaredChecks() {
    }

    static Verdict check(KernelCapabilities capabilities, LayerConfig config) {
        return switch (capabilities) {
            case WeightOnlyCapabilities declared when config instanceof WeightOnlyConfig layer -> weightOnly(declared, layer);
            case ScaledMmCapabilities declared when config instanceof ScaledMmConfig layer -> scaledMm(declared, layer);
            default -> Verdict.checks()
                    .require(false, "layer kind", capabilities.layerKind().name(), config.kind().name())
                    .verdict();
        };
    }

    private static Verdict weightOnly(WeightOnlyCapabilities declared, WeightOnlyConfig layer) {
        int groupSize = layer.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : layer.groupSize();
        return Verdict.checks()
                .require(declared.weightTypes().contains(layer.weightType()), "weight type", oneOf(declared.weightTypes()), layer.weightType().name())
                .require(declared.activationTypes().contains(layer.activationType()), "activation type", oneOf(declared.activationTypes()), layer.activationType().name())
                .require(declared.outputTypes().contains(layer.outputType()), "output type", oneOf(declared.outputTypes()), layer.outputType().name())
                .require(declared.groupSizes().contains(groupSize), "group size", oneOf(declared.groupSizes()),
                        layer.isChannelwise() ? "-1 (channelwise)" : String.valueOf(layer.groupSize()))
                .require(declared.partialLastGroup() || !layer.hasPartialGroup(), "whole groups", "a group size that divides K (no partial last group declared)",
                        "group size " + layer.groupSize() + " leaves a last group of " + (layer.hasPartialGroup() ? layer.k() % layer.groupSize() : 0) + " rows of K="
                                + layer.k())
                .require(declared.zeroPoints() || !layer.zeroPoints(), "zero points", "no zero points", "zero points")
                .require(declared.actOrder() || !layer.actOrder(), "act-order", "no act-order (g_idx)", "act-order")
                .require(layer.k() % declared.kAlignment() == 0, "K alignment", "K % " + declared.kAlignment() + " == 0", "K=" + layer.k())
                .require(layer.n() % declared.nAlignment() == 0, "N alignment", "N % " + declared.nAlignment() + " == 0", "N=" + layer.n())
                .verdict();
    }

    private static Verdict scaledMm(ScaledMmCapabilities declared, ScaledMmConfig layer) {
        boolean staticActivation = layer.activationQuant().staticScale();
        return Verdict.checks()
                .require(declared.weightTypes().contains(layer.weightQuant().type()), "weight type", oneOf(declared.weightTypes()), layer.weightQuant().type().name())
                .require(declared.activationTypes().contains(layer.activationQuant().type()), "activation type", oneOf(declared.activationTypes()),
                        layer.activationQuant().type().name())
                .require(declared.weightScaleShapes().contains(layer.weightQuant().groupShape()), "weight scales", oneOf(declared.weightScaleShapes()),
                        layer.weightQuant().groupShape().toString())
                .require(declared.activationScaleShapes().contains(layer.activationQuant().groupShape()), "activation scales",
                        oneOf(declared.activationScaleShapes()), layer.activationQuant().groupShape().toString())
                .require(staticActivation ? declared.staticActivationScales() : declared.dynamicActivationScales(), "activation scale kind",
                        declared.staticActivationScales() ? "static" : "dynamic", staticActivation ? "static" : "dynamic")
                .require(declared.inputTypes().contains(layer.inputType()), "input type", oneOf(declared.inputTypes()), layer.inputType().name())
                .require(declared.outputTypes().contains(layer.outputType()), "output type", oneOf(declared.outputTypes()), layer.outputType().name())
                .require(declared.bias() || !layer.bias(), "bias", "no bias", "bias")
                .require(layer.k() % declared.kAlignment() == 0, "K alignment", "K % " + declared.kAlignment() + " == 0", "K=" + layer.k())
                .require(layer.n() % declared.nAlignment() == 0, "N alignment", "N % " + declared.nAlignment() + " == 0", "N=" + layer.n())
                .verdict();
    }

    static String oneOf(Collection<?> values) {
        List<String> sorted = values.stream().sorted((a, b) -> a instanceof Integer x && b instanceof Integer y ? Integer.compare(x, y) : a.toString().compareTo(b.toString()))
                .map(Object::toString).toList();
        return sorted.size() == 1 ? sorted.getFirst() : "one of " + sorted;
    }

    static String oneOfSpecs(Stream<String> specs) {
        return oneOf(specs.toList());
    }
}
