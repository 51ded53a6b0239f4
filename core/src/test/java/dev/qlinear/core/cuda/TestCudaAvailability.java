package dev.qlinear.core.cuda;

import dev.qlinear.core.platform.CpuProbe;
import dev.qlinear.core.platform.CudaProbe;
import dev.qlinear.core.platform.PlatformDetector;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** What CUDA detection reports, on any machine, and how the probe turns it into a platform. */
final class TestCudaAvailability {

    private static final CudaDeviceInfo H100 = new CudaDeviceInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 132, 85_031_714_816L, 52_428_800L, 2_619_000, 5120, 13000);

    @Test
    void availabilityNeverThrowsAndIsComputedOnce() {
        CudaAvailability availability = Cuda.availability();

        switch (availability) {
            case CudaAvailability.Available available -> assertThat(available.devices()).allSatisfy(device -> {
                assertThat(device.name()).isNotBlank();
                assertThat(device.major()).isGreaterThanOrEqualTo(3);
                assertThat(device.totalMemoryBytes()).isPositive();
            });
            case CudaAvailability.Unavailable unavailable -> {
                assertThat(unavailable.reason()).isNotBlank();
                assertThatThrownBy(() -> Cuda.open(0)).isInstanceOf(IllegalStateException.class)
                        .hasMessage("CUDA is unavailable: " + unavailable.reason());
            }
        }
        assertThat(Cuda.availability()).isSameAs(availability);
    }

    @Test
    void withoutTheDriverLibraryTheReasonNamesIt() {
        assumeFalse(driverLibraryLoads(), "libcuda.so.1 loads on this machine, so its absence cannot be observed");

        assertThat(Cuda.availability()).isInstanceOfSatisfying(CudaAvailability.Unavailable.class,
                unavailable -> assertThat(unavailable.reason()).startsWith("libcuda.so.1 (the NVIDIA driver library) not found: "));
        CudaProbe probe = new CudaProbe();
        assertThat(probe.probe()).isEmpty();
        assertThat(probe.unavailableReason()).hasValueSatisfying(reason -> assertThat(reason).contains("libcuda.so.1"));
    }

    @Test
    void theProbeReportsDeviceZeroOrWhyThereIsNone() {
        CudaProbe found = new CudaProbe(() -> new CudaAvailability.Available(List.of(H100, new CudaDeviceInfo(1, "NVIDIA A100-SXM4-80GB", 8, 0, 108,
                85_100_000_000L, 41_943_040L, 1_593_000, 5120, 13000))));
        CudaProbe missing = new CudaProbe(() -> new CudaAvailability.Unavailable("cuInit: CUDA_ERROR_NO_DEVICE"));

        assertThat(found.name()).isEqualTo("cuda");
        assertThat(found.probe()).contains(H100.platform());
        assertThat(found.unavailableReason()).isEmpty();
        assertThat(missing.probe()).isEmpty();
        assertThat(missing.unavailableReason()).contains("cuInit: CUDA_ERROR_NO_DEVICE");
    }

    @Test
    void detectionFallsBackToTheCpuWhenCudaIsUnavailable() {
        PlatformDetector detector = new PlatformDetector(List.of(new CudaProbe(() -> new CudaAvailability.Unavailable("cuInit: CUDA_ERROR_NO_DEVICE")),
                new CpuProbe()));
        PlatformDetector withGpu = new PlatformDetector(List.of(new CudaProbe(() -> new CudaAvailability.Available(List.of(H100))), new CpuProbe()));

        assertThat(detector.detect().vendor()).isEqualTo(Vendor.CPU);
        assertThat(withGpu.detect().spec()).isEqualTo("cuda:sm_90");
    }

    @Test
    void deviceInfoBecomesAPlatformWithMeasuredProperties() {
        Platform platform = H100.platform();

        assertThat(platform.architecture()).isEqualTo(new Architecture.Cuda(9, 0));
        assertThat(platform.device()).contains(new DeviceProperties("NVIDIA H100 80GB HBM3", 132, 85_031_714_816L, 52_428_800L, java.util.Set.of()));
        // 2 transfers per clock * 2.619 GHz * 5120 bits / 8
        assertThat(H100.theoreticalBandwidthBytesPerSecond()).isEqualTo(3.352_32e12, org.assertj.core.data.Offset.offset(1e7));
        assertThat(H100.driverVersionText()).isEqualTo("13.0");
        assertThatThrownBy(() -> new CudaDeviceInfo(0, "broken", 9, 0, 0, 1, 0, 0, 0, 13000))
                .hasMessageContaining("at least one multiprocessor, got 0 for broken");
        assertThatThrownBy(() -> new CudaAvailability.Available(List.of())).hasMessageContaining("at least one device");
    }

    @Test
    void driverErrorsAreNamedEvenWithoutTheDriver() {
        CudaException outOfMemory = CudaException.driver("cuMemAlloc of 4096 bytes", 2);
        CudaException unknown = CudaException.driver("cuSomething", 987_654);

        assertThat(outOfMemory.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(outOfMemory.code()).isEqualTo(2);
        assertThat(outOfMemory).hasMessageStartingWith("cuMemAlloc of 4096 bytes: CUDA_ERROR_OUT_OF_MEMORY (2)");
        assertThat(unknown.errorName()).isEqualTo("CUDA error 987654");
    }

    @SuppressWarnings("restricted")
    private static boolean driverLibraryLoads() {
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            return true;
        }
        catch (IllegalArgumentException e) {
            return false;
        }
    }
}
