package dev.qlinear.spi.device;

import java.util.Arrays;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The arguments of a kernel launch, packed once by signature and refilled per call without allocation: a kernel
 * creates one per entry point, sets the values before each launch, and the host reads them during
 * {@link GpuFunction#launch}. A {@link Kind#TENSOR_MAP} argument is given by its {@link TensorMapLayout} and the
 * rows it covers; the host encodes it at launch. Not thread-safe.
 */
public final class KernelArguments {

    /** The C type of one parameter. */
    public enum Kind {
        POINTER(8), INT32(4), INT64(8), FLOAT32(4),
        /** A two-dimensional tensor map ({@code const __grid_constant__ CUtensorMap}): 128 bytes, 128-byte aligned. */
        TENSOR_MAP(128);

        private final int bytes;

        Kind(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    private final List<Kind> signature;
    private final long[] values;
    private final TensorMapLayout[] mapLayouts;
    private final long[] mapRows;
    private final long[] mapRowStrides;
    private final long[] structOffsets;
    private final long structBytes;

    public KernelArguments(List<Kind> signature) {
        this.signature = List.copyOf(requireNonNull(signature, "signature is null"));
        this.values = new long[this.signature.size()];
        this.structOffsets = new long[values.length];
        long offset = 0;
        long alignment = 1;
        for (int index = 0; index < values.length; index++) {
            int bytes = this.signature.get(index).bytes();
            offset = alignUp(offset, bytes);
            structOffsets[index] = offset;
            offset += bytes;
            alignment = Math.max(alignment, bytes);
        }
        this.structBytes = alignUp(offset, alignment);
        this.mapLayouts = new TensorMapLayout[values.length];
        this.mapRows = new long[values.length];
        this.mapRowStrides = new long[values.length];
    }

    public static KernelArguments of(Kind... signature) {
        return new KernelArguments(Arrays.asList(signature));
    }

    public List<Kind> signature() {
        return signature;
    }

    public int count() {
        return values.length;
    }

    public KernelArguments setPointer(int index, long address) {
        return set(index, Kind.POINTER, address);
    }

    public KernelArguments setInt(int index, int value) {
        return set(index, Kind.INT32, value);
    }

    public KernelArguments setLong(int index, long value) {
        return set(index, Kind.INT64, value);
    }

    public KernelArguments setFloat(int index, float value) {
        return set(index, Kind.FLOAT32, Float.floatToRawIntBits(value));
    }

    /**
     * A tensor map over {@code rows} rows of {@code layout.rowElements()} elements starting at {@code address}, each
     * {@code rowStrideBytes} after the one before.
     *
     * @throws IllegalArgumentException where TMA cannot read the rows: an address or stride not a multiple of 16
     *         bytes, rows overlapping, or no rows
     */
    public KernelArguments setTensorMap(int index, TensorMapLayout layout, long address, long rows, long rowStrideBytes) {
        requireNonNull(layout, "layout is null");
        if (address % 16 != 0) {
            throw new IllegalArgumentException("tensor map argument " + index + ": the rows' address must be 16-byte aligned, got 0x" + Long.toHexString(address));
        }
        if (rows < 1) {
            throw new IllegalArgumentException("tensor map argument " + index + ": at least one row, got " + rows);
        }
        long rowBytes = layout.rowElements() * layout.elementType().storageBytes();
        if (rowStrideBytes % 16 != 0 || rowStrideBytes < rowBytes) {
            throw new IllegalArgumentException("tensor map argument " + index + ": the row stride must be a multiple of 16 bytes and at least a row ("
                    + rowBytes + " bytes), got " + rowStrideBytes);
        }
        set(index, Kind.TENSOR_MAP, address);
        mapLayouts[index] = layout;
        mapRows[index] = rows;
        mapRowStrides[index] = rowStrideBytes;
        return this;
    }

    /** The layout of tensor map argument {@code index}; null until it is set. */
    public TensorMapLayout tensorMapLayout(int index) {
        return mapLayouts[index];
    }

    /** The rows tensor map argument {@code index} covers. */
    public long tensorMapRows(int index) {
        return mapRows[index];
    }

    /** The bytes between the rows of tensor map argument {@code index}. */
    public long tensorMapRowStride(int index) {
        return mapRowStrides[index];
    }

    /**
     * Where argument {@code index} lies in the arguments laid out as a C struct of the signature's types: in order,
     * each at the next offset aligned to its size, as a C compiler lays out {@code int32_t}, {@code int64_t},
     * {@code float} and pointers on 64-bit targets.
     */
    public long structOffset(int index) {
        return structOffsets[index];
    }

    /** The size of that C struct, padded to its largest member's alignment. */
    public long structBytes() {
        return structBytes;
    }

    /** The raw bits of an argument: an address (a tensor map's rows), a sign-extended int, or float bits in the low 32 bits. */
    public long rawValue(int index) {
        return values[index];
    }

    private static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private KernelArguments set(int index, Kind kind, long value) {
        if (signature.get(index) != kind) {
            throw new IllegalArgumentException("argument " + index + " is declared " + signature.get(index) + ", not " + kind);
        }
        values[index] = value;
        return this;
    }
}
