package dev.qlinear.core.device;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestCpuDevice {

    private final CpuDevice device = new CpuDevice(Platform.parse("cpu"));

    @Test
    void allocatesPerOwnerAndReleasesEverythingTheOwnerHolds() {
        Object layer = new Object();
        HostTensor first = device.allocate(layer, ScalarType.FLOAT32, 4, 8);
        HostTensor second = device.allocate(layer, ScalarType.INT32, 16);
        first.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 31, 1.5f);

        device.release(layer);

        assertThat(first.segment().scope().isAlive()).isFalse();
        assertThat(second.segment().scope().isAlive()).isFalse();
    }

    @Test
    void copiesBetweenHostTensorsOfTheSameTypeAndSize() {
        Object owner = new Object();
        HostTensor source = HostTensor.ofInts(new int[] {3, 1, 4, 1, 5, 9}, 2, 3);
        HostTensor destination = device.allocate(owner, ScalarType.INT32, 2, 3);

        device.copy(source, destination, device.defaultStream());

        assertThat(destination.contentEquals(source)).isTrue();
        assertThatThrownBy(() -> device.copy(source, device.allocate(owner, ScalarType.FLOAT32, 2, 3), device.defaultStream()))
                .hasMessageContaining("copy needs equal dtype and size");
        assertThatThrownBy(() -> device.loadModule("kernel.cubin", new byte[0]))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("kernel.cubin");
        device.release(owner);
    }

    @Test
    void workspaceIsTheReservedScratchOfTheCallingThreadAndRefusesMoreThanWasReserved() throws Exception {
        CpuDevice scratch = new CpuDevice(Platform.parse("cpu"));
        assertThatThrownBy(() -> scratch.workspace(scratch.defaultStream(), ScalarType.FLOAT16, 4))
                .isInstanceOf(IllegalStateException.class).hasMessage("a workspace tensor float16[4] of 8 bytes exceeds the 0 bytes reserved; call reserveWorkspace in prepare");

        scratch.reserveWorkspace(4096);
        scratch.reserveWorkspace(1024);
        HostTensor first = scratch.workspace(scratch.defaultStream(), ScalarType.FLOAT32, 32, 32);
        HostTensor again = scratch.workspace(scratch.defaultStream(), ScalarType.INT32, 16);
        assertThat(first.address()).isEqualTo(again.address());
        assertThat(first.segment().byteSize()).isEqualTo(4096);
        assertThatThrownBy(() -> scratch.workspace(scratch.defaultStream(), ScalarType.FLOAT32, 1025))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("4100 bytes exceeds the 4096 bytes reserved");

        long[] otherThread = new long[1];
        Thread thread = Thread.ofPlatform().start(() -> otherThread[0] = scratch.workspace(scratch.defaultStream(), ScalarType.FLOAT32, 8).address());
        thread.join();
        assertThat(otherThread[0]).isNotZero().isNotEqualTo(first.address());
    }

    @Test
    void countersAreZeroedPerThreadAndRefuseMoreThanWereReserved() throws Exception {
        CpuDevice scratch = new CpuDevice(Platform.parse("cpu"));
        assertThatThrownBy(() -> scratch.counters(scratch.defaultStream(), 4))
                .isInstanceOf(IllegalStateException.class).hasMessage("4 arrival counters asked for, 0 reserved; call reserveCounters in prepare");

        scratch.reserveCounters(64);
        scratch.reserveCounters(8);
        HostTensor counters = scratch.counters(scratch.defaultStream(), 64);
        assertThat(counters.dtype()).isEqualTo(ScalarType.INT32);
        assertThat(counters.segment().toArray(java.lang.foreign.ValueLayout.JAVA_INT)).containsOnly(0).hasSize(64);
        assertThat(scratch.counters(scratch.defaultStream(), 16).address()).isEqualTo(counters.address());
        assertThatThrownBy(() -> scratch.counters(scratch.defaultStream(), 65)).isInstanceOf(IllegalStateException.class)
                .hasMessage("65 arrival counters asked for, 64 reserved; call reserveCounters in prepare");
        assertThatThrownBy(() -> scratch.reserveCounters(-1)).isInstanceOf(IllegalArgumentException.class).hasMessage("-1 arrival counters cannot be reserved");

        long[] otherThread = new long[1];
        Thread thread = Thread.ofPlatform().start(() -> otherThread[0] = scratch.counters(scratch.defaultStream(), 8).address());
        thread.join();
        assertThat(otherThread[0]).isNotZero().isNotEqualTo(counters.address());
    }
}
