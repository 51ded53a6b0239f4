package dev.qlinear.marlin;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.RtnQuantizer;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.SplittableRandom;

/** Layers of Gaussian weights quantized by core's reference quantizer, as the conformance suite makes them. */
final class Layers {

    private Layers() {
    }

    /**
     * @param config the layer, unsharded, outputs of the activation type, zero points exactly for uint4
     * @param matrix the codes, scales, zero points and group index
     * @param weights the canonical tensors {@code prepare} receives
     */
    record Layer(WeightOnlyConfig config, QuantizedMatrix matrix, QuantizedWeights.WeightOnly weights) {
    }

    static Layer random(SplittableRandom random, int k, int n, ScalarType type, int groupSize, boolean actOrder, ScalarType activation, ScalarType scaleType,
            boolean bias, Arena arena) {
        double[] weights = new double[k * n];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 0.05 * gaussian(random);
        }
        RtnQuantizer quantizer = new RtnQuantizer(type, groupSize, scaleType);
        QuantizedMatrix matrix = actOrder ? quantizer.quantizeActOrder(weights, k, n, RtnQuantizer.randomPermutation(k, random.nextLong()))
                : quantizer.quantize(weights, k, n);
        Optional<Tensor> biasTensor = Optional.empty();
        if (bias) {
            HostTensor values = HostTensor.allocate(arena, ScalarType.FLOAT32, n);
            for (int column = 0; column < n; column++) {
                values.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, column, (float) gaussian(random));
            }
            biasTensor = Optional.of(values);
        }
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(k, n, type, activation, groupSize, matrix.hasZeroPoints(), actOrder);
        return new Layer(config, matrix, CanonicalWeights.of(matrix, biasTensor, arena));
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: the JDK's nextGaussian is not specified for SplittableRandom across versions
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
