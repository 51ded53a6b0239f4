package dev.qlinear.spi.device;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestImageTarget {

    @Test
    void parsesSassAndPtxTargets() {
        assertThat(ImageTarget.parse("sm_80")).isEqualTo(new ImageTarget("sm_80", false, 80, false));
        assertThat(ImageTarget.parse(" sm_90a ")).isEqualTo(new ImageTarget("sm_90a", false, 90, true));
        assertThat(ImageTarget.parse("compute_80")).isEqualTo(new ImageTarget("compute_80", true, 80, false));
        assertThat(ImageTarget.parse("sm_120")).isEqualTo(new ImageTarget("sm_120", false, 120, false));
        assertThat(ImageTarget.parse("compute_90a").describe()).isEqualTo("PTX compute_90a");
        assertThat(ImageTarget.parse("sm_90a").describe()).isEqualTo("SASS sm_90a");
    }

    @Test
    void sassRunsOnItsMajorFromItsMinorOnPtxOnEveryLaterDeviceAnArchitectureSpecificTargetOnItsOwn() {
        ImageTarget sm80 = ImageTarget.parse("sm_80");
        assertThat(sm80.runsOn(80)).isTrue();
        assertThat(sm80.runsOn(86)).isTrue();
        assertThat(sm80.runsOn(89)).isTrue();
        assertThat(sm80.runsOn(75)).isFalse();
        assertThat(sm80.runsOn(90)).isFalse();
        ImageTarget sm86 = ImageTarget.parse("sm_86");
        assertThat(sm86.runsOn(80)).isFalse();
        assertThat(sm86.runsOn(89)).isTrue();
        ImageTarget sm90a = ImageTarget.parse("sm_90a");
        assertThat(sm90a.runsOn(90)).isTrue();
        assertThat(sm90a.runsOn(100)).isFalse();
        assertThat(sm90a.runsOn(89)).isFalse();
        ImageTarget ptx = ImageTarget.parse("compute_80");
        assertThat(ptx.runsOn(80)).isTrue();
        assertThat(ptx.runsOn(90)).isTrue();
        assertThat(ptx.runsOn(120)).isTrue();
        assertThat(ptx.runsOn(75)).isFalse();
        assertThat(ImageTarget.parse("compute_90a").runsOn(100)).isFalse();
    }

    @Test
    void refusesOtherNames() {
        assertThatThrownBy(() -> ImageTarget.parse("sm80")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel image target 'sm80' must be sm_XY, sm_XYa, compute_XY or compute_XYa, such as sm_90a");
        assertThatThrownBy(() -> ImageTarget.parse("lto_90")).isInstanceOf(IllegalArgumentException.class);
    }
}
