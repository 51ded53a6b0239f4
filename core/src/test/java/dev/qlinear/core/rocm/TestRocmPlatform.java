package dev.qlinear.core.rocm;

import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.core.platform.CpuProbe;
import dev.qlinear.core.platform.CudaProbe;
import dev.qlinear.core.platform.PlatformDetector;
import dev.qlinear.core.platform.RocmProbe;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.PlatformRequirement;
import dev.qlinear.spi.platform.Vendor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a ROCm device becomes as a platform, as HIP would report an MI300X, and where detection ranks it. */
final class TestRocmPlatform {

    private static final RocmDeviceInfo MI300X = new RocmDeviceInfo(0, "AMD Instinct MI300X", "gfx942:sramecc+:xnack-", 304, 206_141_652_992L, 4_194_304L,
            64, 9, 4, 60_342_134);

    @Test
    void theGfxTargetIsTheArchitectureAndItsSettingsAreFeatures() {
        Platform platform = MI300X.platform();

        assertThat(platform.spec()).isEqualTo("rocm:gfx942");
        assertThat(platform.architecture()).isEqualTo(new Architecture.Rocm("gfx942"));
        assertThat(platform.device()).contains(new DeviceProperties("AMD Instinct MI300X", 304, 206_141_652_992L, 4_194_304L,
                java.util.Set.of("sramecc+", "xnack-")));
        assertThat(new RocmDeviceInfo(1, "AMD Radeon 8060S", "gfx1151", 40, 1L << 36, 2L << 20, 32, 11, 5, 60_342_134).platform().device().orElseThrow()
                .features()).isEmpty();
    }

    @Test
    void aDetectedRocmPlatformNeverMatchesACudaRequirement() {
        Platform platform = MI300X.platform();

        for (String cuda : List.of("cuda:sm_90", "cuda:sm_80+", "cuda:sm_10+", "cuda:sm_80-sm_120")) {
            assertThat(PlatformRequirement.parse(cuda).matches(platform)).as(cuda).isFalse();
        }
        assertThat(PlatformRequirement.parse("rocm:gfx942").matches(platform)).isTrue();
        assertThat(PlatformRequirement.parse("rocm:gfx950").matches(platform)).isFalse();
        assertThat(platform.vendor()).isEqualTo(Vendor.ROCM);
    }

    @Test
    void detectionPrefersCudaThenRocmThenTheCpu() {
        RocmProbe rocm = new RocmProbe(() -> new RocmAvailability.Available(List.of(MI300X)));
        CudaProbe noCuda = new CudaProbe(() -> new CudaAvailability.Unavailable("cuInit: CUDA_ERROR_NO_DEVICE"));
        RocmProbe noRocm = new RocmProbe(() -> new RocmAvailability.Unavailable("hipInit: hipErrorInvalidDevice (101)"));

        assertThat(new PlatformDetector(List.of(noCuda, rocm, new CpuProbe())).detect().spec()).isEqualTo("rocm:gfx942");
        assertThat(new PlatformDetector(List.of(noCuda, rocm, new CpuProbe())).detectAll()).extracting(Platform::vendor)
                .containsExactly(Vendor.ROCM, Vendor.CPU);
        assertThat(new PlatformDetector(List.of(noCuda, noRocm, new CpuProbe())).detect().vendor()).isEqualTo(Vendor.CPU);
        assertThat(rocm.unavailableReason()).isEmpty();
        assertThat(noRocm.unavailableReason()).contains("hipInit: hipErrorInvalidDevice (101)");
    }

    @Test
    void theProbeNeverThrowsWhateverLoadingHipDoes() {
        RocmProbe probe = new RocmProbe(() -> {
            throw new UnsatisfiedLinkError("libamdhip64.so.6: undefined symbol: hsa_init");
        });

        assertThat(probe.probe()).isEmpty();
        assertThat(probe.unavailableReason()).contains("ROCm detection failed: java.lang.UnsatisfiedLinkError: libamdhip64.so.6: undefined symbol: hsa_init");
    }

    @Test
    void aDeviceWhoseTargetCannotBeNamedIsRefused() {
        assertThatThrownBy(() -> new RocmDeviceInfo(0, "unknown", "", 1, 1, 0, 64, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid ROCm architecture ''");
        assertThatThrownBy(() -> new RocmDeviceInfo(0, "AMD Instinct MI300X", "gfx942", 0, 1, 0, 64, 9, 4, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a ROCm device has at least one compute unit, got 0 for AMD Instinct MI300X");
    }
}
