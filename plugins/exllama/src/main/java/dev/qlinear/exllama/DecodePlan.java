package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the decode kernel ({@code exllama_decode_w*_tt*}) runs M &lt;= {@value #MAX_ROWS} rows of a layer: a persistent
 * grid of {@code blocks} blocks, {@value #BLOCKS_PER_MULTIPROCESSOR} per multiprocessor, sharing the layer's units of
 * work (a column block of {@value #BLOCK_N} by a stage of {@value #STAGE_QUADS} quads of K) stream-K. The column
 * blocks split between blocks are summed from their partial sums, in block order, by {@code exllama_decode_reduce}
 * launched next, so results do not depend on timing. From the sm_90a image both launches
 * {@linkplain LaunchConfig#overlapsPrevious overlap the work ahead of them}: consecutive calls stream weights without a
 * gap. The constants mirror {@code DecodeShape} in {@code exllama.cu}; {@code src/test/cuda/exllama_check.cu} plans
 * the same way and measured them.
 *
 * @param tokenTiles tiles of 8 rows: 1 for M &lt;= 8, 2 for M &lt;= 16
 * @param launch the decode kernel's launch
 * @param unitsPerColumn stages of K per column block
 * @param reduce the launch of {@code exllama_decode_reduce}, when the blocks split a column block
 * @param gather the launch of {@code exllama_gather}, which makes a contiguous (permuted) copy of the activation when
 *        the layer is act-order or the activation is not 16-byte aligned
 * @param partialFloats float32 workspace elements the partial sums may take
 */
record DecodePlan(int tokenTiles, LaunchConfig launch, int unitsPerColumn, Optional<LaunchConfig> reduce, LaunchConfig gather, long partialFloats) {

    static final int MAX_ROWS = 16;
    static final int THREADS = 256;
    static final int BLOCK_N = 128;
    static final int STAGE_QUADS = 8;
    static final int STAGES = 3;
    /**
     * Blocks resident per multiprocessor: a block's 256 threads take 100 to 122 registers each, so two fit an SM's
     * 64 K and three do not (their shared memory, 61.5 KB at M &lt;= 8 and 75 KB at M &lt;= 16, fits 228 KB), and the
     * H100 measurements (2026-11-21) found 2 fastest, against 1 and 3.
     */
    static final int BLOCKS_PER_MULTIPROCESSOR = 2;
    static final int GATHER_THREADS = 256;
    /** Threads of {@code exllama_decode_reduce}, one per 4 columns of a row. */
    static final int REDUCE_THREADS = 128;

    DecodePlan {
        requireNonNull(launch, "launch is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(gather, "gather is null");
    }

    /** @param overlapping whether the launch may overlap the work ahead of it (the kernel image waits for that work) */
    static DecodePlan of(int bits, int m, int k, int n, int multiprocessors, boolean overlapping) {
        if (m < 1 || m > MAX_ROWS) {
            throw new IllegalArgumentException("the decode kernel runs 1 to " + MAX_ROWS + " rows, got M=" + m);
        }
        int tiles = m <= 8 ? 1 : 2;
        int quads = k / FusedPlan.quadK(bits);
        int unitsPerColumn = FusedPlan.ceilDiv(quads, STAGE_QUADS);
        long units = (long) columnBlocks(n) * unitsPerColumn;
        int blocks = (int) Math.min(units, (long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors);
        LaunchConfig ordered = LaunchConfig.linear(blocks, THREADS, sharedBytes(bits, tiles));
        // the sm_90a kernels prefetch (decode) or skip (reduce) what does not depend on the work ahead, then wait for it
        LaunchConfig launch = overlapping ? ordered.overlappingPrevious() : ordered;
        Optional<LaunchConfig> reduce = Optional.empty();
        if (splitsAColumnBlock(blocks, units, unitsPerColumn)) {
            LaunchConfig sums = new LaunchConfig(columnBlocks(n), FusedPlan.ceilDiv(m * BLOCK_N / 4, REDUCE_THREADS), 1, REDUCE_THREADS, 1, 1, 0);
            reduce = Optional.of(overlapping ? sums.overlappingPrevious() : sums);
        }
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(FusedPlan.ceilDiv((long) m * k / 8, GATHER_THREADS)), GATHER_THREADS, 0);
        return new DecodePlan(tiles, launch, unitsPerColumn, reduce, gather, partialFloats(blocks, m));
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

    private static int columnBlocks(int n) {
        return FusedPlan.ceilDiv(n, BLOCK_N);
    }

    /** Workspace bytes of the largest call: partial sums and a gathered activation of {@value #MAX_ROWS} rows. */
    static long workspaceBytes(int k, int multiprocessors) {
        return 4 * partialFloats((long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors, MAX_ROWS) + 2L * MAX_ROWS * k;
    }

    /** Two slots per block (its first and last column block) of M by {@value #BLOCK_N} sums. */
    private static long partialFloats(long blocks, int m) {
        return 2 * blocks * m * BLOCK_N;
    }

    /** Dynamic shared memory: {@value #STAGES} stages of weights (word rows by {@value #BLOCK_N}) and activations. */
    static int sharedBytes(int bits, int tokenTiles) {
        int quadK = FusedPlan.quadK(bits);
        int stageWords = 4 * STAGE_QUADS * BLOCK_N;
        // activation rows padded 64 (4-bit) or 32 (8-bit) bytes past a multiple of 128, as the kernel does
        int activationStride = STAGE_QUADS * quadK + (bits == 4 ? 32 : 16);
        return STAGES * (4 * stageWords + 2 * 8 * tokenTiles * activationStride);
    }
}
