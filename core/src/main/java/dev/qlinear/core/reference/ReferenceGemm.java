package dev.qlinear.core.reference;

import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;

import java.util.stream.IntStream;

import static java.util.Objects.requireNonNull;

/**
 * The reference weight-only GEMM: {@code y[M, N] = x[M, K] · Ŵ[K, N] + bias[N]} with
 * {@code Ŵ[k, n] = (q[k, n] - z[g(k), n]) · s[g(k), n]} (KERNELS.md §2.4).
 *
 * <p>All arrays are row-major doubles. Activations are passed as the exact values of the kernel's fp16/bf16 inputs
 * (decode them with {@link ScalarType#decode(long)}); the result is the exact-math answer, not rounded to any output
 * type ({@link #roundTo} does that). For fp16/bf16 activations every product {@code x · Ŵ} is exact in double (at
 * most 11 + 8 + 24 significant bits) and the sum runs over k in ascending order in double, so the reference is far
 * more precise than any fp32 kernel it checks. Rows of the output are computed in parallel, each by one thread in the same order, so results
 * are deterministic.
 */
public final class ReferenceGemm {

    private ReferenceGemm() {
    }

    /** {@code Ŵ[K, N]}, exactly. */
    public static double[] dequantize(QuantizedMatrix weights) {
        requireNonNull(weights, "weights is null");
        int k = weights.k();
        int n = weights.n();
        double[] scales = new double[weights.groupCount() * n];
        int[] zeros = new int[weights.groupCount() * n];
        for (int group = 0; group < weights.groupCount(); group++) {
            for (int column = 0; column < n; column++) {
                scales[group * n + column] = weights.scale(group, column);
                zeros[group * n + column] = weights.zeroPoint(group, column);
            }
        }
        double[] dequantized = new double[k * n];
        for (int row = 0; row < k; row++) {
            int base = weights.groupOf(row) * n;
            for (int column = 0; column < n; column++) {
                dequantized[row * n + column] = (weights.code(row, column) - zeros[base + column]) * scales[base + column];
            }
        }
        return dequantized;
    }

    /**
     * {@code Ŵ} as fused 16-bit kernels form it (Triton W4A16 and others that dequantize in the activation dtype):
     * the scale is rounded to the activation type, {@code (q - z)} is exact there, and their product is rounded
     * to the activation type again, all nearest-even. With scales already stored in the activation type the first
     * rounding changes nothing. bf16 keeps 8 significant bits, so this {@code Ŵ} can differ from
     * {@link #dequantize} by up to 2^-9 relative.
     *
     * @param activationType fp16 or bf16
     */
    public static double[] dequantizeFused16(QuantizedMatrix weights, ScalarType activationType) {
        requireNonNull(weights, "weights is null");
        FloatCodec codec = sixteenBit(activationType);
        int n = weights.n();
        double[] dequantized = new double[weights.k() * n];
        for (int row = 0; row < weights.k(); row++) {
            int group = weights.groupOf(row);
            for (int column = 0; column < n; column++) {
                double scale = codec.round(weights.scale(group, column));
                int value = weights.code(row, column) - weights.zeroPoint(group, column);
                dequantized[row * n + column] = codec.round(value * scale);
            }
        }
        return dequantized;
    }

    /** {@code x[M, K] · Ŵ[K, N]}. */
    public static double[] multiply(double[] x, int m, QuantizedMatrix weights) {
        requireNonNull(weights, "weights is null");
        return matmul(x, m, weights.k(), dequantize(weights), weights.n(), null);
    }

    /** {@code x[M, K] · Ŵ[K, N] + bias[N]}. */
    public static double[] multiply(double[] x, int m, QuantizedMatrix weights, double[] bias) {
        requireNonNull(weights, "weights is null");
        requireNonNull(bias, "bias is null");
        return matmul(x, m, weights.k(), dequantize(weights), weights.n(), bias);
    }

    /**
     * The fused 16-bit variant: {@code x · Ŵ16} with {@code Ŵ16} from {@link #dequantizeFused16}, still summed
     * exactly in double. It models the one rounding that fused kernels add on purpose; their fp32 accumulation is
     * left to the tolerance.
     */
    public static double[] multiplyFused16(double[] x, int m, QuantizedMatrix weights, ScalarType activationType) {
        requireNonNull(weights, "weights is null");
        return matmul(x, m, weights.k(), dequantizeFused16(weights, activationType), weights.n(), null);
    }

    /** {@link #multiplyFused16(double[], int, QuantizedMatrix, ScalarType)} plus {@code bias[N]}, added in double. */
    public static double[] multiplyFused16(double[] x, int m, QuantizedMatrix weights, ScalarType activationType, double[] bias) {
        requireNonNull(weights, "weights is null");
        requireNonNull(bias, "bias is null");
        return matmul(x, m, weights.k(), dequantizeFused16(weights, activationType), weights.n(), bias);
    }

    /** Plain {@code x[M, K] · w[K, N]} in double, k ascending. */
    public static double[] matmul(double[] x, int m, int k, double[] w, int n) {
        return matmul(x, m, k, w, n, null);
    }

    /**
     * Each value rounded nearest-even to an output type (fp16, bf16, fp32, ...), with that type's overflow rule:
     * fp16 and bf16 overflow to infinity like an IEEE cast.
     */
    public static double[] roundTo(double[] values, ScalarType outputType) {
        requireNonNull(values, "values is null");
        FloatCodec codec = FloatCodec.of(requireNonNull(outputType, "outputType is null"));
        double[] rounded = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = codec.round(values[i]);
        }
        return rounded;
    }

    private static double[] matmul(double[] x, int m, int k, double[] w, int n, double[] bias) {
        requireNonNull(x, "x is null");
        requireNonNull(w, "w is null");
        if (m < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("M, K and N must be positive, got M=" + m + " K=" + k + " N=" + n);
        }
        if (x.length != (long) m * k) {
            throw new IllegalArgumentException("x must hold M*K=" + (long) m * k + " values, got " + x.length);
        }
        if (w.length != (long) k * n) {
            throw new IllegalArgumentException("w must hold K*N=" + (long) k * n + " values, got " + w.length);
        }
        if (bias != null && bias.length != n) {
            throw new IllegalArgumentException("bias must hold N=" + n + " values, got " + bias.length);
        }
        double[] y = new double[m * n];
        IntStream.range(0, m).parallel().forEach(row -> {
            int out = row * n;
            for (int inner = 0; inner < k; inner++) {
                double a = x[row * k + inner];
                int base = inner * n;
                for (int column = 0; column < n; column++) {
                    y[out + column] += a * w[base + column];
                }
            }
            if (bias != null) {
                for (int column = 0; column < n; column++) {
                    y[out + column] += bias[column];
                }
            }
        });
        return y;
    }

    private static FloatCodec sixteenBit(ScalarType activationType) {
        requireNonNull(activationType, "activationType is null");
        if (!activationType.equals(ScalarType.FLOAT16) && !activationType.equals(ScalarType.BFLOAT16)) {
            throw new IllegalArgumentException("fused 16-bit dequantization needs a float16 or bfloat16 activation type, got " + activationType);
        }
        return FloatCodec.of(activationType);
    }
}
