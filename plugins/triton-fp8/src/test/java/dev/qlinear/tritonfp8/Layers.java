package dev.qlinear.tritonfp8;

import dev.qlinear.core.reference.Fp8Matrix;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.reference.Fp8Scaling;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.SplittableRandom;

/** Scaled-mm layers of Gaussian weights quantized by core's FP8 reference, as the conformance suite makes them. */
final class Layers {

    private Layers() {
    }

    /**
     * @param config the layer
     * @param matrix the weight's codes and scales
     * @param inputScale the static input scale, when the activation scales are static
     * @param weights the canonical tensors {@code prepare} receives
     */
    record Layer(ScaledMmConfig config, Fp8Matrix matrix, Optional<Float> inputScale, QuantizedWeights.ScaledMm weights) {
    }

    /** A config with fp32 symmetric scales. */
    static ScaledMmConfig config(int k, int n, ScalarType weightType, GroupShape weightScales, ScalarType activationType, GroupShape activationScales,
            boolean staticScale, ScalarType input, ScalarType output, boolean bias) {
        return new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(weightType, weightScales, true), QuantKey.of(activationType, activationScales, staticScale),
                input, output, bias);
    }

    /** A layer of the config's types and scales: weight scales {@code [N, 1]} per channel, {@code [1]} per tensor. */
    static Layer random(SplittableRandom random, ScaledMmConfig config, Arena arena) {
        int k = config.k();
        int n = config.n();
        ScalarType weightType = config.weightQuant().type();
        double[] floats = new double[n * k];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = 0.05 * gaussian(random);
        }
        boolean perTensor = config.weightQuant().groupShape().isPerTensor();
        Fp8Scaling scaling = Fp8Scaling.of(weightType);
        Fp8Matrix matrix = perTensor ? Fp8Reference.quantizePerTensor(floats, n, k, scaling) : Fp8Reference.quantizePerToken(floats, n, k, scaling);
        HostTensor weight = HostTensor.allocate(arena, weightType, n, k);
        byte[] codes = matrix.codes();
        for (int i = 0; i < codes.length; i++) {
            weight.segment().set(ValueLayout.JAVA_BYTE, i, codes[i]);
        }
        float[] scales = matrix.scales();
        HostTensor weightScale = perTensor ? HostTensor.allocate(arena, ScalarType.FLOAT32, 1) : HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1);
        for (int i = 0; i < scales.length; i++) {
            weightScale.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, scales[i]);
        }
        Optional<Float> inputScale = Optional.empty();
        Optional<Tensor> inputScaleTensor = Optional.empty();
        if (config.activationQuant().staticScale()) {
            inputScale = Optional.of(Fp8Scaling.of(config.activationQuant().type()).scaleFor(4.0));
            HostTensor tensor = HostTensor.allocate(arena, ScalarType.FLOAT32, 1);
            tensor.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, inputScale.get());
            inputScaleTensor = Optional.of(tensor);
        }
        Optional<Tensor> bias = Optional.empty();
        if (config.bias()) {
            HostTensor values = HostTensor.allocate(arena, config.outputType(), n);
            for (int column = 0; column < n; column++) {
                float value = (float) gaussian(random);
                short bits = config.outputType().equals(ScalarType.FLOAT16) ? Float.floatToFloat16(value) : (short) (Float.floatToRawIntBits(value) >>> 16);
                values.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, column, bits);
            }
            bias = Optional.of(values);
        }
        return new Layer(config, matrix, inputScale, new QuantizedWeights.ScaledMm(weight, weightScale, inputScaleTensor, bias));
    }

    /** Every element of an 8-bit tensor in host memory, row-major. */
    static byte[] bytes(Tensor tensor) {
        byte[] bytes = new byte[Math.toIntExact(tensor.elementCount())];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = tensor.hostSegment().orElseThrow().get(ValueLayout.JAVA_BYTE, i);
        }
        return bytes;
    }

    /** Every element of a float32 tensor in host memory, row-major. */
    static float[] floats(Tensor tensor) {
        float[] floats = new float[Math.toIntExact(tensor.elementCount())];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = tensor.hostSegment().orElseThrow().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        }
        return floats;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller: the JDK's nextGaussian is not specified for SplittableRandom across versions
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
