package dev.qlinear.cpuvector.bench;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.Optional;
import java.util.SplittableRandom;

/** Timing-only W4A16 layers: random uint4b8 codes and random fp16 scales in [2^-9, 2^-5), group 128, K x N from "KxN". */
final class BenchLayers {

    static final int GROUP_SIZE = 128;

    private BenchLayers() {
    }

    static int k(String shape) {
        return Integer.parseInt(shape.substring(0, shape.indexOf('x')));
    }

    static int n(String shape) {
        return Integer.parseInt(shape.substring(shape.indexOf('x') + 1));
    }

    static QuantizedMatrix matrix(int k, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] codes = random.ints((long) k * n, 0, 16).toArray();
        int[] scales = random.ints((long) (k / GROUP_SIZE) * n, 0x1800, 0x2800).toArray();
        return new QuantizedMatrix(ScalarType.UINT4B8, k, n, GROUP_SIZE, ScalarType.FLOAT16, codes, scales, Optional.empty(), Optional.empty());
    }

    static QuantizedWeights.WeightOnly canonical(QuantizedMatrix matrix, Arena arena) {
        return CanonicalWeights.of(matrix, Optional.empty(), arena);
    }

    /** fp16 bits of normal activations. */
    static short[] activations(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        short[] bits = new short[count];
        for (int i = 0; i < count; i++) {
            bits[i] = Float.floatToFloat16((float) random.nextGaussian());
        }
        return bits;
    }

    /**
     * Bytes one W4A16 call moves in the cpu-vector-w4 layout: packed codes, fp32 scales and fp32 zero scales, fp16
     * activations and outputs.
     */
    static long kernelBytes(int m, int k, int n) {
        return (long) k * n / 2 + 2L * (k / GROUP_SIZE) * n * Float.BYTES + 2L * m * k + 2L * m * n;
    }
}
