package dev.qlinear.spi.device;

import dev.qlinear.spi.type.ScalarType;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The fixed part of a two-dimensional tensor map, what a Hopper kernel's tensor memory accelerator (TMA) copies a
 * box of rows with: the element type, the row length, the box one copy moves and how it is swizzled in shared memory.
 * The rows' address, count and stride change from call to call and are given with
 * {@link KernelArguments#setTensorMap}; the host encodes the map ({@code CUtensorMap}, passed by value) at launch.
 * Rows past the count read as zeros.
 *
 * @param elementType 2- or 4-byte elements (float16, bfloat16, float32, int32) or bytes (int8, uint8, fp8)
 * @param rowElements elements per row (the inner extent)
 * @param boxColumns elements of a row one copy moves: at most 256, a multiple of 16 bytes, and within the swizzle span
 * @param boxRows rows one copy moves, 1 to 256
 * @param swizzle the shared-memory swizzle of the box
 */
public record TensorMapLayout(ScalarType elementType, long rowElements, int boxColumns, int boxRows, Swizzle swizzle) {

    /** The element types a tensor map can copy. */
    public static final List<ScalarType> ELEMENT_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16, ScalarType.FLOAT32, ScalarType.INT32,
            ScalarType.INT8, ScalarType.UINT8, ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT8_E5M2);
    /** The most elements of either box dimension. */
    public static final int MAX_BOX = 256;

    /** How 16-byte chunks of a box row are permuted in shared memory (CUtensorMapSwizzle). */
    public enum Swizzle {
        NONE(0), BYTES_32(32), BYTES_64(64), BYTES_128(128);

        private final int spanBytes;

        Swizzle(int spanBytes) {
            this.spanBytes = spanBytes;
        }

        /** The bytes of a box row the swizzle covers; 0 without one. */
        public int spanBytes() {
            return spanBytes;
        }
    }

    public TensorMapLayout {
        requireNonNull(elementType, "elementType is null");
        requireNonNull(swizzle, "swizzle is null");
        if (!ELEMENT_TYPES.contains(elementType)) {
            throw new IllegalArgumentException("a tensor map copies one of " + ELEMENT_TYPES + ", not " + elementType);
        }
        if (rowElements < 1) {
            throw new IllegalArgumentException("a tensor map's rows have at least one element, got " + rowElements);
        }
        if (boxColumns < 1 || boxColumns > MAX_BOX || boxRows < 1 || boxRows > MAX_BOX) {
            throw new IllegalArgumentException("a tensor map's box is 1 to " + MAX_BOX + " elements each way, got " + boxColumns + " x " + boxRows);
        }
        long boxRowBytes = (long) boxColumns * elementType.storageBytes();
        if (boxRowBytes % 16 != 0) {
            throw new IllegalArgumentException("a tensor map's box rows are a multiple of 16 bytes, got " + boxColumns + " " + elementType + " = " + boxRowBytes
                    + " bytes");
        }
        if (swizzle != Swizzle.NONE && boxRowBytes > swizzle.spanBytes()) {
            throw new IllegalArgumentException("a box row of " + boxRowBytes + " bytes does not fit the " + swizzle.spanBytes() + "-byte swizzle " + swizzle);
        }
    }

    /** Bytes of one box row. */
    public int boxRowBytes() {
        return boxColumns * elementType.storageBytes();
    }

    /** Bytes one copy writes to shared memory (rows past the count included, as zeros). */
    public int boxBytes() {
        return boxRowBytes() * boxRows;
    }
}
