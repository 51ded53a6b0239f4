package dev.qlinear.aiterfp8;

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

/** PTPC layers of Gaussian weights quantized per channel by core's FP8 reference, as the conformance suite makes them. */
final class Layers {

    private Layers() {
    }

    /** A bf16 per-token x per-channel layer with dynamic activation scales. */
    static ScaledMmConfig ptpc(int k, int n, ScalarType weightType, boolean bias) {
        return new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(weightType, GroupShape.PER_CHANNEL, true), QuantKey.of(weightType, GroupShape.PER_TOKEN, false),
                ScalarType.BFLOAT16, ScalarType.BFLOAT16, bias);
    }

    /** Canonical weights of the config: codes {@code [N, K]}, scales {@code [N, 1]}, a bf16 bias when the config has one. */
    static QuantizedWeights.ScaledMm random(SplittableRandom random, ScaledMmConfig config, Arena arena) {
        int k = config.k();
        int n = config.n();
        ScalarType weightType = config.weightQuant().type();
        double[] floats = new double[n * k];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = 0.05 * gaussian(random);
        }
        Fp8Matrix matrix = Fp8Reference.quantizePerToken(floats, n, k, Fp8Scaling.of(weightType));
        HostTensor weight = HostTensor.allocate(arena, weightType, n, k);
        byte[] codes = matrix.codes();
        for (int i = 0; i < codes.length; i++) {
            weight.segment().set(ValueLayout.JAVA_BYTE, i, codes[i]);
        }
        HostTensor weightScale = HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1);
        float[] scales = matrix.scales();
        for (int i = 0; i < scales.length; i++) {
            weightScale.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, scales[i]);
        }
        Optional<Tensor> bias = Optional.empty();
        if (config.bias()) {
            HostTensor values = HostTensor.allocate(arena, ScalarType.BFLOAT16, n);
            for (int column = 0; column < n; column++) {
                values.segment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, column, (short) (Float.floatToRawIntBits((float) gaussian(random)) >>> 16));
            }
            bias = Optional.of(values);
        }
        return new QuantizedWeights.ScaledMm(weight, weightScale, Optional.empty(), bias);
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
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
