package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the fused kernel runs M rows of a layer: blocks of {@value #THREADS} threads, each covering {@value #BLOCK_N}
 * columns, {@code 16 * tiles} rows and {@code quadsPerSplit} quads of K (a quad is 32 rows of K for 4-bit codes, 16
 * for 8-bit). K is split over {@code splits} blocks when the columns and rows alone would leave multiprocessors idle;
 * the splits' float32 partial sums then go through the workspace to {@code exllama_reduce}, which adds them in split
 * order, so results do not depend on timing. {@code src/test/cuda/exllama_check.cu} plans the same way.
 *
 * @param tiles m-tiles of 16 rows per block: 1, 2 or 4
 * @param rowChunks blocks along M
 * @param columnBlocks blocks along N
 * @param splits blocks along K
 * @param quadsPerSplit quads of K per split
 * @param fused the fused kernel's launch: grid (rowChunks, columnBlocks, splits)
 * @param reduce the reduction's launch, when K is split
 * @param partialFloats float32 workspace elements the partial sums take, {@code splits * M * N} when split
 */
record FusedPlan(int tiles, int rowChunks, int columnBlocks, int splits, int quadsPerSplit, LaunchConfig fused, Optional<LaunchConfig> reduce, long partialFloats) {

    static final int THREADS = 256;
    static final int BLOCK_N = 256;
    static final int REDUCE_THREADS = 256;
    /** Blocks resident per multiprocessor (the kernels' launch bounds) times the waves of blocks aimed for. */
    static final int BLOCKS_PER_MULTIPROCESSOR = 2 * 4;
    /** The fewest quads a split gets, so that its blocks stream more than they set up. */
    static final int MIN_QUADS_PER_SPLIT = 16;

    FusedPlan {
        requireNonNull(fused, "fused is null");
        requireNonNull(reduce, "reduce is null");
        if (reduce.isPresent() != splits > 1) {
            throw new IllegalArgumentException("a plan reduces exactly when K is split, got " + splits + " splits");
        }
    }

    /**
     * @param bits 4 or 8
     * @param multiprocessors the device's multiprocessor count
     * @param partialBytes workspace bytes reserved for partial sums; fewer splits are used when they would not fit
     */
    static FusedPlan of(int bits, int m, int k, int n, int multiprocessors, long partialBytes) {
        int tiles = m <= 16 ? 1 : m <= 32 ? 2 : 4;
        int rowChunks = ceilDiv(m, 16 * tiles);
        int columnBlocks = ceilDiv(n, BLOCK_N);
        int quads = k / quadK(bits);
        long blocks = (long) rowChunks * columnBlocks;
        long wanted = ceilDiv((long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors, blocks);
        int splits = (int) Math.max(1, Math.min(wanted, quads / MIN_QUADS_PER_SPLIT));
        long perSplit = 4L * m * n;
        if (splits > 1) {
            splits = (int) Math.max(1, Math.min(splits, partialBytes / perSplit));
        }
        int quadsPerSplit = ceilDiv(quads, splits);
        splits = ceilDiv(quads, quadsPerSplit);
        LaunchConfig fused = new LaunchConfig(rowChunks, columnBlocks, splits, THREADS, 1, 1, 0);
        Optional<LaunchConfig> reduce = splits > 1
                ? Optional.of(LaunchConfig.linear(Math.toIntExact(ceilDiv((long) m * n / 8, REDUCE_THREADS)), REDUCE_THREADS, 0))
                : Optional.empty();
        return new FusedPlan(tiles, rowChunks, columnBlocks, splits, quadsPerSplit, fused, reduce, splits > 1 ? (long) splits * m * n : 0);
    }

    /** Rows of K per quad: 4 words of 8 codes, or of 4. */
    static int quadK(int bits) {
        return 4 * 32 / bits;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
