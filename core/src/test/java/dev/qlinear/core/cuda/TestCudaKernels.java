package dev.qlinear.core.cuda;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Loading kernel images and launching them, events and graphs, on a real CUDA device. */
@Tag("gpu")
final class TestCudaKernels {

    private final Random random = new Random(7);
    private final Object owner = new Object();
    private CudaDevice device;
    private GpuModule module;
    private Arena arena;

    @BeforeEach
    void load() {
        device = GpuTestSupport.device();
        module = device.loadModule("test_kernels.fatbin", GpuTestSupport.image(GpuTestSupport.FATBIN));
        arena = Arena.ofConfined();
    }

    @AfterEach
    void unload() {
        if (module != null) {
            device.synchronize();
            module.close();
            device.release(owner);
            arena.close();
        }
    }

    @Test
    void launchesAKernelWithPointerFloatAndIntArguments() {
        int n = 100_003;
        HostTensor x = randomFloats(n);
        HostTensor y = randomFloats(n);
        CudaTensor out = addScaled(module.function("add_scaled"), x, y, -0.75f);

        HostTensor back = HostTensor.allocate(arena, ScalarType.FLOAT32, n);
        device.copy(out, back, device.defaultStream());
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            // nvcc contracts x + alpha * y into one fused multiply-add
            expected[i] = Math.fma(-0.75f, y.segment().getAtIndex(JAVA_FLOAT, i), x.segment().getAtIndex(JAVA_FLOAT, i));
        }
        assertThat(back.segment().toArray(JAVA_FLOAT)).containsExactly(expected);
    }

    @Test
    void aTensorMapArgumentIsEncodedAtLaunchAndFeedsTma() {
        assumeTrue(device.info().major() >= 9, "TMA needs sm_90 or later, this is " + device.info().name());
        int rows = 100;
        int columns = 40;
        int stride = 48;
        float[] matrix = new float[rows * stride];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = random.nextFloat() + 1;
        }
        CudaTensor in = device.allocate(owner, ScalarType.FLOAT32, matrix.length);
        device.copy(HostTensor.wrap(MemorySegment.ofArray(matrix), ScalarType.FLOAT32, matrix.length), in, device.defaultStream());
        TensorMapLayout layout = new TensorMapLayout(ScalarType.FLOAT32, columns, 16, 32, TensorMapLayout.Swizzle.NONE);
        CudaTensor out = device.allocate(owner, ScalarType.FLOAT32, 16 * 32);
        KernelArguments arguments = KernelArguments.of(Kind.TENSOR_MAP, Kind.INT32, Kind.INT32, Kind.POINTER, Kind.INT32, Kind.INT32);

        // inside; past the last row; past the row's end (rows and columns beyond read as zeros)
        for (int[] origin : new int[][] {{8, 20}, {16, 80}, {32, 0}}) {
            float[] poison = new float[16 * 32];
            java.util.Arrays.fill(poison, Float.NaN);
            device.copy(HostTensor.wrap(MemorySegment.ofArray(poison), ScalarType.FLOAT32, poison.length), out, device.defaultStream());
            arguments.setTensorMap(0, layout, in.address(), rows, 4L * stride).setInt(1, origin[0]).setInt(2, origin[1]).setPointer(3, out.address())
                    .setInt(4, 16).setInt(5, 32);
            module.function("tma_box").launch(LaunchConfig.linear(1, 128, 0), arguments, device.defaultStream());
            float[] back = new float[16 * 32];
            device.copy(out, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.FLOAT32, back.length), device.defaultStream());
            device.synchronize();

            float[] expected = new float[16 * 32];
            for (int r = 0; r < 32; r++) {
                for (int c = 0; c < 16; c++) {
                    int row = origin[1] + r;
                    int column = origin[0] + c;
                    expected[r * 16 + c] = row < rows && column < columns ? matrix[row * stride + column] : 0;
                }
            }
            assertThat(back).as("box at column %d, row %d", origin[0], origin[1]).containsExactly(expected);
        }
    }

    @Test
    void ptxTextIsCompiledByTheDriverWithoutATerminatingNul() {
        byte[] ptx = GpuTestSupport.image(GpuTestSupport.PTX);
        assertThat(ptx[ptx.length - 1]).isNotZero();

        try (GpuModule fromPtx = device.loadModule("test_kernels.ptx", ptx)) {
            CudaTensor out = device.allocate(owner, ScalarType.INT64, 1000);
            KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.INT64, Kind.INT32).setPointer(0, out.address())
                    .setLong(1, 1L << 40).setInt(2, 1000);
            long launched = device.defaultStream().launches();
            fromPtx.function("iota64").launch(LaunchConfig.linear(4, 256, 0), arguments, device.defaultStream());
            assertThat(device.defaultStream().launches()).as("launches counted on the stream").isEqualTo(launched + 1);
            HostTensor back = HostTensor.allocate(arena, ScalarType.INT64, 1000);
            device.copy(out, back, device.defaultStream());

            assertThat(back.segment().toArray(JAVA_LONG)).containsExactly(IntStream.range(0, 1000).mapToLong(i -> (1L << 40) + i).toArray());
        }
    }

    @Test
    void wrongArgumentsAndUnknownEntryPointsAreRefusedByName() {
        GpuFunction addScaled = module.function("add_scaled");
        KernelArguments tooFew = KernelArguments.of(Kind.POINTER, Kind.POINTER, Kind.POINTER, Kind.FLOAT32);
        KernelArguments wrongSize = KernelArguments.of(Kind.POINTER, Kind.POINTER, Kind.POINTER, Kind.FLOAT32, Kind.INT64);
        long launched = device.defaultStream().launches();

        assertThatThrownBy(() -> addScaled.launch(LaunchConfig.linear(1, 32, 0), tooFew, device.defaultStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kernel test_kernels.fatbin::add_scaled, which takes 5 with bytes [8, 8, 8, 4, 4]");
        assertThatThrownBy(() -> addScaled.launch(LaunchConfig.linear(1, 32, 0), wrongSize, device.defaultStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(bytes [8, 8, 8, 4, 8]) do not fit");
        assertThatThrownBy(() -> module.function("no_such_kernel")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test_kernels.fatbin has no entry point 'no_such_kernel'");
        assertThat(device.defaultStream().launches()).as("refused launches are not counted").isEqualTo(launched);
    }

    @Test
    void aFailedLaunchNamesTheKernelTheConfigAndTheError() {
        KernelArguments arguments = KernelArguments.of(Kind.INT64);
        // more dynamic shared memory than any block may have
        LaunchConfig tooMuchShared = LaunchConfig.linear(1, 32, device.maxSharedBytesPerBlockOptIn() + 1024);

        assertThatThrownBy(() -> module.function("spin").launch(tooMuchShared, arguments.setLong(0, 1), device.defaultStream()))
                .isInstanceOf(CudaException.class).hasMessageContaining("test_kernels.fatbin::spin").hasMessageContaining("MAX_DYNAMIC_SHARED_SIZE_BYTES");
        // a grid's y extent is at most 65535
        assertThatThrownBy(() -> module.function("spin").launch(new LaunchConfig(1, 70_000, 1, 1, 1, 1, 0), arguments.setLong(0, 1), device.defaultStream()))
                .isInstanceOfSatisfying(CudaException.class, e -> assertThat(e.errorName()).isEqualTo("CUDA_ERROR_INVALID_VALUE"))
                .hasMessageStartingWith("cuLaunchKernel of test_kernels.fatbin::spin with LaunchConfig[gridX=1, gridY=70000");
    }

    @Test
    void kernelsMayUseMoreThan48KiBOfDynamicSharedMemory() {
        GpuFunction reverse = module.function("reverse_through_shared");
        for (int count : new int[] {1000, 20_000, 50_000}) {
            int[] values = random.ints(count).toArray();
            CudaTensor in = device.allocate(owner, ScalarType.INT32, count);
            CudaTensor out = device.allocate(owner, ScalarType.INT32, count);
            device.copy(HostTensor.ofInts(values, count), in, device.defaultStream());
            KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.POINTER, Kind.INT32).setPointer(0, in.address()).setPointer(1, out.address())
                    .setInt(2, count);

            reverse.launch(LaunchConfig.linear(1, 256, 4 * count), arguments, device.defaultStream());

            int[] back = new int[count];
            device.copy(out, HostTensor.wrap(java.lang.foreign.MemorySegment.ofArray(back), ScalarType.INT32, count), device.defaultStream());
            assertThat(back).as("%d ints through %d bytes of shared memory", count, 4 * count)
                    .containsExactly(IntStream.range(0, count).map(i -> values[count - 1 - i]).toArray());
        }
    }

    @Test
    void eventsMeasureDeviceTime() {
        try (CudaEvent start = device.newEvent(); CudaEvent end = device.newEvent(); CudaStream stream = device.newStream()) {
            KernelArguments cycles = KernelArguments.of(Kind.INT64).setLong(0, 20_000_000L);

            start.record(stream);
            module.function("spin").launch(LaunchConfig.linear(1, 1, 0), cycles, stream);
            end.record(stream);
            end.synchronize();

            // 20 million cycles take about 10 ms at 2 GHz
            assertThat(end.elapsedMillisSince(start)).isGreaterThan(1.0f).isLessThan(1000f);
        }
    }

    @Test
    void aCapturedGraphReplaysTheSameWork() {
        int n = 4096;
        int[] initial = random.ints(n, -1000, 1000).toArray();
        CudaTensor direct = device.allocate(owner, ScalarType.INT32, n);
        CudaTensor replayed = device.allocate(owner, ScalarType.INT32, n);
        GpuFunction increment = module.function("increment");
        try (CudaStream stream = device.newStream()) {
            device.copy(HostTensor.ofInts(initial, n), direct, stream);
            device.copy(HostTensor.ofInts(initial, n), replayed, stream);
            KernelArguments directArguments = KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.INT32).setPointer(0, direct.address()).setInt(2, n);
            KernelArguments graphArguments = KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.INT32).setPointer(0, replayed.address()).setInt(2, n);
            for (int step = 1; step <= 10; step++) {
                increment.launch(LaunchConfig.linear(n / 256, 256, 0), directArguments.setInt(1, step), stream);
            }

            try (CudaGraph graph = device.capture(stream, () -> {
                for (int step = 1; step <= 10; step++) {
                    increment.launch(LaunchConfig.linear(n / 256, 256, 0), graphArguments.setInt(1, step), stream);
                }
            })) {
                graph.replay(stream);
            }

            int[] directBack = new int[n];
            int[] replayedBack = new int[n];
            device.copy(direct, HostTensor.wrap(java.lang.foreign.MemorySegment.ofArray(directBack), ScalarType.INT32, n), stream);
            device.copy(replayed, HostTensor.wrap(java.lang.foreign.MemorySegment.ofArray(replayedBack), ScalarType.INT32, n), stream);
            assertThat(replayedBack).containsExactly(directBack);
            assertThat(directBack).containsExactly(IntStream.of(initial).map(value -> value + 55).toArray());
        }
    }

    @Test
    void captureRefusesTheDefaultStreamAndEndsAFailedCapture() {
        try (CudaStream stream = device.newStream()) {
            assertThatThrownBy(() -> device.capture(device.defaultStream(), () -> {
            })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("legacy default stream cannot be captured");
            assertThatThrownBy(() -> device.capture(stream, () -> {
                throw new IllegalStateException("the kernel's prepare was not called");
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("failed and was ended: the kernel's prepare was not called");
            assertThatThrownBy(() -> device.capture(stream, stream::synchronize)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cuStreamSynchronize").hasCauseInstanceOf(CudaException.class);

            // the stream works normally after the failed captures
            CudaTensor value = device.allocate(owner, ScalarType.INT32, 1);
            device.fill(value, 41, stream);
            module.function("increment").launch(LaunchConfig.linear(1, 1, 0),
                    KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.INT32).setPointer(0, value.address()).setInt(1, 1).setInt(2, 1), stream);
            HostTensor back = HostTensor.allocate(arena, ScalarType.INT32, 1);
            device.copy(value, back, stream);
            assertThat(back.segment().get(JAVA_INT, 0)).isEqualTo(42);
        }
    }

    @Test
    void launchesAllocateNothingOnTheJavaHeap() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int n = 1024;
        CudaTensor data = device.allocate(owner, ScalarType.INT32, n);
        GpuFunction increment = module.function("increment");
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.INT32).setPointer(0, data.address()).setInt(2, n);
        LaunchConfig config = LaunchConfig.linear(n / 256, 256, 0);
        try (CudaStream stream = device.newStream()) {
            device.fill(data, 0, stream);
            for (int warmUp = 0; warmUp < 20_000; warmUp++) {
                increment.launch(config, arguments.setInt(1, 1), stream);
            }
            stream.synchronize();

            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            long started = System.nanoTime();
            for (int launch = 0; launch < 10_000; launch++) {
                increment.launch(config, arguments.setInt(1, 1), stream);
            }
            long hostNanos = System.nanoTime() - started;
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            stream.synchronize();

            System.out.printf("10,000 launches: %.2f us of host time each, %d bytes allocated%n", hostNanos / 10_000 / 1000.0, allocated);
            // a single object per launch would be at least 160,000 bytes
            assertThat(allocated).as("bytes allocated by 10,000 launches").isLessThan(10_000);
            int[] back = new int[n];
            device.copy(data, HostTensor.wrap(java.lang.foreign.MemorySegment.ofArray(back), ScalarType.INT32, n), stream);
            assertThat(back).containsOnly(30_000);
        }
    }

    private CudaTensor addScaled(GpuFunction function, HostTensor x, HostTensor y, float alpha) {
        int n = (int) x.size(0);
        CudaTensor deviceX = device.allocate(owner, ScalarType.FLOAT32, n);
        CudaTensor deviceY = device.allocate(owner, ScalarType.FLOAT32, n);
        CudaTensor out = device.allocate(owner, ScalarType.FLOAT32, n);
        device.copy(x, deviceX, device.defaultStream());
        device.copy(y, deviceY, device.defaultStream());
        device.fill(out, 0x7FC00000, device.defaultStream());
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.POINTER, Kind.POINTER, Kind.FLOAT32, Kind.INT32)
                .setPointer(0, deviceX.address()).setPointer(1, deviceY.address()).setPointer(2, out.address()).setFloat(3, alpha).setInt(4, n);
        function.launch(LaunchConfig.linear((n + 255) / 256, 256, 0), arguments, device.defaultStream());
        return out;
    }

    private HostTensor randomFloats(int n) {
        HostTensor tensor = HostTensor.allocate(arena, ScalarType.FLOAT32, n);
        for (int i = 0; i < n; i++) {
            tensor.segment().setAtIndex(JAVA_FLOAT, i, random.nextFloat(-4, 4));
        }
        return tensor;
    }
}
