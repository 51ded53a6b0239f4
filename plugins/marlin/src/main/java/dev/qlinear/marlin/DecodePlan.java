package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the decode kernel ({@code marlin_decode_*_tt{1,2}}) runs M &lt;= {@value #MAX_ROWS} rows of a layer: a persistent
 * grid of B blocks of {@value #THREADS} threads, {@value #BLOCKS_PER_MULTIPROCESSOR} per multiprocessor (fewer when the
 * layer has fewer units), sharing the layer's T units of work (a column block of {@value #BLOCK_N} columns, the last one
 * possibly narrower, by a stage of {@value #STAGE_K} rows of K) stream-K: block b streams units
 * {@code [b T / B, (b + 1) T / B)}. The column blocks split between blocks are summed from their float32 partial sums,
 * in block order, by {@code marlin_decode_reduce_*} launched next, so results do not depend on timing. Where the
 * sm_90a image runs, both launches {@linkplain LaunchConfig#overlapsPrevious overlap the work ahead of them}. The
 * constants mirror {@code DecodeStage} in {@code marlin.cu}.
 *
 * @param tokenTiles tiles of 8 rows: 1 for M &lt;= 8, 2 for M &lt;= 16
 * @param launch the decode kernel's launch
 * @param unitsPerColumn stages of K per column block
 * @param reduce the launch of {@code marlin_decode_reduce_*}, when the blocks split a column block: a block per column
 *        block by {@code ceil(M * 256 / reduceColumns(M) / 128)}, one thread per 2 (M &lt;= 8) or 4 columns of a row
 * @param gather the launch of {@code marlin_gather_*}, one thread per element of the M x K activation, for an
 *        act-order layer or an activation the kernel cannot stream as it is
 * @param partialFloats float32 workspace elements the partial sums may take: two slots (a block's first and last
 *        column block) of M by {@value #BLOCK_N} per block
 */
record DecodePlan(int tokenTiles, LaunchConfig launch, int unitsPerColumn, Optional<LaunchConfig> reduce, LaunchConfig gather, long partialFloats) {

    static final int MAX_ROWS = 16;
    static final int THREADS = 256;
    static final int BLOCK_N = 256;
    static final int STAGE_K = 128;
    static final int STAGES = 3;
    /** The kernel's launch bounds: blocks resident per multiprocessor. */
    static final int BLOCKS_PER_MULTIPROCESSOR = 2;
    /** Threads of {@code marlin_decode_reduce_*}, one per 4 columns of a row. */
    static final int REDUCE_THREADS = 128;
    static final int GATHER_THREADS = 256;

    DecodePlan {
        requireNonNull(launch, "launch is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(gather, "gather is null");
    }

    /**
     * @param multiprocessors the device's multiprocessor count
     * @param overlapping whether the launches may overlap the work ahead of them (the kernel image waits for that work)
     */
    static DecodePlan of(int m, int k, int n, int multiprocessors, boolean overlapping) {
        if (m < 1 || m > MAX_ROWS) {
            throw new IllegalArgumentException("the decode kernel runs 1 to " + MAX_ROWS + " rows, got M=" + m);
        }
        if (k % STAGE_K != 0 || k < STAGE_K || n % MarlinPlan.BLOCK_N != 0 || n < MarlinPlan.BLOCK_N) {
            throw new IllegalArgumentException("the decode kernel tiles K by " + STAGE_K + " and N by " + MarlinPlan.BLOCK_N + ", got K=" + k + " N=" + n);
        }
        int tiles = m <= 8 ? 1 : 2;
        int unitsPerColumn = k / STAGE_K;
        int columnBlocks = MarlinPlan.ceilDiv(n, BLOCK_N);
        long units = (long) columnBlocks * unitsPerColumn;
        int blocks = (int) Math.min(units, (long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors);
        LaunchConfig ordered = LaunchConfig.linear(blocks, THREADS, sharedBytes(tiles));
        // the sm_90a kernels do what does not depend on the work ahead (prefetch the weights) first, then wait for it
        LaunchConfig launch = overlapping ? ordered.overlappingPrevious() : ordered;
        Optional<LaunchConfig> reduce = Optional.empty();
        if (splitsAColumnBlock(blocks, units, unitsPerColumn)) {
            LaunchConfig sums = new LaunchConfig(columnBlocks, MarlinPlan.ceilDiv(m * BLOCK_N / reduceColumns(m), REDUCE_THREADS), 1, REDUCE_THREADS, 1, 1, 0);
            reduce = Optional.of(overlapping ? sums.overlappingPrevious() : sums);
        }
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(MarlinPlan.ceilDiv((long) m * k, GATHER_THREADS)), GATHER_THREADS, 0);
        return new DecodePlan(tiles, launch, unitsPerColumn, reduce, gather, partialFloats(blocks, m));
    }

    /**
     * Columns of one row a thread of {@code marlin_decode_reduce_*} adds: 2 up to 8 rows, so that at M = 1 every thread
     * has columns to add, else 4.
     */
    static int reduceColumns(int m) {
        return m <= 8 ? 2 : 4;
    }

    /** Whether some block's share of the units, {@code [b T / B, (b + 1) T / B)}, starts inside a column block. */
    private static boolean splitsAColumnBlock(int blocks, long units, int unitsPerColumn) {
        for (long block = 1; block < blocks; block++) {
            if (block * units / blocks % unitsPerColumn != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Workspace bytes of the largest call: the partial sums of {@value #BLOCKS_PER_MULTIPROCESSOR} blocks per
     * multiprocessor and a gathered activation, of {@value #MAX_ROWS} rows.
     */
    static long workspaceBytes(int k, int multiprocessors) {
        return 4 * partialFloats((long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors, MAX_ROWS) + 2L * MAX_ROWS * k;
    }

    /** Two slots per block (its first and last column block) of M by {@value #BLOCK_N} sums. */
    private static long partialFloats(long blocks, int m) {
        return 2 * blocks * m * BLOCK_N;
    }

    /**
     * Dynamic shared memory: {@value #STAGES} stages, each the words of a unit ({@value #STAGE_K} rows by
     * {@value #BLOCK_N} 4-bit codes) and 8 activation rows of {@value #STAGE_K} halves per token tile.
     */
    static int sharedBytes(int tokenTiles) {
        return STAGES * (STAGE_K * BLOCK_N / 2 + 8 * tokenTiles * STAGE_K * 2);
    }
}
