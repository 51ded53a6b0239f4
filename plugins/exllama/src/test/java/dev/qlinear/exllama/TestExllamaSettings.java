package dev.qlinear.exllama;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestExllamaSettings {

    @Test
    void defaultsToTheMeasuredSwitchPoint() {
        assertThat(ExllamaSettings.of(Optional.empty())).isEqualTo(new ExllamaSettings(64, 65536));
    }

    @Test
    void readsTheSwitchPointFromItsProperty() {
        assertThat(ExllamaSettings.of(Optional.of(" 16 ")).fusedMaxRows()).isEqualTo(16);
        assertThat(ExllamaSettings.of(Optional.of("65536")).fusedMaxRows()).isEqualTo(65536);
    }

    @Test
    void namesThePropertyAndTheRuleOfABadValue() {
        assertThatThrownBy(() -> ExllamaSettings.of(Optional.of("lots"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.exllama.fused-max-m must be a whole number of rows, got 'lots'");
        assertThatThrownBy(() -> ExllamaSettings.of(Optional.of("0"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qlinear.exllama.fused-max-m must be at least 1, got 0");
    }
}
