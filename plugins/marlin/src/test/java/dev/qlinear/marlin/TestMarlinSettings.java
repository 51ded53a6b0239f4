package dev.qlinear.marlin;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestMarlinSettings {

    @Test
    void defaultsTo64KernelRowsOf65536() {
        assertThat(MarlinSettings.of(Optional.empty())).isEqualTo(new MarlinSettings(64, 65536));
    }

    @Test
    void readsTheSwitchPointFromItsProperty() {
        assertThat(MarlinSettings.of(Optional.of(" 16 ")).kernelMaxRows()).isEqualTo(16);
        assertThat(MarlinSettings.of(Optional.of("65536")).kernelMaxRows()).isEqualTo(65536);
    }

    @Test
    void namesThePropertyAndTheRuleOfABadValue() {
        assertThatThrownBy(() -> MarlinSettings.of(Optional.of("lots"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.kernel-max-m must be a whole number of rows, got 'lots'");
        assertThatThrownBy(() -> MarlinSettings.of(Optional.of("0"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.marlin.kernel-max-m must be at least 1, got 0");
    }
}
