package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

final class TestTiming {

    @Test
    void medianAndSpreadInterpolateBetweenRanks() {
        Timing timing = Timing.of(new double[] {11, 3, 7, 1, 9, 5, 2, 4, 6, 8, 10}, 10);

        assertThat(timing.medianMicros()).isEqualTo(6.0);
        assertThat(timing.p10Micros()).isEqualTo(2.0);
        assertThat(timing.p90Micros()).isEqualTo(10.0);
        assertThat(timing.samples()).isEqualTo(11);
        assertThat(timing.callsPerSample()).isEqualTo(10);
    }

    @Test
    void anEvenCountTakesTheMiddleOfTheTwoCentralSamples() {
        Timing timing = Timing.of(new double[] {4, 1, 3, 2}, 1);

        assertThat(timing.medianMicros()).isEqualTo(2.5);
        assertThat(timing.p10Micros()).isCloseTo(1.3, within(1e-12));
        assertThat(timing.p90Micros()).isCloseTo(3.7, within(1e-12));
    }

    @Test
    void refusesUnorderedOrEmptyTimings() {
        assertThatThrownBy(() -> new Timing(5, 6, 7, 3, 1)).hasMessageContaining("p10 <= median <= p90");
        assertThatThrownBy(() -> Timing.of(new double[0], 1)).hasMessageContaining("no samples");
        assertThatThrownBy(() -> new Timing(0, 0, 0, 3, 1)).hasMessageContaining("positive");
    }
}
