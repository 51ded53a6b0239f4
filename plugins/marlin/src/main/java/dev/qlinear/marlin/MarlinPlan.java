package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How a GEMM kernel runs M &gt; {@value DecodePlan#MAX_ROWS} rows of a layer (the decode kernel runs fewer), over a range of
 * whole stages of K a block. The sync-MMA kernel ({@code marlin_gemm_*_mb4}, {@link #of}) takes blocks of
 * {@value #THREADS} threads, each {@value #BLOCK_N} columns by {@value #BLOCK_ROWS} rows over stages of
 * {@value #STAGE_K} rows of K; the warpgroup kernel of the sm_90a image ({@code marlin_hopper_*_t{64,128,256}},
 * {@link #warpgroup}) blocks of {@value #WARPGROUP_THREADS} threads (two warpgroups and a producer warp), each
 * {@value #WARPGROUP_BLOCK_N} columns by 64, 128 or 256 rows (the fewest that hold M, 256 at most) over stages of
 * {@value #STAGE_K} rows of K, the activation read through a tensor map.
 * K is split over {@code splits} blocks when the column and row blocks alone fill the resident slots of the GPU badly.
 * The sync-MMA kernel takes the split count (1 to {@value #MAX_SPLITS}, each split at least
 * {@value #MIN_STAGES_PER_SPLIT} stages) that fills the last wave best, a larger count taken only when it fills at least
 * 2 % more. The warpgroup kernel weighs what a split costs too: its float32 partial sums, written and read once more,
 * move {@code 8 M N} bytes a split, as much as the whole layer's words at M = K / 16; it takes the count (each split at
 * least {@value #WARPGROUP_MIN_STAGES_PER_SPLIT} stages) of the least {@link #warpgroupCost}. The splits' partial sums
 * go through the workspace to {@code marlin_reduce_*}, which adds them in split order, so results do not depend on
 * timing.
 * This is {@code plan_of} and {@code hopper_plan_of} of {@code src/test/cuda/marlin_check.cu}, which verified the
 * kernels with it on an H100, plus one rule of the plugin's own: splits whose partial sums would exceed the workspace
 * reserved for them are reduced until they fit (never the case up to {@value MarlinLauncher#PARTIAL_ROWS} rows, for
 * which it is reserved).
 *
 * @param blockRows rows of M a block
 * @param rowBlocks blocks along M
 * @param splits blocks along K
 * @param stagesPerSplit stages of K per split (the last split may have fewer)
 * @param gemm the GEMM kernel's launch: grid (column blocks times {@code splits}, {@code rowBlocks}), for the warpgroup
 *        kernel ({@code rowBlocks}, column blocks times {@code splits}), and its dynamic shared memory
 * @param activation the warpgroup kernel's tensor map of the activation (boxes of 64 elements of K by {@code blockRows}
 *        rows, 128-byte swizzled); empty for the sync-MMA kernel
 * @param reduce the launch of the split-K sum, when K is split: one thread per 4 outputs
 * @param gather the launch of {@code marlin_gather_*}, one thread per element of the M x K activation, for an
 *        act-order layer or an activation the kernel cannot stream as it is
 * @param partialFloats float32 workspace elements the partial sums take, {@code splits * M * N} when split
 */
record MarlinPlan(int blockRows, int rowBlocks, int splits, int stagesPerSplit, LaunchConfig gemm, Optional<LaunchConfig> reduce, LaunchConfig gather,
        long partialFloats, Optional<TensorMapLayout> activation) {

    static final int THREADS = 256;
    static final int BLOCK_N = 64;
    /** Four tiles of 16 rows, the kernel's {@code MB}. */
    static final int BLOCK_ROWS = 64;
    static final int STAGE_K = 128;
    static final int MAX_SPLITS = 16;
    static final int MIN_STAGES_PER_SPLIT = 4;
    /** A split count is taken over a smaller one only when it fills the resident slots by this much more. */
    static final double SPLIT_GAIN = 0.02;
    /** Two warpgroups and the producer warp: {@code HOPPER_THREADS}. */
    static final int WARPGROUP_THREADS = 288;
    /** Two warpgroups of 64 columns: {@code HOPPER_N}. */
    static final int WARPGROUP_BLOCK_N = 128;
    /** Splits of at least 1024 rows of K. */
    static final int WARPGROUP_MIN_STAGES_PER_SPLIT = 8;
    /**
     * Bytes the device moves while a multiprocessor does one FLOP on its tensor cores, for the warpgroup kernel's split
     * cost: on an H100, 2.5 TB/s sustained against about 5.4 TFLOP/s a multiprocessor (989 TFLOP/s dense fp16 over 132,
     * at the 75 % the kernel reaches). It puts the partial sums' traffic and the weights' streaming in stage times.
     */
    static final double BYTES_PER_MULTIPROCESSOR_FLOP = 2.5 / 5.4;
    /** Rows of M a warpgroup block takes: the N of {@code wgmma.m64nNk16}. */
    static final List<Integer> WARPGROUP_BLOCK_ROWS = List.of(64, 128, 256);

    MarlinPlan {
        requireNonNull(gemm, "gemm is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(gather, "gather is null");
        requireNonNull(activation, "activation is null");
        if (reduce.isPresent() != splits > 1) {
            throw new IllegalArgumentException("a plan reduces exactly when K is split, got " + splits + " splits");
        }
    }

    /**
     * @param multiprocessors the device's multiprocessor count
     * @param partialFloatBudget float32 workspace elements reserved for partial sums
     */
    static MarlinPlan of(int m, int k, int n, int multiprocessors, long partialFloatBudget) {
        requireShape(m, k, n);
        int rowBlocks = ceilDiv(m, BLOCK_ROWS);
        int stages = k / STAGE_K;
        long blockTiles = (long) (n / BLOCK_N) * rowBlocks;
        int splits = waveFillingSplits(m, n, stages, blockTiles, (long) RESIDENT_BLOCKS * multiprocessors, partialFloatBudget);
        return plan(Optional.empty(), m, k, n, BLOCK_ROWS, rowBlocks, n / BLOCK_N, stages, splits, SHARED_BYTES);
    }

    /** The warpgroup kernel's plan (the sm_90a image's {@code marlin_hopper_*}) for activations of {@code type}. */
    static MarlinPlan warpgroup(int m, int k, int n, ScalarType type, int multiprocessors, long partialFloatBudget) {
        requireShape(m, k, n);
        int blockRows = WARPGROUP_BLOCK_ROWS.stream().filter(rows -> rows >= m).findFirst().orElse(WARPGROUP_BLOCK_ROWS.getLast());
        int rowBlocks = ceilDiv(m, blockRows);
        int stages = k / STAGE_K;
        int columnBlocks = ceilDiv(n, WARPGROUP_BLOCK_N);
        long blockTiles = (long) columnBlocks * rowBlocks;
        int splits = 1;
        for (int candidate = 2; candidate <= MAX_SPLITS && stages / candidate >= WARPGROUP_MIN_STAGES_PER_SPLIT; candidate++) {
            if ((long) candidate * m * n <= partialFloatBudget
                    && warpgroupCost(m, k, n, blockRows, blockTiles, multiprocessors, candidate) < warpgroupCost(m, k, n, blockRows, blockTiles, multiprocessors, splits)) {
                splits = candidate;
            }
        }
        TensorMapLayout activation = new TensorMapLayout(type, k, 64, blockRows, TensorMapLayout.Swizzle.BYTES_128);
        return plan(Optional.of(activation), m, k, n, blockRows, rowBlocks, columnBlocks, stages, splits, warpgroupSharedBytes(blockRows));
    }

    /**
     * The warpgroup kernel's tensor map of the codes: [K / 16, 2N] 32-bit words (a 16-row tile of the layer a row), a
     * box of a block's {@code 2 *} {@value #WARPGROUP_BLOCK_N} words by a stage's {@value #STAGE_K} / 16 tiles,
     * unswizzled.
     */
    static TensorMapLayout warpgroupWords(int n) {
        return new TensorMapLayout(ScalarType.INT32, 2L * n, 2 * WARPGROUP_BLOCK_N, STAGE_K / 16, TensorMapLayout.Swizzle.NONE);
    }

    /**
     * The warpgroup kernel's tensor map of the scales: [groups, N] of the activation type, a box of a block's
     * {@value #WARPGROUP_BLOCK_N} by the group rows a stage of {@value #STAGE_K} rows of K spans (one with a single
     * group or groups of {@value #STAGE_K}), unswizzled.
     */
    static TensorMapLayout warpgroupScales(ScalarType type, int n, int k, int groupSize) {
        int rows = groupSize >= k ? 1 : Math.max(1, STAGE_K / groupSize);
        return new TensorMapLayout(type, n, WARPGROUP_BLOCK_N, rows, TensorMapLayout.Swizzle.NONE);
    }

    /** The rows of the scales: one a group of {@code groupSize} rows of K. */
    static int scaleRows(int k, int groupSize) {
        return groupSize >= k ? 1 : k / groupSize;
    }

    private static void requireShape(int m, int k, int n) {
        if (m <= DecodePlan.MAX_ROWS) {
            throw new IllegalArgumentException("the GEMM kernel runs more than " + DecodePlan.MAX_ROWS + " rows (the decode kernel fewer), got M=" + m);
        }
        if (k % STAGE_K != 0 || k < STAGE_K || n % BLOCK_N != 0 || n < BLOCK_N) {
            throw new IllegalArgumentException("the GEMM kernel tiles K by " + STAGE_K + " and N by " + BLOCK_N + ", got K=" + k + " N=" + n);
        }
    }

    /**
     * The warpgroup kernel's time with {@code splits} splits, in the time a block takes for a stage: its waves of
     * blocks times the stages of a split, or the stages the words take to stream if more, plus the partial sums'
     * traffic. In a stage time each of a multiprocessor's resident blocks does {@code blockRows * 128 * 128 * 2} FLOPs,
     * so the device moves {@link #BYTES_PER_MULTIPROCESSOR_FLOP} times their sum in bytes.
     */
    static double warpgroupCost(int m, int k, int n, int blockRows, long blockTiles, int multiprocessors, int splits) {
        int blocksPerMultiprocessor = warpgroupResidentBlocks(blockRows);
        double stageBytes = BYTES_PER_MULTIPROCESSOR_FLOP * blocksPerMultiprocessor * blockRows * STAGE_K * WARPGROUP_BLOCK_N * 2.0;
        double waves = ceilDiv(blockTiles * splits, (long) blocksPerMultiprocessor * multiprocessors);
        double compute = waves * ceilDiv(k / STAGE_K, splits);
        double words = (double) n * k / 2 / stageBytes;
        double partials = splits > 1 ? 8.0 * splits * m * n / stageBytes : 0;
        return Math.max(compute, words) + partials;
    }

    /** The sync-MMA kernel's split count: the one that fills the last wave best, cut to what the partial-sum budget holds. */
    private static int waveFillingSplits(int m, int n, int stages, long blockTiles, long resident, long partialFloatBudget) {
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
        return best;
    }

    private static MarlinPlan plan(Optional<TensorMapLayout> activation, int m, int k, int n, int blockRows, int rowBlocks, int columnBlocks, int stages,
            int splitCount, int sharedBytes) {
        boolean warpgroup = activation.isPresent();
        int stagesPerSplit = ceilDiv(stages, splitCount);
        int splits = ceilDiv(stages, stagesPerSplit);
        long perSplit = (long) m * n;
        int splitColumns = Math.multiplyExact(columnBlocks, splits);
        LaunchConfig gemm = warpgroup
                ? new LaunchConfig(rowBlocks, splitColumns, 1, WARPGROUP_THREADS, 1, 1, sharedBytes)
                : new LaunchConfig(splitColumns, rowBlocks, 1, THREADS, 1, 1, sharedBytes);
        Optional<LaunchConfig> reduce = splits > 1
                ? Optional.of(LaunchConfig.linear(Math.toIntExact(ceilDiv(perSplit / 4, THREADS)), THREADS, 0))
                : Optional.empty();
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(ceilDiv((long) m * k, THREADS)), THREADS, 0);
        return new MarlinPlan(blockRows, rowBlocks, splits, stagesPerSplit, gemm, reduce, gather, splits > 1 ? splits * perSplit : 0, activation);
    }

    /** {@code HopperStage<rows>::BLOCKS_PER_SM}: two blocks of 64 rows share a multiprocessor, larger ones have one. */
    static int warpgroupResidentBlocks(int blockRows) {
        return blockRows == 64 ? 2 : 1;
    }

    /**
     * {@code HopperStage<rows>::SHARED}: its stages (4, 4 and 3 for 64, 128 and 256 rows), each the activation rows of
     * {@value #STAGE_K} halves, the words of 8 tiles of 16 rows by {@value #WARPGROUP_BLOCK_N} columns, and 4 group rows
     * of scales and of 4-bit zero points, rounded up to 1 KB; a full and an empty barrier a stage; 1 KB to align the ring.
     */
    static int warpgroupSharedBytes(int blockRows) {
        int stages = blockRows == 256 ? 3 : 4;
        int stageBytes = blockRows * STAGE_K * 2 + STAGE_K / 16 * 2 * WARPGROUP_BLOCK_N * 4 + STAGE_K / 32 * WARPGROUP_BLOCK_N * 2
                + STAGE_K / 32 * WARPGROUP_BLOCK_N / 2;
        return stages * ceilDiv(stageBytes, 1024) * 1024 + 16 * stages + 1024;
    }

    /** Whether the warpgroup kernel runs the plan (else the sync-MMA kernel). */
    boolean warpgroup() {
        return activation.isPresent();
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
