package dev.qlinear.exllama;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestExllamaSettings {

    @Test
    void defaultsToTheMeasuredSwitchPoint() {
        assertThat(ExllamaSettings.of(Optional.empty(), Optional.empty())).isEqualTo(new ExllamaSettings(64, 65536, true));
    }

    @Test
    void readsTheSwitchPointFromItsProperty() {
        assertThat(ExllamaSettings.of(Optional.of(" 16 "), Optional.empty()).fusedMaxRows()).isEqualTo(16);
        assertThat(ExllamaSettings.of(Optional.of("65536"), Optional.empty()).fusedMaxRows()).isEqualTo(65536);
    }

    @Test
    void namesThePropertyAndTheRuleOfABadValue() {
        assertThatThrownBy(() -> ExllamaSettings.of(Optional.of("lots"), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.exllama.fused-max-m must be a whole number of rows, got 'lots'");
        assertThatThrownBy(() -> ExllamaSettings.of(Optional.of("0"), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.exllama.fused-max-m must be at least 1, got 0");
    }

    @Test
    void overlappingLaunchesCanBeTurnedOff() {
        assertThat(ExllamaSettings.of(Optional.empty(), Optional.of("false")).overlapLaunches()).isFalse();
        assertThat(ExllamaSettings.of(Optional.empty(), Optional.of(" true")).overlapLaunches()).isTrue();
        assertThatThrownBy(() -> ExllamaSettings.of(Optional.empty(), Optional.of("off"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.exllama.overlap-launches must be true or false, got 'off'");
    }
}
