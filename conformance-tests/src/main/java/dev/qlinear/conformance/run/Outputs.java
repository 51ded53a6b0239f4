package dev.qlinear.conformance.run;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * A kernel's output {@code [rows, columns]}: the bits as written and their values.
 *
 * @param type the output type
 * @param rows M
 * @param columns N
 * @param bits the element bit patterns, row-major
 * @param values the values of those patterns
 */
public record Outputs(ScalarType type, int rows, int columns, int[] bits, double[] values) {

    public Outputs {
        requireNonNull(type, "type is null");
        requireNonNull(bits, "bits is null");
        requireNonNull(values, "values is null");
        if (bits.length != (long) rows * columns || values.length != bits.length) {
            throw new IllegalArgumentException("outputs [" + rows + ", " + columns + "] need " + (long) rows * columns + " elements, got " + bits.length);
        }
    }

    public static Outputs of(ScalarType type, int rows, int columns, int[] bits) {
        return new Outputs(type, rows, columns, bits.clone(), RandomData.decode(type, bits));
    }

    /** One row as a one-row output. */
    public Outputs row(int row) {
        return new Outputs(type, 1, columns, Arrays.copyOfRange(bits, row * columns, (row + 1) * columns),
                Arrays.copyOfRange(values, row * columns, (row + 1) * columns));
    }

    /** {@code 0.1234 (0x2FE0)}. */
    public String describe(int index) {
        return Comparison.format(values[index]) + " (0x" + Integer.toHexString(bits[index] & (type.storageBytes() == 2 ? 0xFFFF : -1)).toUpperCase(java.util.Locale.ROOT) + ")";
    }
}
