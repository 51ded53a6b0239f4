package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestKernelDescriptor {

    private static final WeightOnlyCapabilities MARLIN = new WeightOnlyCapabilities(
            Set.of(ScalarType.UINT4B8, ScalarType.UINT4),
            Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16),
            Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16),
            Set.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128),
            true, true, 128, 64);

    private static final List<PlatformSupport> PLATFORMS = List.of(
            PlatformSupport.of("cuda:sm_90", 900),
            PlatformSupport.of("cuda:sm_80+", 500));

    private static KernelDescriptor descriptor(String id, String version, List<PlatformSupport> platforms) {
        return new KernelDescriptor(id, "marlin", version, platforms, MARLIN, ToleranceClass.RELATIVE_MEAN_ERROR, 65536);
    }

    @Test
    void validDescriptor() {
        KernelDescriptor descriptor = descriptor("marlin-w4a16", "1.2.3", PLATFORMS);
        assertThat(descriptor.layerKind()).isEqualTo(LayerKind.WEIGHT_ONLY);
        assertThat(descriptor.platforms()).containsExactlyElementsOf(PLATFORMS);
        assertThat(descriptor("0day", "1.0.0-rc.1", PLATFORMS).version()).isEqualTo("1.0.0-rc.1");
        assertThat(descriptor("0day", "0.1.0-SNAPSHOT", PLATFORMS).version()).isEqualTo("0.1.0-SNAPSHOT");
        assertThat(descriptor("0day", "1.0.0-rc.1+build.5", PLATFORMS).version()).isEqualTo("1.0.0-rc.1+build.5");
        assertThat(descriptor("0day", "1.0.0+build.5", PLATFORMS).version()).isEqualTo("1.0.0+build.5");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Marlin", "marlin_w4a16", "-marlin", "", "marlin w4a16"})
    void invalidIdsAreRefusedNamingTheId(String id) {
        assertThatThrownBy(() -> descriptor(id, "1.0.0", PLATFORMS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kernel id '" + id + "'")
                .hasMessageContaining("lower-case");
    }

    @Test
    void idOfSixtyFourCharactersIsTheLimit() {
        String longest = "a".repeat(64);
        assertThat(descriptor(longest, "1.0.0", PLATFORMS).id()).isEqualTo(longest);
        assertThatThrownBy(() -> descriptor(longest + "a", "1.0.0", PLATFORMS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.0", "1", "v1.0.0", "1.0.0.0", "1.0.0-"})
    void invalidVersionsAreRefused(String version) {
        assertThatThrownBy(() -> descriptor("marlin", version, PLATFORMS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("version '" + version + "' of kernel 'marlin' must be major.minor.patch");
    }

    @Test
    void emptyPlatformsAreRefused() {
        assertThatThrownBy(() -> descriptor("marlin", "1.0.0", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel 'marlin' must declare at least one platform");
    }

    @Test
    void blankFamilyAndNonPositiveMaxRowsAreRefused() {
        assertThatThrownBy(() -> new KernelDescriptor("marlin", " ", "1.0.0", PLATFORMS, MARLIN, ToleranceClass.BIT_EXACT, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel family of 'marlin' must not be blank");
        assertThatThrownBy(() -> new KernelDescriptor("marlin", "marlin", "1.0.0", PLATFORMS, MARLIN, ToleranceClass.BIT_EXACT, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxRows of kernel 'marlin' must be at least 1, got 0");
    }

    @Test
    void priorityOnPicksTheFirstMatchingPlatform() {
        KernelDescriptor descriptor = descriptor("marlin", "1.0.0", PLATFORMS);
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_90"))).hasValue(900);
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_80"))).hasValue(500);
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_120"))).hasValue(500);

        KernelDescriptor reversed = descriptor("marlin", "1.0.0", List.of(PLATFORMS.get(1), PLATFORMS.get(0)));
        assertThat(reversed.priorityOn(Platform.parse("cuda:sm_90"))).hasValue(500);
    }

    @Test
    void priorityOnIsEmptyForAnUndeclaredPlatform() {
        KernelDescriptor descriptor = descriptor("marlin", "1.0.0", PLATFORMS);
        assertThat(descriptor.priorityOn(Platform.parse("rocm:gfx942"))).isEmpty();
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_75"))).isEmpty();
        assertThat(descriptor.priorityOn(Platform.parse("cpu:x86_64"))).isEmpty();
    }

    @Test
    void platformPriorityMustBeInRange() {
        assertThat(PlatformSupport.of("cuda:sm_80+", 0).priority()).isZero();
        assertThat(PlatformSupport.of("cuda:sm_80+", 1000).priority()).isEqualTo(1000);
        assertThatThrownBy(() -> PlatformSupport.of("cuda:sm_80+", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("priority must be in [0, 1000], got -1");
        assertThatThrownBy(() -> PlatformSupport.of("cuda:sm_80+", 1001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("priority must be in [0, 1000], got 1001");
        assertThat(PlatformSupport.of("cuda:sm_80+", 500)).hasToString("cuda:sm_80+ (priority 500)");
    }

    @Test
    void weightOnlyCapabilitiesRefuseEmptySets() {
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16),
                Set.of(128), false, false, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weightTypes must declare at least one value");
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16),
                Set.of(), false, false, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("groupSizes must declare at least one value");
    }

    @Test
    void weightOnlyCapabilitiesRefuseFloatWeightTypes() {
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8, ScalarType.FLOAT8_E4M3FN),
                Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("declared weight type float8_e4m3fn is not an integer type");
    }

    @Test
    void weightOnlyCapabilitiesRefuseBadGroupSizesAndAlignments() {
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16),
                Set.of(ScalarType.FLOAT16), Set.of(128, 0), false, false, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("declared group size must be -1 (channelwise) or positive, got 0");
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16),
                Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("K alignment must be at least 1, got 0");
        assertThatThrownBy(() -> new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16),
                Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 1, -64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("N alignment must be at least 1, got -64");
    }

    @Test
    void scaledMmCapabilitiesRefuseEmptySetsAndNoScaleMode() {
        assertThatThrownBy(() -> fp8Capabilities(Set.of(), true, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weightScaleShapes must declare at least one value");
        assertThatThrownBy(() -> fp8Capabilities(Set.of(GroupShape.PER_CHANNEL), false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a scaled-mm kernel must support static or dynamic activation scales");
    }

    @Test
    void scaledMmCapabilitiesAreScaledMmKind() {
        ScaledMmCapabilities capabilities = fp8Capabilities(Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR), false, true);
        assertThat(capabilities.layerKind()).isEqualTo(LayerKind.SCALED_MM);
        assertThat(capabilities.weightScaleShapes()).containsExactlyInAnyOrder(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR);
        assertThat(MARLIN.layerKind()).isEqualTo(LayerKind.WEIGHT_ONLY);
    }

    private static ScaledMmCapabilities fp8Capabilities(Set<GroupShape> weightScaleShapes, boolean staticScales, boolean dynamicScales) {
        return new ScaledMmCapabilities(
                Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN),
                weightScaleShapes, Set.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR),
                staticScales, dynamicScales,
                Set.of(ScalarType.BFLOAT16), Set.of(ScalarType.BFLOAT16),
                true, 16, 16);
    }
}
