package dev.qlinear.spi.device;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestLaunchConfig {

    @Test
    void blockOf1024ThreadsIsAccepted() {
        assertThat(new LaunchConfig(1, 1, 1, 1024, 1, 1, 0).blockX()).isEqualTo(1024);
        assertThat(new LaunchConfig(1, 1, 1, 32, 32, 1, 0).blockY()).isEqualTo(32);
        assertThat(new LaunchConfig(1, 1, 1, 8, 8, 16, 0).blockZ()).isEqualTo(16);
    }

    @Test
    void moreThan1024ThreadsAreRefused() {
        assertThatThrownBy(() -> new LaunchConfig(1, 1, 1, 32, 32, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a block has at most 1024 threads, got 32x32x2");
        assertThatThrownBy(() -> LaunchConfig.linear(1, 1025, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a block has at most 1024 threads, got 1025x1x1");
    }

    @Test
    void threadCountDoesNotOverflow() {
        // 65536 * 65536 is 0 in int arithmetic.
        assertThatThrownBy(() -> new LaunchConfig(1, 1, 1, 65536, 65536, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 1024 threads");
    }

    @Test
    void dimensionsMustBePositive() {
        assertThatThrownBy(() -> new LaunchConfig(0, 1, 1, 128, 1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gridX must be at least 1, got 0");
        assertThatThrownBy(() -> new LaunchConfig(1, 1, 1, 128, 1, -1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("blockZ must be at least 1, got -1");
        assertThatThrownBy(() -> LaunchConfig.linear(1, 128, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dynamicSharedBytes must not be negative, got -1");
    }

    @Test
    void linearLaunchIsOneDimensional() {
        assertThat(LaunchConfig.linear(132, 256, 49152)).isEqualTo(new LaunchConfig(132, 1, 1, 256, 1, 1, 49152));
    }

    @Test
    void launchesKeepStreamOrderUnlessAskedToOverlap() {
        LaunchConfig ordered = LaunchConfig.linear(264, 256, 83968);
        assertThat(ordered.overlapsPrevious()).isFalse();
        LaunchConfig overlapping = ordered.overlappingPrevious();
        assertThat(overlapping.overlapsPrevious()).isTrue();
        assertThat(overlapping).isEqualTo(new LaunchConfig(264, 1, 1, 256, 1, 1, 83968, true)).isNotEqualTo(ordered);
    }
}
