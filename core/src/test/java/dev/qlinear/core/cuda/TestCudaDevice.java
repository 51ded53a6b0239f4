package dev.qlinear.core.cuda;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Memory, copies, fills, workspaces and streams of a real CUDA device. */
@Tag("gpu")
final class TestCudaDevice {

    private final Random random = new Random(20261121);
    private final Object owner = new Object();
    private CudaDevice device;
    private Arena arena;

    @BeforeEach
    void openDevice() {
        device = GpuTestSupport.device();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void releaseMemory() {
        if (device != null) {
            device.release(owner);
            arena.close();
        }
    }

    @Test
    void reportsTheDevice() {
        CudaDeviceInfo info = device.info();

        assertThat(device.platform().spec()).isEqualTo("cuda:sm_" + info.major() + info.minor());
        assertThat(info.multiprocessors()).isPositive();
        assertThat(info.l2CacheBytes()).isPositive();
        assertThat(info.theoreticalBandwidthBytesPerSecond()).isGreaterThan(1e11);
        assertThat(info.driverVersion()).isGreaterThanOrEqualTo(12000);
        assertThat(Cuda.open(0)).isSameAs(device);
        System.out.printf("%s: %d SMs, %.1f GiB, L2 %d MiB, %.0f GB/s theoretical, driver %s%n", info.name(), info.multiprocessors(),
                info.totalMemoryBytes() / (double) (1L << 30), info.l2CacheBytes() >> 20, info.theoreticalBandwidthBytesPerSecond() / 1e9,
                info.driverVersionText());
    }

    @Test
    void randomBytesSurviveARoundTripThroughDeviceMemory() {
        HostTensor source = GpuTestSupport.randomBytes(arena, random, ScalarType.FLOAT16, 123, 457);
        HostTensor back = HostTensor.allocate(arena, ScalarType.FLOAT16, 123, 457);
        CudaTensor first = device.allocate(owner, ScalarType.FLOAT16, 123, 457);
        CudaTensor second = device.allocate(owner, ScalarType.FLOAT16, 123, 457);
        CudaStream stream = device.defaultStream();

        device.copy(source, first, stream);
        device.copy(first, second, stream);
        device.copy(second, back, stream);

        assertThat(back.contentEquals(source)).isTrue();
        assertThat(first.byteSize()).isEqualTo(123 * 457 * 2);
        assertThat(second.address()).isNotEqualTo(first.address());
    }

    @Test
    void copiesToAndFromHeapMemory() {
        int[] values = random.ints(1000).toArray();
        HostTensor heap = HostTensor.ofInts(values, 10, 100);
        int[] back = new int[1000];
        CudaTensor onDevice = device.allocate(owner, ScalarType.INT32, 10, 100);

        device.copy(heap, onDevice, device.defaultStream());
        device.copy(onDevice, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.INT32, 10, 100), device.defaultStream());

        assertThat(back).containsExactly(values);
    }

    @Test
    void copiesIntoAViewAtAnOffset() {
        CudaTensor whole = device.allocate(owner, ScalarType.INT32, 4, 8);
        device.fill(whole, -1, device.defaultStream());
        HostTensor row = HostTensor.ofInts(new int[] {10, 11, 12, 13, 14, 15, 16, 17}, 8);
        HostTensor back = HostTensor.allocate(arena, ScalarType.INT32, 4, 8);

        device.copy(row, whole.view(2 * 8, new long[] {8}, new long[] {1}), device.defaultStream());
        device.copy(whole, back, device.defaultStream());

        assertThat(back.segment().toArray(JAVA_INT)).containsExactly(
                -1, -1, -1, -1, -1, -1, -1, -1,
                -1, -1, -1, -1, -1, -1, -1, -1,
                10, 11, 12, 13, 14, 15, 16, 17,
                -1, -1, -1, -1, -1, -1, -1, -1);
        assertThatThrownBy(() -> whole.view(30, new long[] {8}, new long[] {1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("beyond the 128 bytes of its allocation");
    }

    @Test
    void fillsElementsOfEveryWidth() {
        CudaTensor halves = device.allocate(owner, ScalarType.FLOAT16, 3, 333);
        CudaTensor words = device.allocate(owner, ScalarType.INT32, 1001);
        CudaTensor bytes = device.allocate(owner, ScalarType.UINT8, 77);
        CudaTensor nibbles = device.allocate(owner, ScalarType.UINT4, 9);
        HostTensor halvesBack = HostTensor.allocate(arena, ScalarType.FLOAT16, 3, 333);
        HostTensor wordsBack = HostTensor.allocate(arena, ScalarType.INT32, 1001);
        HostTensor bytesBack = HostTensor.allocate(arena, ScalarType.UINT8, 77);
        CudaStream stream = device.defaultStream();

        device.fill(halves, 0x7E00, stream);
        device.fill(words, 0xDEADBEEF, stream);
        device.fill(bytes, 0xA5, stream);
        device.fill(nibbles, 0x7, stream);
        device.copy(halves, halvesBack, stream);
        device.copy(words, wordsBack, stream);
        device.copy(bytes, bytesBack, stream);

        assertThat(halvesBack.segment().toArray(JAVA_SHORT)).containsOnly((short) 0x7E00).hasSize(999);
        assertThat(wordsBack.segment().toArray(JAVA_INT)).containsOnly(0xDEADBEEF).hasSize(1001);
        assertThat(bytesBack.segment().toArray(JAVA_BYTE)).containsOnly((byte) 0xA5).hasSize(77);
        assertThat(nibbles.byteSize()).isEqualTo(5);
        assertThatThrownBy(() -> device.fill(halves, 0x1_0000, stream)).hasMessageContaining("do not fit a 16-bit float16 element");
        assertThatThrownBy(() -> device.fill(device.allocate(owner, ScalarType.INT64, 4), 1, stream)).hasMessageContaining("at most 4 bytes");
    }

    @Test
    void mismatchedCopiesNameBothTensors() {
        CudaTensor matrix = device.allocate(owner, ScalarType.FLOAT16, 4, 8);
        HostTensor wrongShape = HostTensor.allocate(arena, ScalarType.FLOAT16, 8, 4);
        HostTensor wrongType = HostTensor.allocate(arena, ScalarType.BFLOAT16, 4, 8);
        CudaTensor strided = matrix.view(0, new long[] {4, 4}, new long[] {8, 1});

        assertThatThrownBy(() -> device.copy(wrongShape, matrix, device.defaultStream())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("copy needs the same dtype and shape, got source float16[8, 4] (host) and destination float16[4, 8] (on cuda:0)");
        assertThatThrownBy(() -> device.copy(matrix, wrongType, device.defaultStream()))
                .hasMessageContaining("source float16[4, 8] (on cuda:0) and destination bfloat16[4, 8] (host)");
        assertThatThrownBy(() -> device.copy(strided, HostTensor.allocate(arena, ScalarType.FLOAT16, 4, 4), device.defaultStream()))
                .hasMessageContaining("the source float16[4, 4] (on cuda:0) is strided");
    }

    @Test
    void releaseFreesEverythingOfTheOwner() {
        Object layer = new Object();
        long before = device.allocatedBytes();
        CudaTensor weights = device.allocate(layer, ScalarType.INT32, 1024, 256);
        device.allocate(layer, ScalarType.FLOAT16, 4096);

        assertThat(device.allocatedBytes() - before).isEqualTo(1024 * 256 * 4 + 4096 * 2);
        device.release(layer);

        assertThat(device.allocatedBytes()).isEqualTo(before);
        assertThatThrownBy(() -> device.fill(weights, 0, device.defaultStream())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was released");
    }

    @Test
    void countersArePerStreamAndZeroedWhenMade() {
        try (CudaStream first = device.newStream(); CudaStream second = device.newStream()) {
            device.reserveCounters(300);
            CudaTensor a = device.counters(first, 300);
            CudaTensor b = device.counters(second, 300);
            assertThat(a.address()).isNotEqualTo(b.address());
            assertThat(device.counters(first, 300)).as("the same request on the hot path makes no new view").isSameAs(a);

            int[] back = new int[300];
            java.util.Arrays.fill(back, 0x5A5A5A5A);
            device.copy(a, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.INT32, 300), first);
            first.synchronize();
            assertThat(back).containsOnly(0);
            assertThatThrownBy(() -> device.counters(first, 301)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("301 arrival counters asked for");
        }
    }

    @Test
    void workspacesArePerStreamAndSizedToTheLargestReservation() {
        try (CudaStream first = device.newStream(); CudaStream second = device.newStream()) {
            device.reserveWorkspace(1 << 20);
            long reserved = device.reservedWorkspaceBytes();

            CudaTensor a = device.workspace(first, ScalarType.FLOAT32, 1024);
            CudaTensor b = device.workspace(second, ScalarType.FLOAT32, 1024);
            CudaTensor again = device.workspace(first, ScalarType.INT32, 16);

            assertThat(a.address()).isNotEqualTo(b.address());
            assertThat(again.address()).isEqualTo(a.address());
            assertThat(device.workspace(first, ScalarType.INT32, 16)).as("the same request on the hot path makes no new view").isSameAs(again);
            assertThat(again.dtype()).isEqualTo(ScalarType.INT32);
            assertThat(again.size(0)).isEqualTo(16);
            assertThat(device.workspaceBytes(first)).isEqualTo(reserved);
            assertThatThrownBy(() -> device.workspace(first, ScalarType.FLOAT32, reserved / 4 + 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining((reserved + 4) + " bytes exceeds the " + reserved + " bytes reserved");

            device.reserveWorkspace(reserved + (4 << 20));
            device.workspace(first, ScalarType.FLOAT32, 16);

            assertThat(device.workspaceBytes(first)).isEqualTo(reserved + (4 << 20));
        }
    }

    @Test
    void anyThreadMayUseTheDevice() throws Exception {
        int[] values = random.ints(4096).toArray();
        CudaTensor target = device.allocate(owner, ScalarType.INT32, 4096);
        try (Arena shared = Arena.ofShared(); ExecutorService other = Executors.newSingleThreadExecutor()) {
            HostTensor back = HostTensor.allocate(shared, ScalarType.INT32, 4096);
            CompletableFuture.runAsync(() -> {
                try (CudaStream stream = device.newStream()) {
                    device.copy(HostTensor.ofInts(values, 4096), target, stream);
                    device.copy(target, back, stream);
                }
            }, other).get();

            assertThat(back.segment().toArray(JAVA_INT)).containsExactly(values);
        }
    }

    @Test
    void streamsOfOtherDevicesAndClosedStreamsAreRefused() {
        CudaStream stream = device.newStream();
        stream.close();

        assertThatThrownBy(() -> device.fill(device.allocate(owner, ScalarType.INT32, 4), 0, stream)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        assertThatThrownBy(() -> device.copy(device.allocate(owner, ScalarType.INT32, 4), device.allocate(owner, ScalarType.INT32, 4), () -> {
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a stream of cuda:0");
    }
}
