package dev.qlinear.spi.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestGroupShape {

    @Test
    void parsesNamedShapes() {
        assertThat(GroupShape.parse("per-tensor")).isEqualTo(new GroupShape(-1, -1));
        assertThat(GroupShape.parse("per-token")).isEqualTo(new GroupShape(1, -1));
        assertThat(GroupShape.parse("per-channel")).isEqualTo(new GroupShape(-1, 1));
        assertThat(GroupShape.parse(" Per-Token ")).isEqualTo(GroupShape.PER_TOKEN);
        assertThat(GroupShape.parse("tensor").isPerTensor()).isTrue();
    }

    @Test
    void parsesBlockShapes() {
        assertThat(GroupShape.parse("128x128")).isEqualTo(new GroupShape(128, 128));
        assertThat(GroupShape.parse("1x128")).isEqualTo(new GroupShape(1, 128));
        assertThat(GroupShape.parse("1x-1")).isEqualTo(GroupShape.PER_TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"per-block", "128", "128x", "1x2x3", "128x128x", "1x2x", "x128"})
    void refusesMalformedText(String text) {
        assertThatThrownBy(() -> GroupShape.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid group shape '" + text + "'")
                .hasMessageContaining("per-tensor, per-token, per-channel or <rows>x<cols>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"axb", "1.5x2"})
    void refusesNonIntegerExtents(String text) {
        assertThatThrownBy(() -> GroupShape.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid group shape '" + text + "': rows and columns must be integers");
    }

    @Test
    void refusesNonPositiveExtents() {
        assertThatThrownBy(() -> GroupShape.parse("0x128"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group shape rows must be -1 (full extent) or positive, got 0");
        assertThatThrownBy(() -> new GroupShape(1, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group shape columns must be -1 (full extent) or positive, got -2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"per-tensor", "per-token", "per-channel", "128x128", "1x128", "-1x128"})
    void toStringRoundTrips(String text) {
        GroupShape shape = GroupShape.parse(text);
        assertThat(shape).hasToString(text);
        assertThat(GroupShape.parse(shape.toString())).isEqualTo(shape);
    }
}
