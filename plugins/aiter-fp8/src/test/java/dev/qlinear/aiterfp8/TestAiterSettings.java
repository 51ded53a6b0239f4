package dev.qlinear.aiterfp8;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

final class TestAiterSettings {

    @Test
    void aiterIsOnWhenTheSwitchIsUnsetOrBlank() {
        assertThat(AiterSettings.fromEnvironment(Map.of()).enabled().isAccepted()).isTrue();
        assertThat(AiterSettings.fromEnvironment(Map.of(AiterSettings.USE_AITER, "  ")).enabled().isAccepted()).isTrue();
        assertThat(AiterSettings.fromEnvironment(Map.of()).useAiter()).isInstanceOf(AiterSettings.Switch.On.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "true", "on", "yes", "TRUE", "On", "Yes", " yes "})
    void acceptsEveryWordForOnInAnyCase(String value) {
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of(AiterSettings.USE_AITER, value));
        assertThat(settings.useAiter()).isInstanceOf(AiterSettings.Switch.On.class);
        assertThat(settings.enabled().isAccepted()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "false", "off", "no", "FALSE", "Off", "NO"})
    void refusesWithTheValueWhenSwitchedOff(String value) {
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of(AiterSettings.USE_AITER, value));
        assertThat(settings.useAiter()).isEqualTo(new AiterSettings.Switch.Off(value));
        assertThat(settings.enabled().toString())
                .isEqualTo("refused: aiter enabled: needs QLINEAR_ROCM_USE_AITER unset or one of [1, true, on, yes], got QLINEAR_ROCM_USE_AITER=" + value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "2", "enabled", "y"})
    void refusesAnyOtherValueNamingItAndTheAcceptedOnes(String value) {
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of(AiterSettings.USE_AITER, value));
        assertThat(settings.useAiter()).isEqualTo(new AiterSettings.Switch.Unreadable(value));
        assertThat(settings.enabled().toString()).isEqualTo("refused: QLINEAR_ROCM_USE_AITER: needs one of [1, true, on, yes] (use aiter) or "
                + "[0, false, off, no] (do not), in any case, got '" + value + "'");
    }

    @Test
    void readsTheHomeAiterOwnCsvOverrideAndTheUserHomeAsAbsolutePaths() {
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of(AiterSettings.AITER_HOME, "/opt/rocm/aiter/", AiterSettings.TUNED_GEMM_FILE,
                "tuned/gemm.csv", "HOME", "/home/someone"));
        assertThat(settings.home()).contains(Path.of("/opt/rocm/aiter"));
        assertThat(settings.tunedGemmFile()).contains(Path.of("tuned/gemm.csv").toAbsolutePath());
        assertThat(settings.userHome()).contains(Path.of("/home/someone"));

        AiterSettings unset = AiterSettings.fromEnvironment(Map.of(AiterSettings.AITER_HOME, " ", AiterSettings.TUNED_GEMM_FILE, ""));
        assertThat(unset.home()).isEmpty();
        assertThat(unset.tunedGemmFile()).isEmpty();
        assertThat(unset.userHome()).isEmpty();
    }
}
