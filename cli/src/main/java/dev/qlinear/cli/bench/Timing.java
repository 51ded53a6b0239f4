package dev.qlinear.cli.bench;

import java.util.Arrays;

/**
 * The spread of one timed operation: per-call times of many samples, each sample the mean over a batch of calls.
 *
 * @param medianMicros median of the samples, µs per call
 * @param p10Micros 10th percentile, µs per call
 * @param p90Micros 90th percentile, µs per call
 * @param samples how many samples were taken
 * @param callsPerSample calls in each sample's batch
 */
public record Timing(double medianMicros, double p10Micros, double p90Micros, int samples, int callsPerSample) {

    public Timing {
        if (samples < 1) {
            throw new IllegalArgumentException("a timing needs at least one sample, got " + samples);
        }
        if (callsPerSample < 1) {
            throw new IllegalArgumentException("a sample has at least one call, got " + callsPerSample);
        }
        if (!(medianMicros > 0) || !(p10Micros > 0) || !(p90Micros > 0)) {
            throw new IllegalArgumentException("times must be positive, got median " + medianMicros + " p10 " + p10Micros + " p90 " + p90Micros + " µs");
        }
        if (p10Micros > medianMicros || medianMicros > p90Micros) {
            throw new IllegalArgumentException("percentiles must be ordered p10 <= median <= p90, got " + p10Micros + ", " + medianMicros + ", " + p90Micros + " µs");
        }
    }

    /** The timing of samples given in µs per call. */
    public static Timing of(double[] microsPerCall, int callsPerSample) {
        double[] sorted = microsPerCall.clone();
        Arrays.sort(sorted);
        return new Timing(percentile(sorted, 0.5), percentile(sorted, 0.1), percentile(sorted, 0.9), sorted.length, callsPerSample);
    }

    /** Linear interpolation between the closest ranks (the default of NumPy and R). */
    static double percentile(double[] sorted, double fraction) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("a percentile of no samples is undefined");
        }
        double position = fraction * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
