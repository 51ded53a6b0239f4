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

    /** A zero-filled tensor whose memory lives as long as the arena. */
    public static HostTensor allocate(Arena arena, ScalarType dtype, long... shape) {
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        return new HostTensor(dtype, shape, arena.allocate(Math.multiplyExact(elements, dtype.storageBytes()), 8));
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

    /** Whether both tensors have the same dtype, shape and bytes. */
    public boolean contentEquals(HostTensor other) {
        return dtype.equals(other.dtype) && Arrays.equals(shape, other.shape) && segment.mismatch(other.segment) == -1;
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
