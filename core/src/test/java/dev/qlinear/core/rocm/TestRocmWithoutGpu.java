package dev.qlinear.core.rocm;

import dev.qlinear.core.platform.RocmProbe;
import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.core.testing.RocmPackages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * ROCm through Debian's HIP runtime on a machine without an AMD GPU, such as the CI's: HIP loads, {@code hipInit}
 * fails, and detection and opening a device say so, naming the call and HIP's error.
 */
final class TestRocmWithoutGpu {

    @Test
    void detectionNamesTheHipCallThatFailedAndItsError() {
        RocmPackages.requireLoadedHipRuntime();
        RocmAvailability availability = Rocm.availability();
        assumeFalse(availability instanceof RocmAvailability.Available, "this machine has an AMD GPU");

        String reason = ((RocmAvailability.Unavailable) availability).reason();
        assertThat(reason).matches("(hipInit|hipGetDeviceCount): hipError\\w+ \\(\\d+\\).*");
        // what Debian's HIP 5.2 says without an AMD GPU: hipInit fails with hipErrorInvalidDevice (hipGetDeviceCount would say hipErrorNoDevice)
        assertThat(reason).startsWith("hipInit: " + HipException.errorName(HipRuntimeApi.hipErrorInvalidDevice) + " (" + HipRuntimeApi.hipErrorInvalidDevice + ")");
        assertThat(Rocm.availability()).isSameAs(availability);

        RocmProbe probe = new RocmProbe();
        assertThat(probe.name()).isEqualTo("rocm");
        assertThat(probe.probe()).isEmpty();
        assertThat(probe.unavailableReason()).contains(reason);
    }

    @Test
    void openingADeviceFailsWithTheHipExceptionOfHipInit() {
        RocmPackages.requireLoadedHipRuntime();
        assumeFalse(Rocm.availability() instanceof RocmAvailability.Available, "this machine has an AMD GPU");

        assertThatThrownBy(() -> Rocm.open(0)).isInstanceOfSatisfying(HipException.class, exception -> {
            assertThat(exception.code()).isEqualTo(HipRuntimeApi.hipErrorInvalidDevice);
            assertThat(exception.errorName()).isEqualTo("hipErrorInvalidDevice");
        }).hasMessageStartingWith("hipInit: hipErrorInvalidDevice (101)");
    }

    @Test
    void aMissingRuntimeIsTheReasonWithEveryPlaceTried(@TempDir Path folder) {
        RocmAvailability availability = Rocm.detect(HipRuntimeApi.find(List.of("libqlinear-absent-hip.so.6"), List.of(folder)));

        assertThat(availability).isInstanceOfSatisfying(RocmAvailability.Unavailable.class, unavailable -> assertThat(unavailable.reason())
                .startsWith("libamdhip64 (the HIP runtime) not found: libqlinear-absent-hip.so.6 by name: ")
                .contains(folder.resolve("libqlinear-absent-hip.so.6") + ": no such file"));
        RocmProbe probe = new RocmProbe(() -> availability);
        assertThat(probe.probe()).isEmpty();
        assertThat(probe.unavailableReason()).contains(((RocmAvailability.Unavailable) availability).reason());
    }
}
