package dev.qlinear.cli.bench;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * Where, when and how a report was measured.
 *
 * @param date when the run started
 * @param device the GPU
 * @param jdk the Java runtime, such as {@code 25.0.1+8-LTS (Eclipse Adoptium)}
 * @param qlinearVersion the CLI's version
 * @param settings what was measured
 */
public record BenchHeader(Instant date, DeviceSummary device, String jdk, String qlinearVersion, BenchSettings settings) {

    public BenchHeader {
        requireNonNull(date, "date is null");
        requireNonNull(device, "device is null");
        requireNonNull(jdk, "jdk is null");
        requireNonNull(qlinearVersion, "qlinearVersion is null");
        requireNonNull(settings, "settings is null");
    }
}
