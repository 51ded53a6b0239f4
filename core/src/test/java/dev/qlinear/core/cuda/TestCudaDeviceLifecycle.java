package dev.qlinear.core.cuda;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which device an embedder gets, and closing a CUDA device. */
final class TestCudaDeviceLifecycle {

    @Test
    void qlinearGivesTheDeviceOfTheDetectedPlatformOnce() {
        Qlinear qlinear = Qlinear.builder().classPathDiscovery(false).build();

        Device device = qlinear.device();

        assertThat(qlinear.device()).isSameAs(device);
        assertThat(device.platform()).isEqualTo(qlinear.platform());
        assertThat(device).isInstanceOf(Cuda.availability() instanceof CudaAvailability.Available ? CudaDevice.class : dev.qlinear.core.device.CpuDevice.class);
    }

    @Test
    @Tag("gpu")
    void closingFreesWhatOwnersLeftAndANewDeviceTakesOver() {
        CudaDevice device = GpuTestSupport.device();
        Object forgetful = new Object();
        CudaTensor leaked = device.allocate(forgetful, ScalarType.INT32, 1 << 20);
        device.loadModule("test_kernels.fatbin", GpuTestSupport.image(GpuTestSupport.FATBIN));
        CudaStream stream = device.newStream();
        device.fill(leaked, 7, stream);

        device.close();

        assertThat(device.allocatedBytes()).isZero();
        assertThatThrownBy(() -> device.allocate(forgetful, ScalarType.INT32, 4)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
        CudaDevice reopened = Cuda.open(0);
        assertThat(reopened).isNotSameAs(device);
        int[] back = new int[4];
        CudaTensor fresh = reopened.allocate(forgetful, ScalarType.INT32, 4);
        reopened.fill(fresh, 5, reopened.defaultStream());
        reopened.copy(fresh, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.INT32, 4), reopened.defaultStream());
        assertThat(back).containsOnly(5);
        reopened.release(forgetful);
    }
}
