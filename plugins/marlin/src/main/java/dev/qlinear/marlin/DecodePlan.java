package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the decode kernel ({@code marlin_decode_*_tt{1,2}}) runs up to {@value #MAX_ROWS} rows: blocks of
 * {@value #THREADS} threads, each warp one 64-column chunk (a block {@value #BLOCK_N} columns), over a range of whole
 * stages of {@value #STAGE_K} rows of K; the weights enter {@code mma.m16n8k16} as the A operand (a marlin word is a
 * whole A fragment of 16 columns) and 8 tokens a token tile as B. K is split as {@link MarlinPlan} splits it (the split
 * count, 1 to {@value #MAX_SPLITS} with at least {@value #MIN_STAGES_PER_SPLIT} stages each, that fills the last wave
 * of {@value #RESIDENT_BLOCKS} blocks a multiprocessor best, a larger count only when it fills 2 % more), the splits'
 * float32 sums added in split order by {@code marlin_reduce_*}. This is {@code decode_plan_of} of
 * {@code src/test/cuda/marlin_check.cu}.
 *
 * @param tokenTiles tiles of 8 tokens: 1 up to 8 rows, else 2
 * @param splits blocks along K
 * @param stagesPerSplit stages of K per split
 * @param kernelLaunch a block per 256 columns (the last may hold fewer chunks) and split
 * @param reduce the split-K sum, when K is split
 * @param gather the launch of {@code marlin_gather_*}
 * @param partialFloats {@code splits * M * N} when split
 */
record DecodePlan(int tokenTiles, int splits, int stagesPerSplit, LaunchConfig kernelLaunch, Optional<LaunchConfig> reduce, LaunchConfig gather,
        long partialFloats) implements ChunkPlan {

    static final int MAX_ROWS = 16;
    static final int THREADS = 128;
    static final int BLOCK_N = 256;
    static final int STAGE_K = 128;
    static final int MAX_SPLITS = 32;
    static final int MIN_STAGES_PER_SPLIT = 2;
    /** The kernel's launch bounds, {@code DecodeStage::BLOCKS_PER_SM}. */
    static final int RESIDENT_BLOCKS = 3;
    /**
     * {@code DecodeStage::SHARED}: 3 pipeline stages of the words (8 tiles by 4 chunks of 512 bytes), 16 activation
     * rows of {@value #STAGE_K} halves, and up to 4 group rows of {@value #BLOCK_N} scales and of 256 4-bit zero points.
     */
    static final int SHARED_BYTES = 3 * (8 * 4 * 512 + 16 * STAGE_K * 2 + 4 * BLOCK_N * 2 + 4 * BLOCK_N / 2);

    DecodePlan {
        requireNonNull(kernelLaunch, "kernelLaunch is null");
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
    static DecodePlan of(int m, int k, int n, int multiprocessors, long partialFloatBudget) {
        if (m < 1 || m > MAX_ROWS) {
            throw new IllegalArgumentException("the decode kernel runs 1 to " + MAX_ROWS + " rows, got M=" + m);
        }
        if (k % STAGE_K != 0 || n % MarlinPlan.BLOCK_N != 0 || n < MarlinPlan.BLOCK_N) {
            throw new IllegalArgumentException("the decode kernel tiles K by " + STAGE_K + " and N by " + MarlinPlan.BLOCK_N + ", got K=" + k + " N=" + n);
        }
        int columnBlocks = MarlinPlan.ceilDiv(n, BLOCK_N);
        int stages = k / STAGE_K;
        long resident = (long) RESIDENT_BLOCKS * multiprocessors;
        int best = 1;
        double bestEfficiency = 0;
        for (int splits = 1; splits <= MAX_SPLITS && stages / splits >= MIN_STAGES_PER_SPLIT; splits++) {
            long blocks = (long) columnBlocks * splits;
            double efficiency = (double) blocks / (MarlinPlan.ceilDiv(blocks, resident) * resident);
            if (efficiency > bestEfficiency + MarlinPlan.SPLIT_GAIN) {
                best = splits;
                bestEfficiency = efficiency;
            }
        }
        long perSplit = (long) m * n;
        if (best > 1 && best * perSplit > partialFloatBudget) {
            best = (int) Math.max(1, partialFloatBudget / perSplit);
        }
        int stagesPerSplit = MarlinPlan.ceilDiv(stages, best);
        int splits = MarlinPlan.ceilDiv(stages, stagesPerSplit);
        LaunchConfig kernel = new LaunchConfig(Math.multiplyExact(columnBlocks, splits), 1, 1, THREADS, 1, 1, SHARED_BYTES);
        Optional<LaunchConfig> reduce = splits > 1
                ? Optional.of(LaunchConfig.linear(Math.toIntExact(MarlinPlan.ceilDiv(perSplit / 4, MarlinPlan.THREADS)), MarlinPlan.THREADS, 0))
                : Optional.empty();
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(MarlinPlan.ceilDiv((long) m * k, MarlinPlan.THREADS)), MarlinPlan.THREADS, 0);
        return new DecodePlan(m <= 8 ? 1 : 2, splits, stagesPerSplit, kernel, reduce, gather, splits > 1 ? splits * perSplit : 0);
    }
}
