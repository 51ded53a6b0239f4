package dev.qlinear.cli.bench;

import static java.util.Objects.requireNonNull;

/**
 * The device-to-device copy measured in the same run: the practical 100 % line of memory bandwidth.
 *
 * @param bytes bytes copied per call (read once and written once)
 * @param timing µs per copy
 */
public record CopyBandwidth(long bytes, Timing timing) {

    public CopyBandwidth {
        requireNonNull(timing, "timing is null");
        if (bytes < 1) {
            throw new IllegalArgumentException("a copy moves at least one byte, got " + bytes);
        }
    }

    /** {@code 2 · bytes / time}: every byte is read and written. */
    public double gigabytesPerSecond() {
        return 2.0 * bytes / (timing.medianMicros() * 1e3);
    }
}
