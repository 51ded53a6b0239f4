package dev.qlinear.marlin;

import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestMarlinSettings {

    @Test
    void defaultsToEachKernelsRowsOf65536AndOverlappingLaunches() {
        MarlinSettings defaults = MarlinSettings.of(Optional.empty(), Optional.empty());
        assertThat(defaults).isEqualTo(new MarlinSettings(OptionalInt.empty(), 65536, true));
        assertThat(defaults.kernelMaxRows(false)).isEqualTo(64);
        assertThat(defaults.kernelMaxRows(true)).isEqualTo(1024);
    }

    @Test
    void readsTheSwitchPointFromItsProperty() {
        MarlinSettings sixteen = MarlinSettings.of(Optional.of(" 16 "), Optional.empty());
        assertThat(sixteen.kernelMaxRows(false)).isEqualTo(16);
        assertThat(sixteen.kernelMaxRows(true)).isEqualTo(16);
        assertThat(MarlinSettings.of(Optional.of("65536"), Optional.empty()).kernelMaxRows(true)).isEqualTo(65536);
    }

    @Test
    void namesThePropertyAndTheRuleOfABadValue() {
        assertThatThrownBy(() -> MarlinSettings.of(Optional.of("lots"), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.kernel-max-m must be a whole number of rows, got 'lots'");
        assertThatThrownBy(() -> MarlinSettings.of(Optional.of("0"), Optional.empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.kernel-max-m must be at least 1, got 0");
    }

    @Test
    void overlappingLaunchesCanBeTurnedOff() {
        assertThat(MarlinSettings.of(Optional.empty(), Optional.of("false")).overlapLaunches()).isFalse();
        assertThat(MarlinSettings.of(Optional.empty(), Optional.of(" true")).overlapLaunches()).isTrue();
        assertThatThrownBy(() -> MarlinSettings.of(Optional.empty(), Optional.of("off"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.overlap-launches must be true or false, got 'off'");
        assertThatThrownBy(() -> MarlinSettings.of(Optional.empty(), Optional.of("TRUE"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.overlap-launches must be true or false, got 'TRUE'");
    }
}
