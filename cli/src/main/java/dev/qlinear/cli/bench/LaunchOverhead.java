package dev.qlinear.cli.bench;

import java.util.Optional;
import java.util.OptionalDouble;

import static java.util.Objects.requireNonNull;

/**
 * What launching costs a kernel at M = 1: host time per {@code apply} (measured around enqueued calls without
 * synchronizing), the part of it that is the driver's launch calls (as many bare launches of an empty kernel through
 * the same path as {@code apply} made launches), and device time per apply of direct launches versus a replayed CUDA
 * graph of the same calls.
 *
 * @param kernel the kernel id
 * @param layer N × K
 * @param hostCalls calls enqueued for each host measurement
 * @param hostMicrosPerCall host time per {@code apply}, the driver's launch call included
 * @param launchesPerApply kernels one {@code apply} launched through core (counted on the stream; 1 in reports made
 *        before they were counted, when every kernel measured made one launch at M = 1)
 * @param bareLaunchMicros host time per bare launch; absent in reports made before it was measured
 * @param directMicrosPerApply device time per apply of back-to-back direct launches (event-timed)
 * @param graphMicrosPerApply device time per apply of a replayed graph, when capturing worked
 * @param graphProblem why no graph was replayed, when capturing failed
 */
public record LaunchOverhead(String kernel, LayerKey layer, int hostCalls, double hostMicrosPerCall, double launchesPerApply,
        OptionalDouble bareLaunchMicros, double directMicrosPerApply, OptionalDouble graphMicrosPerApply, Optional<String> graphProblem) {

    /** The target for the Java side of {@code apply}. */
    public static final double HOST_TARGET_MICROS = 5.0;

    public LaunchOverhead {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(layer, "layer is null");
        requireNonNull(bareLaunchMicros, "bareLaunchMicros is null");
        requireNonNull(graphMicrosPerApply, "graphMicrosPerApply is null");
        requireNonNull(graphProblem, "graphProblem is null");
        if (graphMicrosPerApply.isPresent() == graphProblem.isPresent()) {
            throw new IllegalArgumentException("a launch measurement has either a graph time or the reason it has none, for " + kernel + " " + layer);
        }
        if (hostCalls < 1 || !(hostMicrosPerCall > 0) || !(directMicrosPerApply > 0)) {
            throw new IllegalArgumentException("launch times must be positive, got " + hostCalls + " calls, host " + hostMicrosPerCall
                    + " µs, direct " + directMicrosPerApply + " µs for " + kernel + " " + layer);
        }
        if (!(launchesPerApply >= 0)) {
            throw new IllegalArgumentException("launches per apply cannot be negative, got " + launchesPerApply + " for " + kernel + " " + layer);
        }
        if (bareLaunchMicros.isPresent() && !(bareLaunchMicros.getAsDouble() > 0)) {
            throw new IllegalArgumentException("a bare launch must take positive time, got " + bareLaunchMicros.getAsDouble() + " µs for " + kernel + " " + layer);
        }
    }

    /**
     * The Java side of {@code apply}: its host time less a bare launch per kernel it launched (not below zero: the two
     * are measured apart), or the whole host time where no bare launch was measured.
     */
    public double javaMicrosPerCall() {
        return bareLaunchMicros.isPresent() ? Math.max(0.0, hostMicrosPerCall - launchesPerApply * bareLaunchMicros.getAsDouble()) : hostMicrosPerCall;
    }

    public boolean javaWithinTarget() {
        return javaMicrosPerCall() <= HOST_TARGET_MICROS;
    }

    /** Direct over graph time per apply: above 1 when the graph removed launch gaps. */
    public OptionalDouble graphSpeedup() {
        return graphMicrosPerApply.isPresent() ? OptionalDouble.of(directMicrosPerApply / graphMicrosPerApply.getAsDouble()) : OptionalDouble.empty();
    }
}
