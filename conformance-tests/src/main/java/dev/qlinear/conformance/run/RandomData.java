package dev.qlinear.conformance.run;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.spi.type.ScalarType;

import java.util.SplittableRandom;

/**
 * The random data of one case, from the case's own seed: activations as random bit patterns of moderate magnitude
 * (never zero, never subnormal), weights as Gaussian floats for the quantizer, bias values in the output type.
 */
public final class RandomData {

    private final SplittableRandom random;

    public RandomData(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Bits of fp16, bf16 or fp32 values {@code ±2^e * (1 + f)} with {@code e} in [-3, 1]: magnitudes in [0.125, 4),
     * every mantissa bit random, so products exercise full precision without overflowing 16-bit outputs.
     */
    public int[] activationBits(ScalarType type, int count) {
        return bits(type, count, -3, 1);
    }

    /** Bias bits: magnitudes in [0.25, 2). */
    public int[] biasBits(ScalarType type, int count) {
        return bits(type, count, -2, 0);
    }

    /** Gaussian weights with standard deviation {@code sigma}. */
    public double[] gaussian(int count, double sigma) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = nextGaussian() * sigma;
        }
        return values;
    }

    public long nextLong() {
        return random.nextLong();
    }

    /** The values of bit patterns of a float type. */
    public static double[] decode(ScalarType type, int[] bits) {
        FloatCodec codec = FloatCodec.of(type);
        double[] values = new double[bits.length];
        for (int i = 0; i < bits.length; i++) {
            values[i] = codec.decode(bits[i]);
        }
        return values;
    }

    private int[] bits(ScalarType type, int count, int minExponent, int maxExponent) {
        int mantissaBits = type.mantissaBits();
        int exponentBias = type.exponentBias();
        int[] bits = new int[count];
        for (int i = 0; i < count; i++) {
            int sign = random.nextBoolean() ? 1 : 0;
            int exponent = random.nextInt(minExponent, maxExponent + 1) + exponentBias;
            int mantissa = random.nextInt(1 << mantissaBits);
            bits[i] = sign << (type.sizeBits() - 1) | exponent << mantissaBits | mantissa;
        }
        return bits;
    }

    private double nextGaussian() {
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble() * 2 - 1;
            v = random.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * StrictMath.sqrt(-2 * StrictMath.log(s) / s);
    }
}
