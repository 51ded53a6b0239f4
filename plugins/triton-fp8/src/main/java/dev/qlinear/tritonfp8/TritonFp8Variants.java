package dev.qlinear.tritonfp8;

import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The variants of {@code src/main/triton/variants.py} by name, and which of them runs a call: the tile by M and the
 * split of K.
 *
 * <p>Names: {@code fp8_quantize_<f16|bf16>} by input type, {@code fp8_gemm_<f16|bf16>_m<BM>n<BN>k<BK>} and
 * {@code fp8_reduce_<f16|bf16>} by output type. Variants that quantize to e4m3fnuz (ROCm gfx942) carry an
 * {@code _fnuz} infix after {@code fp8_} in the quantize and GEMM names ({@code fp8_gemm_fnuz_bf16_m16n64k128}); the
 * reduction reads fp32 partial sums only, so every format shares it.
 *
 * <p>Tiles by M ({@code TILES} of {@code variants.py}, chosen on an H100 in
 * {@code docs/perf/raw/triton-sweep-h100-2026-11-22.txt}): 16 x 64 up to 16 rows, 64 x 128 up to 64, 128 x 128 up to
 * 256, 256 x 128 above, unless 128 x 128 tiles take fewer waves of work there ({@link #plan}). K is split when the
 * tiles alone leave the GPU short of the tile's
 * {@link Tile#programsPerMultiprocessor} programs a multiprocessor: the fewest splits that reach it, no more than there
 * are K tiles, with whole K tiles per split ({@link #plan}).
 */
final class TritonFp8Variants {

    /** Elements of the output each program of {@code fp8_reduce} sums ({@code BLOCK}). */
    static final int REDUCE_BLOCK = 1024;
    /** Elements of a row each step of {@code fp8_quantize_rows} reads ({@code BLOCK_K}). */
    static final int QUANTIZE_BLOCK = 1024;
    /** The formats' infix in variant names: none for e4m3fn, {@code fnuz_} for e4m3fnuz. */
    private static final String FNUZ_INFIX = "fnuz_";

    private TritonFp8Variants() {
    }

    /**
     * A GEMM tile, as {@code TILES} of {@code variants.py} lists it, with the rows it serves and how far K is split.
     *
     * @param blockM rows of the output a program computes
     * @param blockN columns of the output a program computes
     * @param blockK K a step of the program's loop consumes; the images fold the tensor cores' sums into fp32 every step
     * @param maxRows the largest M of a call {@link #of} gives the tile ({@link TritonFp8Variants#plan} may run 128 x 128 above it)
     * @param programsPerMultiprocessor programs a multiprocessor aimed for by splitting K; 0 never splits. The sweep
     *        measured 2 best for the decode tile; 1 keeps narrow layers (N = 4096 makes 32 tiles of 64 x 128) busy at
     *        M = 64 and changes nothing for wide ones
     */
    enum Tile {
        M16N64(16, 64, 128, 16, 2),
        M64N128(64, 128, 128, 64, 1),
        M128N128(128, 128, 128, 256, 0),
        M256N128(256, 128, 128, Integer.MAX_VALUE, 0);

        private final int blockM;
        private final int blockN;
        private final int blockK;
        private final int maxRows;
        private final int programsPerMultiprocessor;

        Tile(int blockM, int blockN, int blockK, int maxRows, int programsPerMultiprocessor) {
            this.blockM = blockM;
            this.blockN = blockN;
            this.blockK = blockK;
            this.maxRows = maxRows;
            this.programsPerMultiprocessor = programsPerMultiprocessor;
        }

        int blockM() {
            return blockM;
        }

        int blockN() {
            return blockN;
        }

        int blockK() {
            return blockK;
        }

        int maxRows() {
            return maxRows;
        }

        int programsPerMultiprocessor() {
            return programsPerMultiprocessor;
        }

        /** {@code m16n64k128}. */
        String suffix() {
            return "m" + blockM + "n" + blockN + "k" + blockK;
        }

        /** The tile of a call of {@code m} rows: the first that serves that many. */
        static Tile of(int m) {
            if (m < 1) {
                throw new IllegalArgumentException("M must be at least 1, got " + m);
            }
            for (Tile tile : values()) {
                if (m <= tile.maxRows) {
                    return tile;
                }
            }
            throw new IllegalStateException("the last tile serves every M");
        }

        /** The largest M whose tile splits K: calls of more rows never need partial sums. */
        static int maxSplitRows() {
            int rows = 0;
            for (Tile tile : values()) {
                if (tile.programsPerMultiprocessor > 0) {
                    rows = Math.max(rows, tile.maxRows);
                }
            }
            return rows;
        }
    }

    /**
     * How one GEMM launch covers {@code M x N} over K.
     *
     * @param tile the variant's tile
     * @param tiles output tiles, the GEMM grid's x: {@code ceil(M / BM) * ceil(N / BN)}
     * @param splits parts of K, the GEMM grid's y; above 1 the partial sums go through the workspace to {@code fp8_reduce}
     * @param kPerSplit K each split covers, whole K tiles (the last split may cover fewer)
     * @param partialFloats float32 workspace elements of the partial sums: {@code splits * M * N} when split, else 0
     * @param reducePrograms the reduction's grid when split ({@code ceil(M * N / 1024)}), else 0
     */
    record Plan(Tile tile, int tiles, int splits, int kPerSplit, long partialFloats, int reducePrograms) {
        Plan {
            requireNonNull(tile, "tile is null");
            if (tiles < 1 || splits < 1 || kPerSplit < 1) {
                throw new IllegalArgumentException("a plan needs at least one tile, split and K per split, got " + tiles + ", " + splits + ", " + kPerSplit);
            }
            if ((partialFloats > 0) != (splits > 1) || (reducePrograms > 0) != (splits > 1)) {
                throw new IllegalArgumentException("a plan has partial sums and a reduction exactly when K is split, got " + splits + " splits");
            }
        }

        boolean split() {
            return splits > 1;
        }
    }

    /**
     * The plan of a call of {@code m} rows of a layer on a GPU of {@code multiprocessors} multiprocessors: with target
     * t programs a multiprocessor, {@code tiles} as above and {@code kTiles = ceil(K / BK)}, one split when t is 0 or
     * the tiles reach {@code t * multiprocessors}, else {@code min(kTiles, ceil(t * multiprocessors / tiles))} splits,
     * evened out to whole K tiles each.
     *
     * <p>Where M takes the 256-row tile, the 128-row tile runs instead when its waves of tiles (a tile a
     * multiprocessor at a time) times its rows, times 9/8, come to less: a wave that is mostly empty costs the 256-row
     * tiles twice what it costs the 128-row ones, and 9/8 is what the 128-row tile measured slower per row where both
     * fill their waves alike (Llama-3-8B gate_up at M = 1024, 298.4 against 263.8 µs; 8B o 42.2 against 41.4).
     * Llama-3-8B qkv (N = 6144) at M = 1024 makes 192 tiles of 256, two waves on 132 SMs with the second 45 % full,
     * or 384 tiles of 128, three full waves: 61.0 against 78.1 µs. H100, JIT, 2026-11-22:
     * docs/perf/raw/triton-fp8-persistent-h100-2026-11-22.txt.
     */
    static Plan plan(int m, int n, int k, int multiprocessors) {
        if (n < 1 || k < 1) {
            throw new IllegalArgumentException("N and K must be positive, got N=" + n + " K=" + k);
        }
        if (multiprocessors < 1) {
            throw new IllegalArgumentException("multiprocessors must be at least 1, got " + multiprocessors);
        }
        Tile tile = Tile.of(m);
        if (tile == Tile.M256N128 && 9 * waveRows(Tile.M128N128, m, n, multiprocessors) < 8 * waveRows(tile, m, n, multiprocessors)) {
            tile = Tile.M128N128;
        }
        long tiles = ceilDiv(m, tile.blockM()) * ceilDiv(n, tile.blockN());
        long kTiles = ceilDiv(k, tile.blockK());
        long target = (long) tile.programsPerMultiprocessor() * multiprocessors;
        long splits = target == 0 || tiles >= target ? 1 : Math.min(kTiles, ceilDiv(target, tiles));
        long kPerSplit = ceilDiv(kTiles, splits) * tile.blockK();
        splits = ceilDiv(k, kPerSplit);
        long partialFloats = splits > 1 ? splits * m * n : 0;
        int reducePrograms = splits > 1 ? Math.toIntExact(ceilDiv((long) m * n, REDUCE_BLOCK)) : 0;
        return new Plan(tile, Math.toIntExact(tiles), Math.toIntExact(splits), Math.toIntExact(kPerSplit), partialFloats, reducePrograms);
    }

    /** Waves of output tiles on the multiprocessors, times the tile's rows: its time with whole waves, up to a factor. */
    private static long waveRows(Tile tile, int m, int n, int multiprocessors) {
        long tiles = ceilDiv(m, tile.blockM()) * ceilDiv(n, tile.blockN());
        return ceilDiv(tiles, multiprocessors) * tile.blockM();
    }

    /** {@code fp8_quantize_bf16}, {@code fp8_quantize_fnuz_f16}. */
    static String quantize(ScalarType input, boolean fnuz) {
        return "fp8_quantize_" + infix(fnuz) + sixteenBit(input);
    }

    /** {@code fp8_gemm_bf16_m16n64k128}, {@code fp8_gemm_fnuz_f16_m256n128k128}. */
    static String gemm(ScalarType output, Tile tile, boolean fnuz) {
        requireNonNull(tile, "tile is null");
        return "fp8_gemm_" + infix(fnuz) + sixteenBit(output) + "_" + tile.suffix();
    }

    /** {@code fp8_reduce_bf16}: the same for every format. */
    static String reduce(ScalarType output) {
        return "fp8_reduce_" + sixteenBit(output);
    }

    /** The variants a layer of these types runs: quantize, the GEMM of every tile, reduce. */
    static List<String> forLayer(ScalarType input, ScalarType output, boolean fnuz) {
        List<String> names = new ArrayList<>();
        names.add(quantize(input, fnuz));
        for (Tile tile : Tile.values()) {
            names.add(gemm(output, tile, fnuz));
        }
        names.add(reduce(output));
        return List.copyOf(names);
    }

    /** Every variant of one format: both input and both output types. */
    static List<String> all(boolean fnuz) {
        List<String> names = new ArrayList<>();
        for (ScalarType type : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
            names.add(quantize(type, fnuz));
        }
        for (ScalarType type : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
            for (Tile tile : Tile.values()) {
                names.add(gemm(type, tile, fnuz));
            }
        }
        for (ScalarType type : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
            names.add(reduce(type));
        }
        return List.copyOf(names);
    }

    private static String infix(boolean fnuz) {
        return fnuz ? FNUZ_INFIX : "";
    }

    private static String sixteenBit(ScalarType type) {
        requireNonNull(type, "type is null");
        if (type.equals(ScalarType.FLOAT16)) {
            return "f16";
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return "bf16";
        }
        throw new IllegalArgumentException("the Triton FP8 variants take float16 or bfloat16, got " + type.name());
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
