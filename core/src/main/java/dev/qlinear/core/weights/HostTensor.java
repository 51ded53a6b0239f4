package dev.qlinear.core.weights;

import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A row-major tensor in host memory: a heap array, an arena allocation, or a slice of a memory-mapped file.
 * Elements take whole bytes ({@link ScalarType#storageBytes()}); sub-byte codes live packed in int32 words.
 */
public final class HostTensor implements Tensor {

    private final ScalarType dtype;
    private final long[] shape;
    private final long[] strides;
    private final MemorySegment segment;

    private HostTensor(ScalarType dtype, long[] shape, long[] strides, MemorySegment segment) {
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.segment = requireNonNull(segment, "segment is null");
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        }
        long lastElement = 0;
        for (int dimension = 0; dimension < shape.length; dimension++) {
            if (shape[dimension] < 1 || strides[dimension] < 0) {
                throw new IllegalArgumentException("a strided view needs positive extents and non-negative strides, got shape "
                        + Arrays.toString(shape) + " strides " + Arrays.toString(strides));
            }
            lastElement = Math.addExact(lastElement, Math.multiplyExact(shape[dimension] - 1, strides[dimension]));
        }
        long span = Math.multiplyExact(lastElement + 1, dtype.storageBytes());
        if (span > segment.byteSize()) {
            throw new IllegalArgumentException("a view " + Arrays.toString(shape) + " with strides " + Arrays.toString(strides) + " spans " + span
                    + " bytes, the segment has " + segment.byteSize());
        }
    }

    private HostTensor(ScalarType dtype, long[] shape, MemorySegment segment) {
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.shape = shape.clone();
        this.segment = requireNonNull(segment, "segment is null");
        if (dtype.sizeBits() % 8 != 0) {
            throw new IllegalArgumentException("host tensors hold whole-byte elements; pack " + dtype + " codes into int32 words");
        }
        long elements = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative extent");
            }
            elements = Math.multiplyExact(elements, extent);
        }
        long bytes = Math.multiplyExact(elements, dtype.storageBytes());
        if (segment.byteSize() != bytes) {
            throw new IllegalArgumentException(dtype + " " + Arrays.toString(shape) + " needs " + bytes + " bytes, the segment has " + segment.byteSize());
        }
        this.strides = new long[shape.length];
        long stride = 1;
        for (int dimension = shape.length - 1; dimension >= 0; dimension--) {
            strides[dimension] = stride;
            stride *= shape[dimension];
        }
    }

    /** Views the segment as a row-major tensor; its size must match the shape exactly. */
    public static HostTensor wrap(MemorySegment segment, ScalarType dtype, long... shape) {
        return new HostTensor(dtype, shape, segment);
    }

    /**
     * A strided view: element {@code (i, j, ...)} is at element offset {@code i * strides[0] + j * strides[1] + ...} from
     * the start of the segment, such as a column slice of a wider activation.
     */
    public static HostTensor strided(MemorySegment segment, ScalarType dtype, long[] shape, long[] strides) {
        return new HostTensor(dtype, shape, strides, segment);
    }

    /** Columns {@code [from, from + count)} of a contiguous 2-D tensor, as a strided view of the same memory. */
    public HostTensor columns(long from, long count) {
        if (rank() != 2 || !isContiguous()) {
            throw new IllegalArgumentException("column slices are taken from contiguous 2-D tensors, not " + this);
        }
        if (from < 0 || count < 1 || from + count > shape[1]) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") are outside the " + shape[1] + " columns of " + this);
        }
        long bytes = dtype.storageBytes();
        MemorySegment start = segment.asSlice(from * bytes);
        return new HostTensor(dtype, new long[] {shape[0], count}, new long[] {strides[0], 1}, start);
    }

    /** A zero-filled tensor whose memory lives as long as the arena. */
    public static HostTensor allocate(Arena arena, ScalarType dtype, long... shape) {
        return new HostTensor(dtype, shape, arena.allocate(contiguousBytes(dtype, shape), 8));
    }

    /** Bytes of a contiguous tensor of this type and shape. */
    public static long contiguousBytes(ScalarType dtype, long... shape) {
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        return Math.multiplyExact(elements, dtype.storageBytes());
    }

    /** A tensor over a copy of int32 values. */
    public static HostTensor ofInts(int[] values, long... shape) {
        return new HostTensor(ScalarType.INT32, shape, MemorySegment.ofArray(values.clone()));
    }

    @Override
    public ScalarType dtype() {
        return dtype;
    }

    @Override
    public int rank() {
        return shape.length;
    }

    @Override
    public long size(int dimension) {
        return shape[dimension];
    }

    @Override
    public long stride(int dimension) {
        return strides[dimension];
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public MemoryKind memory() {
        return MemoryKind.HOST;
    }

    @Override
    public long address() {
        return segment.address();
    }

    @Override
    public Optional<MemorySegment> hostSegment() {
        return Optional.of(segment);
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Whether both contiguous tensors have the same dtype, shape and bytes. */
    public boolean contentEquals(HostTensor other) {
        if (!isContiguous() || !other.isContiguous()) {
            throw new IllegalArgumentException("contentEquals compares contiguous tensors");
        }
        return dtype.equals(other.dtype) && Arrays.equals(shape, other.shape) && segment.mismatch(other.segment) == -1;
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
