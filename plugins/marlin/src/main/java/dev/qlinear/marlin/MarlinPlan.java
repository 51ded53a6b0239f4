package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the GEMM kernel ({@code marlin_gemm_*_mb4}) runs M &gt; {@value DecodePlan#MAX_ROWS} rows of a layer (the decode
 * kernel runs fewer): blocks of {@value #THREADS} threads, each {@value #BLOCK_N} columns by {@value #BLOCK_ROWS} rows
 * over a range of whole stages of {@value #STAGE_K} rows of K.
 * K is split over {@code splits} blocks when the column and row blocks alone fill the resident slots of the GPU badly:
 * the split count (1 to {@value #MAX_SPLITS}, each split at least {@value #MIN_STAGES_PER_SPLIT} stages) that fills the
 * last wave best, a larger count taken only when it fills at least 2 % more. The splits' float32 partial sums then go
 * through the workspace to {@code marlin_reduce_*}, which adds them in split order, so results do not depend on timing.
 * This is {@code plan_of} of {@code src/test/cuda/marlin_check.cu}, which verified the kernels with it on an H100,
 * plus one rule of the plugin's own: splits whose partial sums would exceed the workspace reserved for them are
 * reduced until they fit (never the case up to {@value MarlinLauncher#PARTIAL_ROWS} rows, for which it is reserved).
 *
 * @param rowBlocks blocks along M ({@code m_blocks})
 * @param splits blocks along K
 * @param stagesPerSplit stages of K per split (the last split may have fewer)
 * @param gemm the GEMM kernel's launch: grid ({@code N / 64 * splits}, {@code rowBlocks}), dynamic shared memory of
 *        {@link #SHARED_BYTES}
 * @param reduce the launch of the split-K sum, when K is split: one thread per 4 outputs
 * @param gather the launch of {@code marlin_gather_*}, one thread per element of the M x K activation, for an
 *        act-order layer or an activation the kernel cannot stream as it is
 * @param partialFloats float32 workspace elements the partial sums take, {@code splits * M * N} when split
 */
record MarlinPlan(int rowBlocks, int splits, int stagesPerSplit, LaunchConfig gemm, Optional<LaunchConfig> reduce, LaunchConfig gather,
        long partialFloats) {

    static final int THREADS = 256;
    static final int BLOCK_N = 64;
    /** Four tiles of 16 rows, the kernel's {@code MB}. */
    static final int BLOCK_ROWS = 64;
    static final int STAGE_K = 128;
    static final int MAX_SPLITS = 16;
    static final int MIN_STAGES_PER_SPLIT = 4;
    /** A split count is taken over a smaller one only when it fills the resident slots by this much more. */
    static final double SPLIT_GAIN = 0.02;

    MarlinPlan {
        requireNonNull(gemm, "gemm is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(gather, "gather is null");
        if (reduce.isPresent() != splits > 1) {
            throw new IllegalArgumentException("a plan reduces exactly when K is split, got " + splits + " splits");
        }
    }

    /**
     * @param multiprocessors the device's multiprocessor count
     * @param partialFloatBudget float32 workspace elements reserved for partial sums
     */
    static MarlinPlan of(int m, int k, int n, int multiprocessors, long partialFloatBudget) {
        if (m <= DecodePlan.MAX_ROWS) {
            throw new IllegalArgumentException("the GEMM kernel runs more than " + DecodePlan.MAX_ROWS + " rows (the decode kernel fewer), got M=" + m);
        }
        if (k % STAGE_K != 0 || k < STAGE_K || n % BLOCK_N != 0 || n < BLOCK_N) {
            throw new IllegalArgumentException("the GEMM kernel tiles K by " + STAGE_K + " and N by " + BLOCK_N + ", got K=" + k + " N=" + n);
        }
        int rowBlocks = ceilDiv(m, BLOCK_ROWS);
        int stages = k / STAGE_K;
        long blockTiles = (long) (n / BLOCK_N) * rowBlocks;
        long resident = (long) RESIDENT_BLOCKS * multiprocessors;
        int best = 1;
        double bestEfficiency = 0;
        for (int splits = 1; splits <= MAX_SPLITS && stages / splits >= MIN_STAGES_PER_SPLIT; splits++) {
            long blocks = blockTiles * splits;
            double efficiency = (double) blocks / (ceilDiv(blocks, resident) * resident);
            if (efficiency > bestEfficiency + SPLIT_GAIN) {
                best = splits;
                bestEfficiency = efficiency;
            }
        }
        long perSplit = (long) m * n;
        if (best > 1 && best * perSplit > partialFloatBudget) {
            best = (int) Math.max(1, partialFloatBudget / perSplit);
        }
        int stagesPerSplit = ceilDiv(stages, best);
        int splits = ceilDiv(stages, stagesPerSplit);
        LaunchConfig gemm = new LaunchConfig(Math.multiplyExact(n / BLOCK_N, splits), rowBlocks, 1, THREADS, 1, 1, SHARED_BYTES);
        Optional<LaunchConfig> reduce = splits > 1
                ? Optional.of(LaunchConfig.linear(Math.toIntExact(ceilDiv(perSplit / 4, THREADS)), THREADS, 0))
                : Optional.empty();
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(ceilDiv((long) m * k, THREADS)), THREADS, 0);
        return new MarlinPlan(rowBlocks, splits, stagesPerSplit, gemm, reduce, gather, splits > 1 ? splits * perSplit : 0);
    }

    /** Blocks resident per multiprocessor: the kernel's launch bounds ({@code Stage<4>::BLOCKS_PER_SM}). */
    static final int RESIDENT_BLOCKS = 2;
    /**
     * Dynamic shared memory, {@code Stage<4>::SHARED}: 4 pipeline stages, each the stage's words (8 tiles of 16 rows by
     * 128 words), {@value #BLOCK_ROWS} activation rows of {@value #STAGE_K} halves, and up to {@code STAGE_K / 32} group
     * rows of {@value #BLOCK_N} scales and of {@value #BLOCK_N} 4-bit zero points.
     */
    static final int SHARED_BYTES = 4 * (STAGE_K / 16 * 2 * BLOCK_N * 4 + BLOCK_ROWS * STAGE_K * 2 + STAGE_K / 32 * BLOCK_N * 2 + STAGE_K / 32 * BLOCK_N / 2);

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
