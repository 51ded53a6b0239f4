package dev.qlinear.cpuvector.bench;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.reference.Fp8Matrix;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.reference.Fp8Scaling;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.cpuvector.Fp8Kernel;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cpu-vector FP8 kernel (per-token dynamic activations, per-channel weights, bf16), activation quantization
 * included, on normal weights quantized per channel, rotating through copies of the layer that hold at least 1 GiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class Fp8Benchmark {

    @Param({"4096x4096", "4096x14336"})
    public String shape;

    @Param({"1", "16"})
    public int m;

    private final Fp8Kernel kernel = new Fp8Kernel();
    private final List<PreparedLayer> layers = new ArrayList<>();
    private Arena arena;
    private CpuDevice device;
    private HostTensor input;
    private HostTensor output;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        int k = BenchLayers.k(shape);
        int n = BenchLayers.n(shape);
        arena = Arena.ofShared();
        device = new CpuDevice(Platform.parse("cpu"));
        SplittableRandom random = new SplittableRandom(42);
        double[] w = new double[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian() * 0.02;
        }
        Fp8Matrix quantized = Fp8Reference.quantizePerToken(w, n, k, Fp8Scaling.of(ScalarType.FLOAT8_E4M3FN));
        HostTensor weight = HostTensor.allocate(arena, ScalarType.FLOAT8_E4M3FN, n, k);
        MemorySegment.copy(quantized.codes(), 0, weight.segment(), ValueLayout.JAVA_BYTE, 0, n * k);
        HostTensor scales = HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1);
        MemorySegment.copy(quantized.scales(), 0, scales.segment(), ValueLayout.JAVA_FLOAT, 0, n);
        QuantizedWeights.ScaledMm weights = new QuantizedWeights.ScaledMm(weight, scales, Optional.empty(), Optional.empty());
        ScaledMmConfig config = new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, false), ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);
        long copies = Math.max(2, (W4A16Benchmark.ROTATION_BYTES + (long) n * k - 1) / ((long) n * k));
        for (int copy = 0; copy < copies; copy++) {
            layers.add(kernel.prepare(config, weights, device));
        }
        input = HostTensor.allocate(arena, ScalarType.BFLOAT16, m, k);
        for (long i = 0; i < (long) m * k; i++) {
            input.segment().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits((float) random.nextGaussian()) >>> 16));
        }
        output = HostTensor.allocate(arena, ScalarType.BFLOAT16, m, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        layers.forEach(PreparedLayer::close);
        layers.clear();
        arena.close();
    }

    @Benchmark
    public HostTensor kernel() {
        PreparedLayer layer = layers.get(next);
        next = next + 1 == layers.size() ? 0 : next + 1;
        kernel.apply(layer, input, output, device.defaultStream());
        return output;
    }
}
