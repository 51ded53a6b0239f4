package dev.qlinear.spi.platform;

import dev.qlinear.spi.type.ScalarType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestPlatform {

    @Test
    void parsesCudaSmSpecs() {
        Platform ampere = Platform.parse("cuda:sm_80");
        assertThat(ampere.vendor()).isEqualTo(Vendor.CUDA);
        assertThat(ampere.architecture()).isEqualTo(new Architecture.Cuda(8, 0));
        assertThat(ampere.isDetected()).isFalse();

        assertThat(Platform.parse("cuda:sm_90").architecture()).isEqualTo(new Architecture.Cuda(9, 0));
        assertThat(Platform.parse("CUDA:SM_89").architecture()).isEqualTo(new Architecture.Cuda(8, 9));
    }

    @Test
    void archSpecificSuffixNamesTheSameDevice() {
        assertThat(Platform.parse("cuda:sm_90a")).isEqualTo(Platform.parse("cuda:sm_90"));
        assertThat(Platform.parse("cuda:sm_90a").spec()).isEqualTo("cuda:sm_90");
    }

    @Test
    void parsesDottedComputeCapability() {
        assertThat(Platform.parse("cuda:9.0")).isEqualTo(Platform.parse("cuda:sm_90"));
        assertThat(Platform.parse("cuda:8.6").architecture()).isEqualTo(new Architecture.Cuda(8, 6));
    }

    @Test
    void parsesThreeDigitCapability() {
        Architecture.Cuda blackwell = (Architecture.Cuda) Platform.parse("cuda:sm_120").architecture();
        assertThat(blackwell.capability()).isEqualTo(120);
        assertThat(blackwell.major()).isEqualTo(12);
        assertThat(blackwell.minor()).isEqualTo(0);
        assertThat(blackwell.name()).isEqualTo("sm_120");
    }

    @Test
    void parsesRocmTargets() {
        assertThat(Platform.parse("rocm:gfx942").architecture()).isEqualTo(new Architecture.Rocm("gfx942"));
        assertThat(Platform.parse("rocm:gfx942").vendor()).isEqualTo(Vendor.ROCM);
        assertThat(Platform.parse("rocm:gfx1151").architecture().name()).isEqualTo("gfx1151");
        assertThat(Platform.parse("rocm:gfx90a").architecture().name()).isEqualTo("gfx90a");
        assertThat(Platform.parse("hip:gfx942").spec()).isEqualTo("rocm:gfx942");
    }

    @Test
    void rocmTargetDropsFeatureFlags() {
        assertThat(new Architecture.Rocm("gfx942:sramecc+:xnack-").name()).isEqualTo("gfx942");
        assertThat(Platform.parse("rocm:gfx942:sramecc+:xnack-").spec()).isEqualTo("rocm:gfx942");
    }

    @Test
    void bareCpuIsTheHostIsa() {
        Platform cpu = Platform.parse("cpu");
        assertThat(cpu.vendor()).isEqualTo(Vendor.CPU);
        assertThat(cpu.architecture().name()).isEqualTo(Platform.hostIsa());
        assertThat(Platform.hostIsa()).matches("[a-z0-9_]+").isNotEqualTo("amd64").isNotEqualTo("arm64");
    }

    @Test
    void parsesExplicitCpuIsa() {
        Platform arm = Platform.parse("cpu:aarch64");
        assertThat(arm.architecture()).isEqualTo(new Architecture.Cpu("aarch64"));
        assertThat(arm.spec()).isEqualTo("cpu:aarch64");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu:sm_80", "cuda", "cuda:sm_8", "cuda:sm_80x", "rocm:gfxZZZ", "rocm", "cuda:sm_", "cuda:0.0", "cpu:x86-64"})
    void invalidSpecsAreRefusedNamingTheSpec(String spec) {
        assertThatThrownBy(() -> Platform.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + spec + "'");
    }

    @Test
    void missingArchitectureMessageGivesAnExample() {
        assertThatThrownBy(() -> Platform.parse("cuda"))
                .hasMessageContaining("cuda:sm_90");
        assertThatThrownBy(() -> Platform.parse("rocm"))
                .hasMessageContaining("rocm:gfx942");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_80", "cuda:sm_90", "cuda:sm_120", "rocm:gfx942", "rocm:gfx1151", "rocm:gfx90a", "cpu:aarch64", "cpu:x86_64"})
    void specRoundTrips(String spec) {
        Platform platform = Platform.parse(spec);
        assertThat(platform.spec()).isEqualTo(spec);
        assertThat(Platform.parse(platform.spec())).isEqualTo(platform);
        assertThat(platform).hasToString(spec);
    }

    @Test
    void rocmFamilies() {
        assertThat(new Architecture.Rocm("gfx942").family()).isEqualTo(Architecture.RocmFamily.CDNA);
        assertThat(new Architecture.Rocm("gfx90a").family()).isEqualTo(Architecture.RocmFamily.CDNA);
        assertThat(new Architecture.Rocm("gfx950").family()).isEqualTo(Architecture.RocmFamily.CDNA);
        assertThat(new Architecture.Rocm("gfx908").family()).isEqualTo(Architecture.RocmFamily.CDNA);
        assertThat(new Architecture.Rocm("gfx1151").family()).isEqualTo(Architecture.RocmFamily.RDNA);
        assertThat(new Architecture.Rocm("gfx1100").family()).isEqualTo(Architecture.RocmFamily.RDNA);
        assertThat(new Architecture.Rocm("gfx906").family()).isEqualTo(Architecture.RocmFamily.GCN);
    }

    @Test
    void rocmFp8FormatFollowsTheArchitecture() {
        assertThat(new Architecture.Rocm("gfx942").fp8Type()).contains(ScalarType.FLOAT8_E4M3FNUZ);
        assertThat(new Architecture.Rocm("gfx942:sramecc+:xnack-").fp8Type()).contains(ScalarType.FLOAT8_E4M3FNUZ);
        assertThat(new Architecture.Rocm("gfx950").fp8Type()).contains(ScalarType.FLOAT8_E4M3FN);
        assertThat(new Architecture.Rocm("gfx1201").fp8Type()).contains(ScalarType.FLOAT8_E4M3FN);
        assertThat(new Architecture.Rocm("gfx90a").fp8Type()).isEmpty();
        assertThat(new Architecture.Rocm("gfx1100").fp8Type()).isEmpty();
    }

    @Test
    void rocmIsNeverTakenForCuda() {
        Platform mi300 = Platform.parse("rocm:gfx942");
        assertThat(PlatformRequirement.parse("cuda:sm_90+").matches(mi300)).isFalse();
        assertThat(PlatformRequirement.parse("cuda:sm_10+").matches(mi300)).isFalse();
        assertThat(PlatformRequirement.parse("rocm:gfx942").matches(Platform.parse("cuda:sm_90"))).isFalse();
        assertThat(PlatformRequirement.parse("cpu").matches(mi300)).isFalse();
    }

    @Test
    void cudaCapabilityBoundsAreChecked() {
        assertThatThrownBy(() -> new Architecture.Cuda(0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> new Architecture.Cuda(9, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minor")
                .hasMessageContaining("got 10");
    }

    @Test
    void detectedPlatformShowsTheDeviceName() {
        DeviceProperties h100 = new DeviceProperties("NVIDIA H100 80GB HBM3", 132, 80L << 30, 50L << 20, Set.of());
        Platform platform = new Platform(new Architecture.Cuda(9, 0), Optional.of(h100));
        assertThat(platform.isDetected()).isTrue();
        assertThat(platform).hasToString("cuda:sm_90 (NVIDIA H100 80GB HBM3)");
    }
}
