package dev.qlinear.conformance;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The sizes the suite sweeps: row counts M and K x N shapes. The other axes (types, group sizes, zero points,
 * act-order, scales, bias, strided inputs) come from what the kernel declares.
 *
 * @param rows the values of M; odd ones cross tile boundaries
 * @param shapes the K x N shapes, aligned and awkward, and tensor-parallel partitions
 */
public record Sweep(List<Integer> rows, List<SweepShape> shapes) {

    /** M: 1 and 2 (decode), 13, 17, 33 (odd, crossing 16- and 32-row tiles), 64, 257 (one past a tile), 1024. */
    public static final List<Integer> DEFAULT_ROWS = List.of(1, 2, 13, 17, 33, 64, 257, 1024);

    /**
     * Aligned shapes (128 x 64, 512 x 1152), shapes that are multiples of 64 but not of 128 (576, 704, 1152, 2112,
     * 4224 = 33 x 128), N that no 64-column tile divides (200, 100, 40, 72), K that no 8-row word divides (100),
     * and Llama's 11008 split over 4 ranks (2752 = 43 x 64), both row- and column-parallel.
     */
    public static final List<SweepShape> DEFAULT_SHAPES = List.of(
            SweepShape.of(128, 64),
            SweepShape.of(96, 40),
            SweepShape.of(256, 200),
            SweepShape.of(576, 704),
            SweepShape.of(704, 576),
            SweepShape.of(1152, 100),
            SweepShape.of(2112, 192),
            SweepShape.of(4224, 128),
            SweepShape.of(192, 4224),
            SweepShape.of(512, 1152),
            SweepShape.rowParallel(11008, 256, 4),
            SweepShape.columnParallel(256, 11008, 4),
            SweepShape.of(100, 72));

    public Sweep {
        rows = List.copyOf(requireNonNull(rows, "rows is null"));
        shapes = List.copyOf(requireNonNull(shapes, "shapes is null"));
        if (rows.isEmpty() || shapes.isEmpty()) {
            throw new IllegalArgumentException("a sweep needs at least one M and one shape, got M " + rows + " and shapes " + shapes);
        }
        for (int m : rows) {
            if (m < 1) {
                throw new IllegalArgumentException("M must be positive, got " + m + " in " + rows);
            }
        }
        if (rows.stream().distinct().count() != rows.size() || shapes.stream().distinct().count() != shapes.size()) {
            throw new IllegalArgumentException("the sweep repeats an M or a shape: M " + rows + ", shapes " + shapes);
        }
    }

    public static Sweep defaults() {
        return new Sweep(DEFAULT_ROWS, DEFAULT_SHAPES);
    }

    public Sweep withRows(List<Integer> values) {
        return new Sweep(values, shapes);
    }

    public Sweep withShapes(List<SweepShape> values) {
        return new Sweep(rows, values);
    }
}
