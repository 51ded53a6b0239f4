package dev.qlinear.tritonw4a16;

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
     * @param config the layer, unsharded
     * @param matrix the codes, scales and zero points
     * @param weights the canonical tensors {@code prepare} receives
     */
    record Layer(WeightOnlyConfig config, QuantizedMatrix matrix, QuantizedWeights.WeightOnly weights) {
    }

    /**
     * A layer of uint4b8 codes, or uint4 codes with zero points.
     *
     * @param scaleType the checkpoint's scale type, which {@code prepare} rounds to the activation type
     * @param biasType the bias's type, when the layer has one
     */
    static Layer random(SplittableRandom random, int k, int n, ScalarType weightType, int groupSize, ScalarType activationType, ScalarType scaleType,
            Optional<ScalarType> biasType, Arena arena) {
        double[] weights = new double[k * n];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 0.05 * gaussian(random);
        }
        QuantizedMatrix matrix = new RtnQuantizer(weightType, groupSize, scaleType).quantize(weights, k, n);
        Optional<Tensor> bias = biasType.map(type -> {
            HostTensor values = HostTensor.allocate(arena, type, n);
            for (int column = 0; column < n; column++) {
                float value = (float) gaussian(random);
                if (type.equals(ScalarType.FLOAT32)) {
                    values.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, column, value);
                }
                else if (type.equals(ScalarType.FLOAT16)) {
                    values.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, column, Float.floatToFloat16(value));
                }
                else {
                    values.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, column, (short) (Float.floatToRawIntBits(value) >>> 16));
                }
            }
            return values;
        });
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(k, n, weightType, activationType, groupSize, matrix.hasZeroPoints(), false);
        return new Layer(config, matrix, CanonicalWeights.of(matrix, bias, arena));
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: the JDK's nextGaussian is not specified for SplittableRandom across versions
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
