package dev.qlinear.cli.bench;

import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * One timed (source, layer, M): how long a call took and how many bytes it had to move.
 *
 * @param source a kernel or a baseline
 * @param name the kernel id, or the baseline's key
 * @param n output features
 * @param k input features
 * @param m rows of the activation
 * @param group the weight group size of a quantized layer (-1 channelwise); empty for dense baselines
 * @param timing µs per call
 * @param bytes bytes moved per call at the least ({@link Traffic})
 * @param kind the layer computed: a kernel's weight-only or scaled-mm layer; a baseline's is fixed by its source
 */
public record Measurement(Source source, String name, int n, int k, int m, OptionalInt group, Timing timing, long bytes, RowKind kind) {

    public Measurement {
        requireNonNull(source, "source is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(name, "name is null");
        requireNonNull(group, "group is null");
        requireNonNull(timing, "timing is null");
        if (n < 1 || k < 1 || m < 1) {
            throw new IllegalArgumentException("N, K and M must be positive, got N=" + n + " K=" + k + " M=" + m);
        }
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes moved must be positive, got " + bytes + " for " + name + " N=" + n + " K=" + k + " M=" + m);
        }
        if (source.isBaseline() && !name.equals(source.key())) {
            throw new IllegalArgumentException("a baseline row is named by its source '" + source.key() + "', got '" + name + "'");
        }
        if (source.isBaseline() ? kind != RowKind.defaultFor(source) : kind == RowKind.DENSE) {
            throw new IllegalArgumentException(source.isBaseline()
                    ? "a " + source.key() + " row is of kind " + RowKind.defaultFor(source).key() + ", got " + kind.key()
                    : "a kernel row is of kind weight-only or scaled-mm, got " + kind.key());
        }
    }

    /** A row of the kind its source implies: weight-only for a kernel. */
    public Measurement(Source source, String name, int n, int k, int m, OptionalInt group, Timing timing, long bytes) {
        this(source, name, n, k, m, group, timing, bytes, RowKind.defaultFor(source));
    }

    /** A kernel's row of an FP8 scaled-mm layer, which has no weight group. */
    public static Measurement scaledMm(String kernel, int n, int k, int m, Timing timing, long bytes) {
        return new Measurement(Source.KERNEL, kernel, n, k, m, OptionalInt.empty(), timing, bytes, RowKind.SCALED_MM);
    }

    /** A baseline row, named by its source. */
    public static Measurement baseline(Source source, int n, int k, int m, Timing timing, long bytes) {
        return new Measurement(source, source.key(), n, k, m, OptionalInt.empty(), timing, bytes);
    }

    public Series series() {
        return new Series(source, name);
    }

    public LayerKey layer() {
        return new LayerKey(n, k);
    }

    public double tflops() {
        return Traffic.flops(n, k, m) / (timing.medianMicros() * 1e6);
    }

    /** Achieved bandwidth in GB/s (10^9 bytes per second). */
    public double gigabytesPerSecond() {
        return bytes / (timing.medianMicros() * 1e3);
    }
}
