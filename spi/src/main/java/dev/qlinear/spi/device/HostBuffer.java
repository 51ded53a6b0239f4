package dev.qlinear.spi.device;

import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** A contiguous row-major tensor in host memory: what a plugin packs in {@code prepare} and uploads. */
public final class HostBuffer implements Tensor {

    private final ScalarType dtype;
    private final long[] shape;
    private final long[] strides;
    private final MemorySegment segment;

    private HostBuffer(ScalarType dtype, long[] shape, MemorySegment segment) {
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.shape = shape.clone();
        this.segment = requireNonNull(segment, "segment is null");
        this.strides = new long[shape.length];
        long stride = 1;
        for (int dimension = shape.length - 1; dimension >= 0; dimension--) {
            strides[dimension] = stride;
            stride *= shape[dimension];
        }
    }

    /** A zero-filled buffer living as long as the arena. */
    public static HostBuffer allocate(Arena arena, ScalarType dtype, long... shape) {
        long elements = 1;
        for (long extent : shape) {
            if (extent < 1) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs positive extents");
            }
            elements = Math.multiplyExact(elements, extent);
        }
        return new HostBuffer(dtype, shape, arena.allocate(Math.multiplyExact(elements, dtype.storageBytes()), 16));
    }

    /** The buffer's memory. */
    public MemorySegment segment() {
        return segment;
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

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape) + " (host)";
    }
}
