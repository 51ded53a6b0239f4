package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the tiled kernel ({@code exllama_tiled_w4_bm*}, sm_90a only) runs {@value DecodePlan#MAX_ROWS} &lt; M &lt;=
 * {@value #MAX_ROWS} rows of a 4-bit layer: tiles of {@value #BLOCK_N} columns by {@code blockRows} tokens, the lowest
 * of 64, 128 and 256 that covers M, each block a producer warp that streams its share of K through TMA into a ring of
 * shared-memory stages (the activation tile and the word rows each through a tensor map) and two warpgroups that
 * dequantize and multiply with Hopper's warpgroup MMA. The grid is whole waves of whole tiles (all of K, written
 * straight out), then a tail: the remaining column blocks' tiles, K split so that they fill one wave (at least {@value
 * #MIN_STAGES_PER_SPLIT} stages of {@value #STAGE_K} a split, at most {@value #MAX_SPLITS} splits), whose float32
 * partial sums {@code exllama_reduce} adds in split order, so results do not depend on timing. A tail of more than half
 * a wave is not split. The constants mirror {@code TiledShape} in {@code exllama.cu}; {@code
 * src/test/cuda/exllama_check.cu} plans the same way, and its {@code tiled} mode measured the choices on the Llama-3
 * layers (H100, 2026-11-21 and -22): the split tail took 8B qkv at M = 1024 from 103 to 91 µs, 70B qkv from 303 to 256
 * µs, 70B gate_up at M = 256 from 411 to 361 µs; taller blocks or a wave-count model were no faster; up to {@value
 * #MAX_ROWS} rows the kernel is as fast as dequantize + cuBLAS or faster on most layers, and above it dequantize +
 * cuBLAS is.
 *
 * @param blockRows tokens per block: 64, 128 or 256
 * @param wholeColumns column blocks whose tiles run whole, first in the grid
 * @param splits blocks along K of each tail tile (1: no tail, every column block is whole)
 * @param stagesPerSplit stages of {@value #STAGE_K} K each split streams (the last may stream fewer)
 * @param activation the activation's tensor map: rows of K halves, a box of {@value #STAGE_K} by {@code blockRows}
 *        with 128-byte swizzle (the kernel's stage)
 * @param launch the tiled kernel's launch: a block per whole tile, then one per split of each tail tile
 * @param reduce the sum of the tail's splits, when there is a tail
 * @param gather the launch of {@code exllama_gather} for an act-order layer or an activation the kernel cannot read as
 *        it is (not 16-byte aligned, which a tensor map needs)
 * @param partialFloats float32 workspace elements the tail's partial sums take (0 without a tail)
 */
record TiledPlan(int blockRows, int wholeColumns, int splits, int stagesPerSplit, TensorMapLayout activation, LaunchConfig launch,
        Optional<LaunchConfig> reduce, LaunchConfig gather, long partialFloats) {

    static final int MAX_ROWS = 1024;
    /** Two consumer warpgroups and the producer warp. */
    static final int THREADS = 2 * 128 + 32;
    static final int BLOCK_N = 128;
    static final int STAGE_K = 64;
    static final int MIN_STAGES_PER_SPLIT = 16;
    static final int MAX_SPLITS = 8;

    TiledPlan {
        requireNonNull(activation, "activation is null");
        requireNonNull(launch, "launch is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(gather, "gather is null");
    }

    /** Whether the kernel covers a layer: 4-bit codes, K and the group a multiple of the 64-K stage, N of the block. */
    static boolean fits(int bits, int k, int n, int groupSize) {
        return bits == 4 && k % STAGE_K == 0 && n % BLOCK_N == 0 && groupSize % STAGE_K == 0;
    }

    static TiledPlan of(int m, int k, int n, int multiprocessors) {
        if (m <= DecodePlan.MAX_ROWS || m > MAX_ROWS) {
            throw new IllegalArgumentException("the tiled kernel runs " + (DecodePlan.MAX_ROWS + 1) + " to " + MAX_ROWS + " rows, got M=" + m);
        }
        int rows = m <= 64 ? 64 : m <= 128 ? 128 : 256;
        int stages = k / STAGE_K;
        int tokenTiles = FusedPlan.ceilDiv(m, rows);
        int columns = n / BLOCK_N;
        int resident = residentBlocks(rows) * multiprocessors;
        int wholeColumns = Math.min(columns, columns * tokenTiles / resident * resident / tokenTiles);
        int wanted = wholeColumns < columns
                ? Math.max(1, Math.min(Math.min(resident / ((columns - wholeColumns) * tokenTiles), stages / MIN_STAGES_PER_SPLIT), MAX_SPLITS))
                : 1;
        if (wanted == 1) {
            wholeColumns = columns;
        }
        int perSplit = FusedPlan.ceilDiv(stages, wanted);
        int splits = FusedPlan.ceilDiv(stages, perSplit);
        int blocks = (wholeColumns + (columns - wholeColumns) * splits) * tokenTiles;
        LaunchConfig launch = new LaunchConfig(blocks, 1, 1, THREADS, 1, 1, sharedBytes(rows));
        long tailWidth = (long) (columns - wholeColumns) * BLOCK_N;
        Optional<LaunchConfig> reduce = splits > 1
                ? Optional.of(LaunchConfig.linear(Math.toIntExact(FusedPlan.ceilDiv(m * tailWidth / 8, FusedPlan.REDUCE_THREADS)), FusedPlan.REDUCE_THREADS, 0))
                : Optional.empty();
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(FusedPlan.ceilDiv((long) m * k / 8, DecodePlan.GATHER_THREADS)), DecodePlan.GATHER_THREADS, 0);
        TensorMapLayout activation = new TensorMapLayout(ScalarType.FLOAT16, k, STAGE_K, rows, TensorMapLayout.Swizzle.BYTES_128);
        return new TiledPlan(rows, wholeColumns, splits, perSplit, activation, launch, reduce, gather, splits > 1 ? splits * m * tailWidth : 0);
    }

    /**
     * The codes' tensor map: rows of N 32-bit words (8 codes of K each), a box of a column block's
     * {@value #BLOCK_N} words by a stage's 8 rows, unswizzled: the word rows as the consumers read them.
     */
    static TensorMapLayout words(int n) {
        return new TensorMapLayout(ScalarType.INT32, n, BLOCK_N, STAGE_K / 8, TensorMapLayout.Swizzle.NONE);
    }

    /** The first column of the tail, where the reduction starts. */
    int tailColumn() {
        return wholeColumns * BLOCK_N;
    }

    /**
     * Workspace bytes of the largest call: partial sums (the tail's splits fit one wave, so they hold at most a wave of
     * 256 by {@value #BLOCK_N} tiles) and a gathered activation of {@value #MAX_ROWS} rows.
     */
    static long workspaceBytes(int k, int multiprocessors) {
        return 4L * multiprocessors * 256 * BLOCK_N + 2L * MAX_ROWS * k;
    }

    /** Blocks of this height resident per multiprocessor: two of 64 rows, whose ring is sized for it, else one. */
    static int residentBlocks(int blockRows) {
        return blockRows == 64 ? 2 : 1;
    }

    /**
     * Dynamic shared memory: the ring's stages of the activation tile (blockRows by 64 halves), 8 word rows of
     * {@value #BLOCK_N} columns and a row of scales, each rounded to 1024 bytes; a full and an empty barrier (8 bytes
     * each) per stage; and 1024 bytes to align the first stage.
     */
    static int sharedBytes(int blockRows) {
        int stages = switch (blockRows) {
            case 64 -> 6;
            case 128 -> 8;
            case 256 -> 6;
            default -> throw new IllegalArgumentException("a tiled block has 64, 128 or 256 rows, got " + blockRows);
        };
        int stage = blockRows * STAGE_K * 2 + STAGE_K / 8 * BLOCK_N * 4 + BLOCK_N * 2;
        return stages * ((stage + 1023) / 1024 * 1024) + 16 * stages + 1024;
    }
}
