package dev.qlinear.spi.platform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalInt;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestPlatformRequirement {

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_80+", "cuda:sm_80-sm_89", "cuda:sm_90", "rocm:gfx942,gfx950", "cpu", "cpu:x86_64"})
    void specRoundTrips(String spec) {
        PlatformRequirement requirement = PlatformRequirement.parse(spec);
        assertThat(requirement.spec()).isEqualTo(spec);
        assertThat(PlatformRequirement.parse(requirement.spec())).isEqualTo(requirement);
    }

    @Test
    void parsesIntoTheVendorsRecord() {
        assertThat(PlatformRequirement.parse("cuda:sm_80+"))
                .isEqualTo(new PlatformRequirement.Cuda(80, OptionalInt.empty()));
        assertThat(PlatformRequirement.parse("cuda:sm_80-sm_89"))
                .isEqualTo(new PlatformRequirement.Cuda(80, OptionalInt.of(89)));
        assertThat(PlatformRequirement.parse("cuda:sm_90"))
                .isEqualTo(new PlatformRequirement.Cuda(90, OptionalInt.of(90)));
        assertThat(PlatformRequirement.parse("rocm:gfx950, GFX942"))
                .isEqualTo(new PlatformRequirement.Rocm(Set.of("gfx942", "gfx950")));
        assertThat(PlatformRequirement.parse("cpu")).isEqualTo(new PlatformRequirement.Cpu(Set.of()));
        assertThat(PlatformRequirement.parse("cuda:sm_90+").vendor()).isEqualTo(Vendor.CUDA);
    }

    @Test
    void rocmSpecListsTargetsSorted() {
        assertThat(PlatformRequirement.parse("rocm:gfx950,gfx942").spec()).isEqualTo("rocm:gfx942,gfx950");
    }

    @Test
    void closedRangeIncludesBothEnds() {
        PlatformRequirement ada = PlatformRequirement.parse("cuda:sm_80-sm_89");
        assertThat(ada.matches(Platform.parse("cuda:sm_80"))).isTrue();
        assertThat(ada.matches(Platform.parse("cuda:sm_86"))).isTrue();
        assertThat(ada.matches(Platform.parse("cuda:sm_89"))).isTrue();
        assertThat(ada.matches(Platform.parse("cuda:sm_90"))).isFalse();
        assertThat(ada.matches(Platform.parse("cuda:sm_75"))).isFalse();
    }

    @Test
    void openRangeHasNoUpperBound() {
        PlatformRequirement ampereOn = PlatformRequirement.parse("cuda:sm_80+");
        assertThat(ampereOn.matches(Platform.parse("cuda:sm_80"))).isTrue();
        assertThat(ampereOn.matches(Platform.parse("cuda:sm_120"))).isTrue();
        assertThat(ampereOn.matches(Platform.parse("cuda:sm_75"))).isFalse();
    }

    @Test
    void exactCapabilityMatchesOnlyItself() {
        PlatformRequirement hopper = PlatformRequirement.parse("cuda:sm_90");
        assertThat(hopper.matches(Platform.parse("cuda:sm_90a"))).isTrue();
        assertThat(hopper.matches(Platform.parse("cuda:sm_89"))).isFalse();
        assertThat(hopper.matches(Platform.parse("cuda:sm_100"))).isFalse();
    }

    @Test
    void rocmMatchesListedTargetsOnly() {
        PlatformRequirement cdna3 = PlatformRequirement.parse("rocm:gfx942,gfx950");
        assertThat(cdna3.matches(Platform.parse("rocm:gfx942"))).isTrue();
        assertThat(cdna3.matches(Platform.parse("rocm:gfx950"))).isTrue();
        assertThat(cdna3.matches(Platform.parse("rocm:gfx90a"))).isFalse();
        assertThat(cdna3.matches(Platform.parse("rocm:gfx1151"))).isFalse();
    }

    @Test
    void cpuMatchesListedIsasOrEveryCpu() {
        assertThat(PlatformRequirement.parse("cpu").matches(Platform.parse("cpu:aarch64"))).isTrue();
        assertThat(PlatformRequirement.parse("cpu").matches(Platform.parse("cuda:sm_80"))).isFalse();
        assertThat(PlatformRequirement.parse("cpu:x86_64").matches(Platform.parse("cpu:x86_64"))).isTrue();
        assertThat(PlatformRequirement.parse("cpu:x86_64").matches(Platform.parse("cpu:aarch64"))).isFalse();
    }

    @Test
    void invertedRangeIsRefused() {
        assertThatThrownBy(() -> PlatformRequirement.parse("cuda:sm_90-sm_80"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cuda:sm_90-sm_80'")
                .hasMessageContaining("below the minimum 90");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rocm:", "rocm", "rocm:  "})
    void emptyRocmListIsRefused(String spec) {
        assertThatThrownBy(() -> PlatformRequirement.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + spec + "'")
                .hasMessageContaining("list of architectures");
    }

    @Test
    void emptyRocmSetIsRefused() {
        assertThatThrownBy(() -> new PlatformRequirement.Rocm(Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one gfx target");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu:sm_80", "cuda:sm_8+", "cuda", "rocm:gfx942,sm_90", "cpu:x86-64"})
    void otherInvalidRequirementsNameTheSpec(String spec) {
        assertThatThrownBy(() -> PlatformRequirement.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid platform requirement '" + spec + "'");
    }
}
