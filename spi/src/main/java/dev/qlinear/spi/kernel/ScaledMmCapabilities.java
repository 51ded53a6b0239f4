package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.type.ScalarType;

import java.util.Set;

import static dev.qlinear.spi.kernel.WeightOnlyCapabilities.requireNonEmpty;
import static java.util.Objects.requireNonNull;

/**
 * What a scaled-GEMM (FP8 W8A8) kernel declares.
 *
 * @param weightTypes accepted quantized weight types
 * @param activationTypes accepted quantized activation types
 * @param weightScaleShapes accepted weight scale granularities, such as per-channel and per-tensor
 * @param activationScaleShapes accepted activation scale granularities, such as per-token and per-tensor
 * @param staticActivationScales whether activation scales fixed at load time are supported
 * @param dynamicActivationScales whether activation scales computed per call are supported
 * @param inputTypes accepted types of the activation before quantization
 * @param outputTypes accepted output types
 * @param bias whether a bias can be added
 * @param kAlignment required divisor of K
 * @param nAlignment required divisor of N
 */
public record ScaledMmCapabilities(
        Set<ScalarType> weightTypes,
        Set<ScalarType> activationTypes,
        Set<GroupShape> weightScaleShapes,
        Set<GroupShape> activationScaleShapes,
        boolean staticActivationScales,
        boolean dynamicActivationScales,
        Set<ScalarType> inputTypes,
        Set<ScalarType> outputTypes,
        boolean bias,
        int kAlignment,
        int nAlignment) implements KernelCapabilities {

    public ScaledMmCapabilities {
        weightTypes = Set.copyOf(requireNonNull(weightTypes, "weightTypes is null"));
        activationTypes = Set.copyOf(requireNonNull(activationTypes, "activationTypes is null"));
        weightScaleShapes = Set.copyOf(requireNonNull(weightScaleShapes, "weightScaleShapes is null"));
        activationScaleShapes = Set.copyOf(requireNonNull(activationScaleShapes, "activationScaleShapes is null"));
        inputTypes = Set.copyOf(requireNonNull(inputTypes, "inputTypes is null"));
        outputTypes = Set.copyOf(requireNonNull(outputTypes, "outputTypes is null"));
        requireNonEmpty(weightTypes, "weightTypes");
        requireNonEmpty(activationTypes, "activationTypes");
        requireNonEmpty(weightScaleShapes, "weightScaleShapes");
        requireNonEmpty(activationScaleShapes, "activationScaleShapes");
        requireNonEmpty(inputTypes, "inputTypes");
        requireNonEmpty(outputTypes, "outputTypes");
        if (!staticActivationScales && !dynamicActivationScales) {
            throw new IllegalArgumentException("a scaled-mm kernel must support static or dynamic activation scales");
        }
        KernelCapabilities.checkAlignment("K", kAlignment);
        KernelCapabilities.checkAlignment("N", nAlignment);
    }

    @Override
    public LayerKind layerKind() {
        return LayerKind.SCALED_MM;
    }
}
