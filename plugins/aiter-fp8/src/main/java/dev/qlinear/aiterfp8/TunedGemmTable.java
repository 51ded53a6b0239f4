package dev.qlinear.aiterfp8;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The rows of aiter's tuned-GEMM CSV that the shim can run on one platform, by (N, K) and then by M.
 *
 * <p>A row is kept when its {@code q_dtype_w} is the platform's weight dtype ({@code torch.float8_e4m3fnuz} on gfx942,
 * {@code torch.float8_e4m3fn} on gfx950), its {@code libtype} is {@value #LIBTYPE}, its kernelId is in the shim's kernel
 * list, its {@code gfx} is the platform's architecture (when the file has the column) and its {@code cu_num} the
 * device's compute units (when the platform is a detected device). Where two kept rows tune the same (M, N, K), the
 * first in the file counts.
 *
 * <p>What vLLM does differently ({@code vllm/_aiter_ops.py}, {@code kernels/linear/scaled_mm/aiter.py}): it keys its
 * check on the dtype alone and ignores {@code gfx} and {@code cu_num}, so a row tuned for another GPU model makes a shape
 * count as tuned; it treats a file it cannot read as "no shape is tuned" without saying so, where this table keeps the
 * reason and every refusal names it; and it admits {@code K % 16 == 0}, where the (16, 16) shuffle needs
 * {@code K % 32 == 0} (the kernel checks that separately).
 */
final class TunedGemmTable {

    static final String LIBTYPE = "ck";

    private final Map<Shape, TunedShape> shapes;
    private final Optional<String> unreadable;

    private TunedGemmTable(Map<Shape, TunedShape> shapes, Optional<String> unreadable) {
        this.shapes = shapes;
        this.unreadable = unreadable;
    }

    /**
     * The rows for one platform.
     *
     * @param rows the file's rows, in file order
     * @param kernelIds the instances compiled into the shim
     */
    static TunedGemmTable of(List<TunedGemmRow> rows, Set<Integer> kernelIds, Key key) {
        requireNonNull(rows, "rows is null");
        requireNonNull(kernelIds, "kernelIds is null");
        requireNonNull(key, "key is null");
        Map<Shape, NavigableMap<Integer, TunedGemmRow>> byShape = new HashMap<>();
        for (TunedGemmRow row : rows) {
            if (key.keeps(row, kernelIds)) {
                byShape.computeIfAbsent(new Shape(row.n(), row.k()), shape -> new TreeMap<>()).putIfAbsent(row.m(), row);
            }
        }
        Map<Shape, TunedShape> shapes = new HashMap<>();
        byShape.forEach((shape, byRows) -> shapes.put(shape, new TunedShape(shape.n(), shape.k(), Collections.unmodifiableNavigableMap(byRows))));
        return new TunedGemmTable(Map.copyOf(shapes), Optional.empty());
    }

    /** A table with no rows because a file could not be read; {@link #unreadable} keeps why. */
    static TunedGemmTable unreadable(String why) {
        return new TunedGemmTable(Map.of(), Optional.of(requireNonNull(why, "why is null")));
    }

    /** Why the table is empty when a file could not be read, such as {@code tuned-GEMM CSV <path> is unreadable: <why>}. */
    Optional<String> unreadable() {
        return unreadable;
    }

    /** The tuned rows of an (N, K), if any. */
    Optional<TunedShape> shape(int n, int k) {
        return Optional.ofNullable(shapes.get(new Shape(n, k)));
    }

    /** How many (N, K) are tuned. */
    int shapeCount() {
        return shapes.size();
    }

    /**
     * Which rows a platform keeps.
     *
     * @param weightType the torch dtype string of the platform's FP8 weights
     * @param gfx the platform's architecture
     * @param computeUnits the device's compute units, for a detected device
     */
    record Key(String weightType, String gfx, OptionalInt computeUnits) {
        Key {
            requireNonNull(weightType, "weightType is null");
            requireNonNull(gfx, "gfx is null");
            requireNonNull(computeUnits, "computeUnits is null");
        }

        boolean keeps(TunedGemmRow row, Set<Integer> kernelIds) {
            return row.weightType().equals(weightType)
                    && row.libtype().equals(LIBTYPE)
                    && kernelIds.contains(row.kernelId())
                    && row.gfx().map(gfx::equals).orElse(true)
                    && (computeUnits.isEmpty() || computeUnits.getAsInt() == row.computeUnits());
        }

        /** {@code q_dtype_w torch.float8_e4m3fnuz, libtype ck, gfx gfx942, cu_num 304}. */
        String describe() {
            return "q_dtype_w " + weightType + ", libtype " + LIBTYPE + ", gfx " + gfx + (computeUnits.isPresent() ? ", cu_num " + computeUnits.getAsInt() : "");
        }
    }

    private record Shape(int n, int k) {
    }

    /**
     * The tuned rows of one (N, K) by M.
     *
     * @param byRows the rows by the M they were tuned for
     */
    record TunedShape(int n, int k, NavigableMap<Integer, TunedGemmRow> byRows) {
        TunedShape {
            requireNonNull(byRows, "byRows is null");
            if (byRows.isEmpty()) {
                throw new IllegalArgumentException("a tuned shape N=" + n + " K=" + k + " needs at least one row");
            }
        }

        /** The row of the smallest tuned M at least {@code m}, else of the largest tuned M. */
        TunedGemmRow lookup(int m) {
            Map.Entry<Integer, TunedGemmRow> atLeast = byRows.ceilingEntry(m);
            return atLeast != null ? atLeast.getValue() : byRows.lastEntry().getValue();
        }
    }
}
