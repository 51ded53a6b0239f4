package dev.qlinear.cpuvector.bench;

import dev.qlinear.core.reference.ReferenceGemm;
import dev.qlinear.core.weights.QuantizedMatrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * core's scalar reference at M = 1 on the same layers as {@link W4A16Benchmark}: {@code multiply}, which
 * dequantizes W to doubles and multiplies on every call (the reference as the conformance suite runs it), and
 * {@code matmulDequantized}, the double GEMM alone on a W dequantized once in set-up. Both run on one thread at M = 1
 * (the reference parallelizes over rows only). M = 1 only: at M = 16 and 256 the reference takes seconds per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ScalarReferenceBenchmark {

    @Param({"4096x4096", "4096x14336", "14336x4096"})
    public String shape;

    private QuantizedMatrix matrix;
    private double[] dequantized;
    private double[] x;
    private int k;
    private int n;

    @Setup(Level.Trial)
    public void setUp() {
        k = BenchLayers.k(shape);
        n = BenchLayers.n(shape);
        matrix = BenchLayers.matrix(k, n, 42);
        dequantized = ReferenceGemm.dequantize(matrix);
        short[] bits = BenchLayers.activations(k, 7);
        x = new double[k];
        for (int i = 0; i < k; i++) {
            x[i] = Float.float16ToFloat(bits[i]);
        }
    }

    @Benchmark
    public double[] multiply() {
        return ReferenceGemm.multiply(x, 1, matrix);
    }

    @Benchmark
    public double[] matmulDequantized() {
        return ReferenceGemm.matmul(x, 1, k, dequantized, n);
    }
}
