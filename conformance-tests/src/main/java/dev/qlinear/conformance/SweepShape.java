package dev.qlinear.conformance;

/**
 * A K x N of the sweep as a kernel sees it, and the unsharded layer it is a tensor-parallel partition of.
 *
 * @param k K of the partition
 * @param n N of the partition
 * @param fullK K of the whole layer; larger than K for a row-parallel partition
 * @param fullN N of the whole layer; larger than N for a column-parallel partition
 */
public record SweepShape(int k, int n, int fullK, int fullN) {

    public SweepShape {
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("K and N must be positive, got K=" + k + " N=" + n);
        }
        if (fullK < k || fullK % k != 0) {
            throw new IllegalArgumentException("partition K=" + k + " must divide full K=" + fullK);
        }
        if (fullN < n || fullN % n != 0) {
            throw new IllegalArgumentException("partition N=" + n + " must divide full N=" + fullN);
        }
        if (fullK != k && fullN != n) {
            throw new IllegalArgumentException("a partition splits K (row-parallel) or N (column-parallel), not both: K=" + k + " of " + fullK
                    + ", N=" + n + " of " + fullN);
        }
    }

    /** An unsharded K x N. */
    public static SweepShape of(int k, int n) {
        return new SweepShape(k, n, k, n);
    }

    /** Rank's share of a row-parallel layer: K split over {@code ranks}. */
    public static SweepShape rowParallel(int fullK, int n, int ranks) {
        if (ranks < 1 || fullK % ranks != 0) {
            throw new IllegalArgumentException(ranks + " ranks must divide full K=" + fullK);
        }
        return new SweepShape(fullK / ranks, n, fullK, n);
    }

    /** Rank's share of a column-parallel layer: N split over {@code ranks}. */
    public static SweepShape columnParallel(int k, int fullN, int ranks) {
        if (ranks < 1 || fullN % ranks != 0) {
            throw new IllegalArgumentException(ranks + " ranks must divide full N=" + fullN);
        }
        return new SweepShape(k, fullN / ranks, k, fullN);
    }

    public boolean isPartition() {
        return fullK != k || fullN != n;
    }

    /** {@code K=2752/11008 N=256}: the partition's size with the full layer's after a slash. */
    public String label() {
        return "K=" + k + (fullK != k ? "/" + fullK : "") + " N=" + n + (fullN != n ? "/" + fullN : "");
    }

    /** {@code k2752of11008-n256}. */
    public String id() {
        return "k" + k + (fullK != k ? "of" + fullK : "") + "-n" + n + (fullN != n ? "of" + fullN : "");
    }

    public long elements() {
        return (long) k * n;
    }
}
