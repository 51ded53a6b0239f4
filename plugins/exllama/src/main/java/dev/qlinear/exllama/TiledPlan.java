package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;

import static java.util.Objects.requireNonNull;

/**
 * How the tiled kernel ({@code exllama_tiled_w4_bm*}, sm_90a only) runs {@value DecodePlan#MAX_ROWS} &lt; M &lt;=
 * {@value #MAX_ROWS} rows of a 4-bit layer: blocks of {@value #BLOCK_N} columns by {@code blockRows} tokens (64, 128 or
 * 256), each streaming K through a cp.async pipeline into Hopper's warpgroup MMA. Taller blocks move less activation
 * per MMA but leave the GPU idle when they are too few, so the plan takes the tallest whose grid still covers
 * {@value #MIN_WAVE_PERCENT}% of the multiprocessors. The constants mirror {@code TiledShape} in {@code exllama.cu};
 * {@code src/test/cuda/exllama_check.cu} plans the same way, and its {@code tiled} mode measured the choices (H100,
 * 2026-11-21): above {@value #MAX_ROWS} rows dequantize + cuBLAS is faster.
 *
 * @param blockRows tokens per block: 64, 128 or 256
 * @param launch the tiled kernel's launch
 * @param gather the launch of {@code exllama_gather} for an act-order layer or an activation the kernel cannot read as
 *        it is (not 16-byte aligned, or M * ldx past 32-bit offsets)
 */
record TiledPlan(int blockRows, LaunchConfig launch, LaunchConfig gather) {

    static final int MAX_ROWS = 512;
    static final int THREADS = 256;
    static final int BLOCK_N = 128;
    static final int STAGE_K = 64;
    static final int MIN_WAVE_PERCENT = 70;

    TiledPlan {
        requireNonNull(launch, "launch is null");
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
        int columnBlocks = n / BLOCK_N;
        int rows = 64;
        while (rows < 256 && m > rows && 100L * columnBlocks * FusedPlan.ceilDiv(m, 2 * rows) >= (long) MIN_WAVE_PERCENT * multiprocessors) {
            rows *= 2;
        }
        LaunchConfig launch = new LaunchConfig(columnBlocks, FusedPlan.ceilDiv(m, rows), 1, THREADS, 1, 1, sharedBytes(rows));
        LaunchConfig gather = LaunchConfig.linear(Math.toIntExact(FusedPlan.ceilDiv((long) m * k / 8, DecodePlan.GATHER_THREADS)), DecodePlan.GATHER_THREADS, 0);
        return new TiledPlan(rows, launch, gather);
    }

    /** Workspace bytes of the largest call: a gathered activation of {@value #MAX_ROWS} rows. */
    static long workspaceBytes(int k) {
        return 2L * MAX_ROWS * k;
    }

    /**
     * Dynamic shared memory: stages of the activation tile (blockRows by 64 halves), 8 word rows of {@value #BLOCK_N}
     * columns and a row of scales, each rounded to 1024 bytes, and 1024 bytes to align the first.
     */
    static int sharedBytes(int blockRows) {
        int stages = switch (blockRows) {
            case 64 -> 10;
            case 128 -> 7;
            case 256 -> 5;
            default -> throw new IllegalArgumentException("a tiled block has 64, 128 or 256 rows, got " + blockRows);
        };
        int stage = blockRows * STAGE_K * 2 + STAGE_K / 8 * BLOCK_N * 4 + BLOCK_N * 2;
        return stages * ((stage + 1023) / 1024 * 1024) + 1024;
    }
}
