package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How many rounds of alternating samples the timer takes, from the batch costs and the budget; no GPU needed. */
final class TestEventTimerRounds {

    @Test
    void theBudgetHoldsEachSourcesSamplesAtTheMeanBatch() {
        // a mean batch of 5 ms: 20 rounds in a budget of 100 ms per source (between the 25 and 16 each would get alone)
        assertThat(EventTimer.rounds(new double[] {4, 6}, 100, 5, 30)).isEqualTo(20);
        assertThat(EventTimer.rounds(new double[] {10, 15}, 150, 5, 30)).isEqualTo(12);
    }

    @Test
    void roundsStayBetweenTheLeastSamplesAndRuns() {
        assertThat(EventTimer.rounds(new double[] {0.1, 0.2, 0.3}, 150, 5, 30)).isEqualTo(30);
        assertThat(EventTimer.rounds(new double[] {100, 200}, 150, 5, 30)).isEqualTo(5);
        assertThat(EventTimer.rounds(new double[] {100, 200}, 1350, 5, 30)).isEqualTo(9);
        assertThat(EventTimer.rounds(new double[] {1}, Double.MAX_VALUE, 5, 20)).isEqualTo(20);
        assertThat(EventTimer.rounds(new double[] {100}, 150, 3, 3)).isEqualTo(3);
    }

    @Test
    void aBatchCountsAtLeastAMicrosecond() {
        assertThat(EventTimer.rounds(new double[] {0, 0}, 0.025, 5, 30)).isEqualTo(25);
    }

    @Test
    void oneSourceGetsTheSamplesItGotAlone() {
        int runs = 30;
        int minSamples = Math.min(BenchSettings.MIN_SAMPLES, runs);
        for (double batch : new double[] {0.0005, 0.01, 0.7, 3, 29.9, 30, 31, 400}) {
            int alone = (int) Math.max(minSamples, Math.min(runs, Math.floor(150 / Math.max(batch, 1e-3))));
            assertThat(EventTimer.rounds(new double[] {batch}, 150, minSamples, runs)).as("batch %s ms", batch).isEqualTo(alone);
        }
    }
}
