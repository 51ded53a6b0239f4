package dev.qlinear.conformance;

import static java.util.Objects.requireNonNull;

/**
 * What a run was asked to do.
 *
 * @param platform the platform under test
 * @param host this machine's platform
 * @param seed the seed of the sample and of every case's data
 * @param maxMacs the size cap
 * @param maxCases computed cases per kernel
 * @param plannedCases cases planned over all kernels
 */
public record RunInfo(String platform, String host, long seed, long maxMacs, int maxCases, int plannedCases) {
    public RunInfo {
        requireNonNull(platform, "platform is null");
        requireNonNull(host, "host is null");
    }

    /** The header a run prints first. */
    public String describe() {
        return "qlinear conformance on " + platform + (platform.equals(host) ? "" : " (this machine: " + host + ")") + ": seed " + seed
                + " (rerun with -D" + ConformanceSettings.SEED + "=" + seed + "), size cap M*N*K <= " + maxMacs + " (-D" + ConformanceSettings.MAX_MACS
                + "), " + maxCases + " computed cases per kernel, more where covering every swept value once needs them (-D" + ConformanceSettings.MAX_CASES + "), " + plannedCases + " cases planned";
    }
}
