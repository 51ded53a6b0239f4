package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Which compiled variant runs M rows of a layer, and how K is split: the one table to retune. Its names are those
 * {@code src/main/triton/variants.py} compiles: {@code w4a16_<f16|bf16>_<sym|zp>_m<BM>n<BN>k<BK>} and
 * {@code w4a16_reduce_<f16|bf16>}; a tile added here must be added there (and the images rebuilt), which the tests
 * check against {@code images.list}.
 *
 * <p><b>Tiers by M</b> (tuned on an H100, 2026-11-22). One row runs {@code w4a16_gemv}, 1 x 128 with BK = min(128, G),
 * whose sums stay in registers (1.06-1.34x the 16-row tile on the H100, docs/perf/raw/triton-w4a16-gemv-h100-2026-11-22.txt);
 * up to 16 rows (decode) tiles of 16 x 128, up to 64 rows 64 x 128, up to 256 rows 128 x 128, above 256 x 128, which
 * step K by BK = min(64, G). BK is G or divides it when G is 32, 64, 128 or 256 (and is the tile when channelwise),
 * so no K tile straddles a group, which the kernels need (they read the scales of group {@code k0 / G} for the whole
 * tile). A tile of one row is named {@code m1}: {@code w4a16_f16_sym_m1n128k128}.
 *
 * <p><b>Split-K.</b> A tier aims for {@code programsPerMultiprocessor} programs on every multiprocessor; when the
 * output tiles alone fall short, K is split into {@code min(kTiles, ceil(target / tiles))} ranges of whole K tiles,
 * re-counted so that no split is empty. Each split writes float32 partial sums {@code [splits, M, N]} into the
 * workspace and {@code w4a16_reduce} adds them in split order (so results do not depend on timing), plus the bias.
 * The tiers from 65 rows up never split.
 */
final class TritonW4a16Variants {

    /** Where in the jar the images and {@code images.list} are (variants.py's {@code RESOURCE_DIR}). */
    static final String DIRECTORY = "dev/qlinear/tritonw4a16/triton";
    /** Outputs a reduce program adds (the reduce variant's {@code BLOCK}). */
    static final int REDUCE_BLOCK = 1024;

    /**
     * Rows up to {@code maxRows} run tiles of {@code blockM x blockN} over K tiles of {@code min(maxBlockK, G)} rows.
     *
     * @param programsPerMultiprocessor the programs wanted on each multiprocessor before K is split; 0 never splits
     */
    record Tier(int maxRows, int blockM, int blockN, int maxBlockK, int programsPerMultiprocessor) {
        Tier {
            if (maxRows < 1 || blockM < 1 || blockN < 1 || maxBlockK < 1 || programsPerMultiprocessor < 0) {
                throw new IllegalArgumentException("invalid tier " + maxRows + " rows, " + blockM + " x " + blockN + " x " + maxBlockK + ", "
                        + programsPerMultiprocessor + " programs per multiprocessor");
            }
        }

        /** Rows of K a tile covers for groups of {@code groupSize} rows ({@link WeightOnlyConfig#CHANNELWISE} for one group). */
        int blockK(int groupSize) {
            return groupSize == WeightOnlyConfig.CHANNELWISE ? maxBlockK : Math.min(maxBlockK, groupSize);
        }
    }

    /** Ascending by {@link Tier#maxRows()}; the last covers every M. */
    static final List<Tier> TIERS = List.of(
            new Tier(1, 1, 128, 128, 4),
            new Tier(16, 16, 128, 64, 4),
            new Tier(64, 64, 128, 64, 2),
            new Tier(256, 128, 128, 64, 0),
            new Tier(Integer.MAX_VALUE, 256, 128, 64, 0));

    /** The group sizes the kernel takes; {@link WeightOnlyConfig#CHANNELWISE} is one group of K. */
    static final List<Integer> GROUP_SIZES = List.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128, 256);
    static final List<ScalarType> ACTIVATION_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);

    private TritonW4a16Variants() {
    }

    /** The index in {@link #TIERS} of the tier that runs M rows. */
    static int tierOf(int m) {
        if (m < 1) {
            throw new IllegalArgumentException("M must be at least 1, got " + m);
        }
        for (int tier = 0; tier < TIERS.size(); tier++) {
            if (m <= TIERS.get(tier).maxRows()) {
                return tier;
            }
        }
        throw new IllegalStateException("no tier covers M=" + m);
    }

    /** {@code w4a16_<act>_<sym|zp>_m<BM>n<BN>k<BK>}. */
    static String gemm(ScalarType activation, boolean zeroPoints, int blockM, int blockN, int blockK) {
        return "w4a16_" + activationName(activation) + "_" + (zeroPoints ? "zp" : "sym") + "_m" + blockM + "n" + blockN + "k" + blockK;
    }

    /** The GEMM variant of a tier for a layer: {@code groupSize} is the config's, -1 when channelwise. */
    static String gemm(ScalarType activation, boolean zeroPoints, int groupSize, Tier tier) {
        return gemm(activation, zeroPoints, tier.blockM(), tier.blockN(), tier.blockK(groupSize));
    }

    /** {@code w4a16_reduce_<act>}. */
    static String reduce(ScalarType activation) {
        return "w4a16_reduce_" + activationName(activation);
    }

    /**
     * Every variant the table may choose for a layer, one GEMM per tier (in tier order) then the reduction: what
     * {@code canImplement} checks the images for and {@code prepare} loads.
     */
    static List<String> variants(ScalarType activation, boolean zeroPoints, int groupSize) {
        Set<String> names = new LinkedHashSet<>();
        for (Tier tier : TIERS) {
            names.add(gemm(activation, zeroPoints, groupSize, tier));
        }
        names.add(reduce(activation));
        return List.copyOf(names);
    }

    /** Every variant the table may choose for any layer the kernel takes. */
    static List<String> all() {
        Set<String> names = new LinkedHashSet<>();
        for (ScalarType activation : ACTIVATION_TYPES) {
            for (boolean zeroPoints : List.of(false, true)) {
                for (int groupSize : GROUP_SIZES) {
                    names.addAll(variants(activation, zeroPoints, groupSize));
                }
            }
        }
        return List.copyOf(names);
    }

    static String activationName(ScalarType activation) {
        requireNonNull(activation, "activation is null");
        if (activation.equals(ScalarType.FLOAT16)) {
            return "f16";
        }
        if (activation.equals(ScalarType.BFLOAT16)) {
            return "bf16";
        }
        throw new IllegalArgumentException("the Triton W4A16 variants take float16 or bfloat16 activations, got " + activation);
    }

    /**
     * How one call of M rows runs.
     *
     * @param tier index in {@link #TIERS}
     * @param blockM rows of a tile
     * @param blockN columns of a tile
     * @param blockK rows of K a tile steps by
     * @param splits programs along K; partial sums and the reduction when above 1
     * @param kPerSplit rows of K a split covers, a multiple of {@code blockK}
     * @param gridX programs along N, {@code ceil(N / blockN)}
     * @param gridZ programs along M, {@code ceil(M / blockM)}
     * @param reducePrograms programs of the reduction, {@code ceil(M N / REDUCE_BLOCK)} when split, else 0
     */
    record Plan(int tier, int blockM, int blockN, int blockK, int splits, int kPerSplit, int gridX, int gridZ, int reducePrograms) {
        Plan {
            if (splits < 1 || kPerSplit < blockK || kPerSplit % blockK != 0) {
                throw new IllegalArgumentException(splits + " splits of " + kPerSplit + " rows of K do not make a plan of K tiles of " + blockK);
            }
            if ((reducePrograms > 0) != (splits > 1)) {
                throw new IllegalArgumentException("a plan reduces exactly when K is split, got " + splits + " splits and " + reducePrograms + " reduce programs");
            }
        }

        /** The GEMM variant's name for a layer of this activation type, with or without zero points. */
        String variant(ScalarType activation, boolean zeroPoints) {
            return gemm(activation, zeroPoints, blockM, blockN, blockK);
        }

        /** Float32 workspace bytes the partial sums take: {@code splits * M * N * 4} when split. */
        long partialBytes(int m, int n) {
            return splits > 1 ? 4L * splits * m * n : 0;
        }
    }

    /**
     * The plan of M rows of a {@code K x N} layer.
     *
     * @param groupSize the config's group size, -1 when channelwise
     * @param multiprocessors the device's multiprocessors (compute units)
     */
    static Plan plan(int m, int n, int k, int groupSize, int multiprocessors) {
        if (n < 1 || k < 1 || multiprocessors < 1) {
            throw new IllegalArgumentException("a plan needs positive N, K and multiprocessors, got N=" + n + " K=" + k + " and " + multiprocessors);
        }
        int index = tierOf(m);
        Tier tier = TIERS.get(index);
        int blockK = tier.blockK(groupSize);
        int gridX = ceilDiv(n, tier.blockN());
        int gridZ = ceilDiv(m, tier.blockM());
        long tiles = (long) gridX * gridZ;
        long wanted = (long) tier.programsPerMultiprocessor() * multiprocessors;
        int kTiles = ceilDiv(k, blockK);
        int splits = 1;
        if (tier.programsPerMultiprocessor() > 0 && tiles < wanted) {
            splits = (int) Math.min(kTiles, ceilDiv(wanted, tiles));
        }
        int kPerSplit = ceilDiv(kTiles, splits) * blockK;
        splits = ceilDiv(k, kPerSplit);
        int reducePrograms = splits > 1 ? Math.toIntExact(ceilDiv((long) m * n, REDUCE_BLOCK)) : 0;
        return new Plan(index, tier.blockM(), tier.blockN(), blockK, splits, kPerSplit, gridX, gridZ, reducePrograms);
    }

    /**
     * The workspace a layer needs for its partial sums: the most any M up to {@code maxRows} takes. Only the tiers
     * that split need any; every M of theirs is planned.
     */
    static long workspaceBytes(int n, int k, int groupSize, int multiprocessors, int maxRows) {
        long bytes = 0;
        int first = 1;
        for (Tier tier : TIERS) {
            int last = Math.min(tier.maxRows(), maxRows);
            if (tier.programsPerMultiprocessor() > 0) {
                for (int m = first; m <= last; m++) {
                    bytes = Math.max(bytes, plan(m, n, k, groupSize, multiprocessors).partialBytes(m, n));
                }
            }
            if (last == maxRows) {
                break;
            }
            first = last + 1;
        }
        return bytes;
    }

    private static int ceilDiv(int a, int b) {
        return Math.ceilDiv(a, b);
    }

    private static long ceilDiv(long a, long b) {
        return Math.ceilDiv(a, b);
    }
}
