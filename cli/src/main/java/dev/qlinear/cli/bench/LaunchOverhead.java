package dev.qlinear.cli.bench;

import java.util.Optional;
import java.util.OptionalDouble;

import static java.util.Objects.requireNonNull;

/**
 * What launching costs a kernel at M = 1: host time per {@code apply} (Java side, measured around enqueued calls
 * without synchronizing), and device time per apply of direct launches versus a replayed CUDA graph of the same
 * calls.
 *
 * @param kernel the kernel id
 * @param layer N × K
 * @param hostCalls calls enqueued for the host measurement
 * @param hostMicrosPerCall host time per {@code apply}
 * @param directMicrosPerApply device time per apply of back-to-back direct launches (event-timed)
 * @param graphMicrosPerApply device time per apply of a replayed graph, when capturing worked
 * @param graphProblem why no graph was replayed, when capturing failed
 */
public record LaunchOverhead(String kernel, LayerKey layer, int hostCalls, double hostMicrosPerCall, double directMicrosPerApply,
        OptionalDouble graphMicrosPerApply, Optional<String> graphProblem) {

    /** The target for the host side of {@code apply}. */
    public static final double HOST_TARGET_MICROS = 5.0;

    public LaunchOverhead {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(layer, "layer is null");
        requireNonNull(graphMicrosPerApply, "graphMicrosPerApply is null");
        requireNonNull(graphProblem, "graphProblem is null");
        if (graphMicrosPerApply.isPresent() == graphProblem.isPresent()) {
            throw new IllegalArgumentException("a launch measurement has either a graph time or the reason it has none, for " + kernel + " " + layer);
        }
        if (hostCalls < 1 || !(hostMicrosPerCall > 0) || !(directMicrosPerApply > 0)) {
            throw new IllegalArgumentException("launch times must be positive, got " + hostCalls + " calls, host " + hostMicrosPerCall
                    + " µs, direct " + directMicrosPerApply + " µs for " + kernel + " " + layer);
        }
    }

    public boolean hostWithinTarget() {
        return hostMicrosPerCall <= HOST_TARGET_MICROS;
    }

    /** Direct over graph time per apply: above 1 when the graph removed launch gaps. */
    public OptionalDouble graphSpeedup() {
        return graphMicrosPerApply.isPresent() ? OptionalDouble.of(directMicrosPerApply / graphMicrosPerApply.getAsDouble()) : OptionalDouble.empty();
    }
}
