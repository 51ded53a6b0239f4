package dev.qlinear.core.reference;

import dev.qlinear.spi.type.ScalarType;

import java.util.Optional;
import java.util.stream.IntStream;

import static java.util.Objects.requireNonNull;

/**
 * The FP8 W8A8 reference (KERNELS.md §1.3, §2.4): dynamic activation quantization, the scaled GEMM
 * {@code y[m, n] = s_a(m) · s_w(n) · Σ_k A_q[m, k] · W_q[n, k] + bias[n]}, and the e4m3fn → e4m3fnuz checkpoint
 * normalization of MI300.
 *
 * <p>Quantization: {@code s = max(amax / quantizationMax, minimumScale)} in fp32 ({@link Fp8Scaling#scaleFor}),
 * then {@code A_q = RNE(clamp(x / s, ±quantizationMax))}: the quotient is rounded once, nearest-even, to the fp8
 * type (for fp16/bf16/fp32 inputs the double quotient is close enough to an fp8 half-way point only when it is one,
 * so this single rounding is exact). With the default scaling the clamp is the satfinite saturation of
 * {@link FloatCodec}. NaN inputs are an error. Kernels that multiply by a precomputed {@code 1 / s}, or round
 * {@code x / s} to fp32 first, can differ from this in the last fp8 step at rare ties; the FP8 tolerance class
 * absorbs that.
 *
 * <p>GEMM: fp8 × fp8 products are exact, for e4m3 types their sum is exact in double for any realistic K (below
 * 2^17 terms), and {@code s_a · s_w} (two fp32 values) is exact too, so the only roundings are the final product and
 * the bias addition, both in double.
 */
public final class Fp8Reference {

    private Fp8Reference() {
    }

    /** Per-token dynamic quantization with the type's own max ({@link Fp8Scaling#of}). */
    public static Fp8Matrix quantizePerToken(double[] x, int m, int k, ScalarType type) {
        return quantizePerToken(x, m, k, Fp8Scaling.of(type));
    }

    /**
     * Dynamic per-row quantization of {@code x[rows, columns]}: one scale per row from its largest magnitude. On
     * activations {@code [M, K]} that is per-token; on weights {@code [N, K]} it is per-channel.
     */
    public static Fp8Matrix quantizePerToken(double[] x, int rows, int columns, Fp8Scaling scaling) {
        requireNonNull(scaling, "scaling is null");
        checkShape(x, rows, columns);
        float[] scales = new float[rows];
        for (int row = 0; row < rows; row++) {
            double amax = 0;
            for (int column = 0; column < columns; column++) {
                amax = Math.max(amax, Math.abs(x[row * columns + column]));
            }
            scales[row] = scaling.scaleFor(amax);
        }
        return quantize(x, rows, columns, scaling, scales);
    }

    /** Dynamic per-tensor quantization: one scale from the largest magnitude of the whole tensor. */
    public static Fp8Matrix quantizePerTensor(double[] x, int rows, int columns, Fp8Scaling scaling) {
        requireNonNull(scaling, "scaling is null");
        checkShape(x, rows, columns);
        double amax = 0;
        for (double value : x) {
            amax = Math.max(amax, Math.abs(value));
        }
        return quantize(x, rows, columns, scaling, new float[] {scaling.scaleFor(amax)});
    }

    /** Static quantization with a given per-tensor scale (a checkpoint's {@code input_scale}). */
    public static Fp8Matrix quantizeWithScale(double[] x, int rows, int columns, Fp8Scaling scaling, float scale) {
        requireNonNull(scaling, "scaling is null");
        checkShape(x, rows, columns);
        return quantize(x, rows, columns, scaling, new float[] {scale});
    }

    /** {@code y[M, N] = s_a(m) · s_w(n) · Σ_k A_q[m, k] · W_q[n, k]} for activations {@code [M, K]} and weights {@code [N, K]}. */
    public static double[] scaledMm(Fp8Matrix activations, Fp8Matrix weights) {
        return scaledMm(activations, weights, Optional.empty());
    }

    /** {@link #scaledMm(Fp8Matrix, Fp8Matrix)} plus {@code bias[N]}. */
    public static double[] scaledMm(Fp8Matrix activations, Fp8Matrix weights, double[] bias) {
        return scaledMm(activations, weights, Optional.of(requireNonNull(bias, "bias is null")));
    }

    /** Every element dequantized, {@code value · scale}, row-major. */
    public static double[] dequantize(Fp8Matrix matrix) {
        requireNonNull(matrix, "matrix is null");
        double[] values = new double[matrix.rows() * matrix.columns()];
        for (int row = 0; row < matrix.rows(); row++) {
            for (int column = 0; column < matrix.columns(); column++) {
                values[row * matrix.columns() + column] = matrix.dequantized(row, column);
            }
        }
        return values;
    }

    /**
     * vLLM's {@code normalize_e4m3fn_to_e4m3fnuz} (KERNELS.md §1.3): the same bytes read as e4m3fnuz, whose value is
     * half the e4m3fn value; pattern {@code 0x80} (-0 in fn, NaN in fnuz) becomes {@code 0x00}; the weight scales
     * and the static input scale are doubled, so {@code scale · value} is unchanged for every pattern but
     * {@code 0x7F} and {@code 0xFF}. Those are NaN in e4m3fn and come out as ±240, as upstream does: checkpoints
     * carry no NaN weights.
     *
     * @throws IllegalArgumentException if a doubled scale overflows fp32
     */
    public static FnuzWeights normalizeE4m3fnToFnuz(byte[] weight, float[] weightScales, Optional<Float> inputScale) {
        requireNonNull(weight, "weight is null");
        requireNonNull(weightScales, "weightScales is null");
        requireNonNull(inputScale, "inputScale is null");
        byte[] codes = weight.clone();
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] == (byte) 0x80) {
                codes[i] = 0;
            }
        }
        float[] scales = new float[weightScales.length];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = doubled(weightScales[i], "weight scale at " + i);
        }
        return new FnuzWeights(codes, scales, inputScale.map(scale -> doubled(scale, "input scale")));
    }

    /** {@link #normalizeE4m3fnToFnuz(byte[], float[], Optional)} without a static input scale. */
    public static FnuzWeights normalizeE4m3fnToFnuz(byte[] weight, float[] weightScales) {
        return normalizeE4m3fnToFnuz(weight, weightScales, Optional.empty());
    }

    /** The same normalization on an e4m3fn matrix: an e4m3fnuz matrix of equal dequantized values. */
    public static Fp8Matrix normalizeE4m3fnToFnuz(Fp8Matrix weights) {
        requireNonNull(weights, "weights is null");
        if (!weights.type().equals(ScalarType.FLOAT8_E4M3FN)) {
            throw new IllegalArgumentException("normalization to e4m3fnuz starts from float8_e4m3fn, got " + weights.type());
        }
        FnuzWeights fnuz = normalizeE4m3fnToFnuz(weights.codes(), weights.scales());
        return new Fp8Matrix(ScalarType.FLOAT8_E4M3FNUZ, weights.rows(), weights.columns(), fnuz.weight(), fnuz.weightScales());
    }

    private static float doubled(float scale, String what) {
        float doubled = scale * 2;
        if (Float.isInfinite(doubled) && Float.isFinite(scale)) {
            throw new IllegalArgumentException(what + " " + scale + " doubled overflows fp32");
        }
        return doubled;
    }

    private static Fp8Matrix quantize(double[] x, int rows, int columns, Fp8Scaling scaling, float[] scales) {
        FloatCodec codec = FloatCodec.of(scaling.type());
        double bound = scaling.quantizationMax();
        byte[] codes = new byte[rows * columns];
        for (int row = 0; row < rows; row++) {
            double scale = scales.length == 1 ? scales[0] : scales[row];
            for (int column = 0; column < columns; column++) {
                double value = x[row * columns + column];
                double clamped = Math.max(-bound, Math.min(bound, value / scale));
                codes[row * columns + column] = (byte) codec.encodeSaturating(clamped);
            }
        }
        return new Fp8Matrix(scaling.type(), rows, columns, codes, scales);
    }

    private static double[] scaledMm(Fp8Matrix activations, Fp8Matrix weights, Optional<double[]> bias) {
        requireNonNull(activations, "activations is null");
        requireNonNull(weights, "weights is null");
        int m = activations.rows();
        int k = activations.columns();
        int n = weights.rows();
        if (weights.columns() != k) {
            throw new IllegalArgumentException("activations [" + m + ", " + k + "] and weights [" + n + ", " + weights.columns()
                    + "] disagree on K; weights are [N, K]");
        }
        bias.ifPresent(values -> {
            if (values.length != n) {
                throw new IllegalArgumentException("bias must hold N=" + n + " values, got " + values.length);
            }
        });
        double[] a = decodeAll(activations);
        double[] w = decodeAll(weights);
        double[] biasValues = bias.orElseGet(() -> new double[n]);
        double[] y = new double[m * n];
        IntStream.range(0, m).parallel().forEach(row -> {
            for (int column = 0; column < n; column++) {
                double sum = 0;
                for (int inner = 0; inner < k; inner++) {
                    sum += a[row * k + inner] * w[column * k + inner];
                }
                double scale = (double) activations.scale(row) * weights.scale(column);
                y[row * n + column] = scale * sum + biasValues[column];
            }
        });
        return y;
    }

    private static double[] decodeAll(Fp8Matrix matrix) {
        double[] values = new double[matrix.rows() * matrix.columns()];
        for (int row = 0; row < matrix.rows(); row++) {
            for (int column = 0; column < matrix.columns(); column++) {
                double value = matrix.value(row, column);
                if (Double.isNaN(value)) {
                    throw new IllegalArgumentException("code 0x" + Integer.toHexString(matrix.code(row, column)) + " at [" + row + ", " + column
                            + "] is NaN in " + matrix.type());
                }
                values[row * matrix.columns() + column] = value;
            }
        }
        return values;
    }

    private static void checkShape(double[] x, int rows, int columns) {
        requireNonNull(x, "x is null");
        if (rows < 1 || columns < 1) {
            throw new IllegalArgumentException("rows and columns must be positive, got " + rows + " x " + columns);
        }
        if (x.length != (long) rows * columns) {
            throw new IllegalArgumentException("x must hold " + (long) rows * columns + " values for " + rows + " x " + columns + ", got " + x.length);
        }
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) {
                throw new IllegalArgumentException("x at [" + i / columns + ", " + i % columns + "] is NaN; FP8 quantization takes no NaN input");
            }
        }
    }
}
