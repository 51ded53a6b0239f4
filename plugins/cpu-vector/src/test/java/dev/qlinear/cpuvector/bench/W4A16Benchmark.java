package dev.qlinear.cpuvector.bench;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.cpuvector.W4A16Kernel;
import dev.qlinear.spi.config.WeightOnlyConfig;
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
import java.util.concurrent.TimeUnit;

/**
 * The cpu-vector W4A16 kernel on Llama-like layers (K x N), group 128, fp16. Each call takes the next of enough
 * prepared copies of the layer to hold at least {@value #ROTATION_BYTES} bytes of weights, so that weights come from
 * memory, not from cache, as in a model whose layers follow each other.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class W4A16Benchmark {

    static final long ROTATION_BYTES = 1L << 30;

    @Param({"4096x4096", "4096x14336", "14336x4096"})
    public String shape;

    @Param({"1", "16", "256"})
    public int m;

    private final W4A16Kernel kernel = new W4A16Kernel();
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
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(k, n, ScalarType.UINT4B8, ScalarType.FLOAT16, BenchLayers.GROUP_SIZE, false, false);
        QuantizedWeights.WeightOnly weights = BenchLayers.canonical(BenchLayers.matrix(k, n, 42), arena);
        long layerBytes = BenchLayers.kernelBytes(0, k, n);
        long copies = Math.max(2, (ROTATION_BYTES + layerBytes - 1) / layerBytes);
        for (int copy = 0; copy < copies; copy++) {
            layers.add(kernel.prepare(config, weights, device));
        }
        input = HostTensor.allocate(arena, ScalarType.FLOAT16, m, k);
        MemorySegment.copy(BenchLayers.activations(m * k, 7), 0, input.segment(), ValueLayout.JAVA_SHORT, 0, m * k);
        output = HostTensor.allocate(arena, ScalarType.FLOAT16, m, n);
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
