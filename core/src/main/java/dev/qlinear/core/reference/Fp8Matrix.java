package dev.qlinear.core.reference;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * A row-major matrix of fp8 codes with fp32 scales, one per row or one for the whole tensor: quantized activations
 * {@code [M, K]} (per-token scales) or weights {@code [N, K]} in the FP8 convention (per-channel scales). The value of
 * element (r, c) is {@code decode(code) · scale(r)}.
 */
public final class Fp8Matrix {

    private final ScalarType type;
    private final int rows;
    private final int columns;
    private final byte[] codes;
    private final float[] scales;

    /**
     * @param type an 8-bit float type (e4m3fn, e4m3fnuz, e5m2)
     * @param codes {@code rows × columns} codes, row-major
     * @param scales one finite positive fp32 scale per row, or a single one for the whole tensor
     */
    public Fp8Matrix(ScalarType type, int rows, int columns, byte[] codes, float[] scales) {
        this.type = requireNonNull(type, "type is null");
        requireNonNull(codes, "codes is null");
        requireNonNull(scales, "scales is null");
        if (!type.isFloatingPoint() || type.sizeBits() != 8) {
            throw new IllegalArgumentException("an fp8 matrix needs an 8-bit float type, got " + type);
        }
        if (rows < 1 || columns < 1) {
            throw new IllegalArgumentException("rows and columns must be positive, got " + rows + " x " + columns);
        }
        if (codes.length != (long) rows * columns) {
            throw new IllegalArgumentException("codes must hold " + (long) rows * columns + " entries for " + rows + " x " + columns + ", got " + codes.length);
        }
        if (scales.length != 1 && scales.length != rows) {
            throw new IllegalArgumentException("scales must hold 1 (per-tensor) or " + rows + " (per-row) entries, got " + scales.length);
        }
        for (int i = 0; i < scales.length; i++) {
            if (!(scales[i] > 0) || !Float.isFinite(scales[i])) {
                throw new IllegalArgumentException("scale " + scales[i] + " at " + i + " must be finite and positive");
            }
        }
        this.rows = rows;
        this.columns = columns;
        this.codes = codes.clone();
        this.scales = scales.clone();
    }

    public ScalarType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    public boolean perTensor() {
        return scales.length == 1;
    }

    /** The code of (row, column) as an unsigned byte, 0 to 255. */
    public int code(int row, int column) {
        return Byte.toUnsignedInt(codes[row * columns + column]);
    }

    /** The exact value of the code of (row, column), before scaling. */
    public double value(int row, int column) {
        return type.decode(code(row, column));
    }

    /** The scale of a row: its own, or the tensor's. */
    public float scale(int row) {
        return scales.length == 1 ? scales[0] : scales[row];
    }

    /** {@code value · scale}, exactly (4 × 24 significant bits). */
    public double dequantized(int row, int column) {
        return value(row, column) * scale(row);
    }

    public byte[] codes() {
        return codes.clone();
    }

    public float[] scales() {
        return scales.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Fp8Matrix that
                && type.equals(that.type) && rows == that.rows && columns == that.columns
                && Arrays.equals(codes, that.codes) && Arrays.equals(scales, that.scales);
    }

    @Override
    public int hashCode() {
        return ((31 * type.hashCode() + rows) * 31 + columns) * 31 + Arrays.hashCode(codes);
    }

    @Override
    public String toString() {
        return "Fp8Matrix[" + type + " " + rows + " x " + columns + ", " + (perTensor() ? "per-tensor" : "per-row") + " scales]";
    }
}
