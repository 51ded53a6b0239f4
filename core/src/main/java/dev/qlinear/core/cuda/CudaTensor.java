package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A strided view of CUDA device memory. Sub-byte types are packed, two 4-bit elements to a byte; strides count
 * elements. Accessors allocate nothing.
 */
public final class CudaTensor implements Tensor {

    private final Allocation allocation;
    private final long byteOffset;
    private final ScalarType dtype;
    private final long[] shape;
    private final long[] strides;

    CudaTensor(Allocation allocation, long byteOffset, ScalarType dtype, long[] shape, long[] strides) {
        this.allocation = requireNonNull(allocation, "allocation is null");
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.byteOffset = byteOffset;
        this.shape = shape.clone();
        this.strides = strides.clone();
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        }
        long span = spanBytes(dtype, this.shape, this.strides);
        if (byteOffset < 0 || byteOffset + span > allocation.bytes()) {
            throw new IllegalArgumentException(dtype + Arrays.toString(shape) + " with strides " + Arrays.toString(strides) + " at byte " + byteOffset
                    + " spans " + span + " bytes, beyond the " + allocation.bytes() + " bytes of its allocation");
        }
    }

    /** A contiguous tensor over the start of an allocation. */
    static CudaTensor contiguous(Allocation allocation, ScalarType dtype, long[] shape) {
        return new CudaTensor(allocation, 0, dtype, shape, contiguousStrides(shape));
    }

    /** Bytes of a contiguous tensor: packed for sub-byte types. */
    static long contiguousBytes(ScalarType dtype, long... shape) {
        requireNonNull(dtype, "dtype is null");
        long elements = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative extent");
            }
            elements = Math.multiplyExact(elements, extent);
        }
        return bytesOfElements(dtype, elements);
    }

    private static long bytesOfElements(ScalarType dtype, long elements) {
        return dtype.sizeBits() < 8 ? (Math.multiplyExact(elements, dtype.sizeBits()) + 7) / 8 : Math.multiplyExact(elements, dtype.storageBytes());
    }

    private static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int dimension = shape.length - 1; dimension >= 0; dimension--) {
            strides[dimension] = stride;
            stride *= shape[dimension];
        }
        return strides;
    }

    private static long spanBytes(ScalarType dtype, long[] shape, long[] strides) {
        long lastElement = 0;
        for (int dimension = 0; dimension < shape.length; dimension++) {
            if (shape[dimension] < 0 || strides[dimension] < 0) {
                throw new IllegalArgumentException("a view needs non-negative extents and strides, got shape " + Arrays.toString(shape)
                        + " strides " + Arrays.toString(strides));
            }
            if (shape[dimension] == 0) {
                return 0;
            }
            lastElement = Math.addExact(lastElement, Math.multiplyExact(shape[dimension] - 1, strides[dimension]));
        }
        return bytesOfElements(dtype, lastElement + 1);
    }

    /**
     * A strided view of the same allocation, starting {@code elementOffset} elements after this view's first element.
     *
     * @throws IllegalArgumentException when the view reaches outside the allocation, or a sub-byte view does not start on a byte
     */
    public CudaTensor view(long elementOffset, long[] shape, long[] strides) {
        requireNonNull(shape, "shape is null");
        requireNonNull(strides, "strides is null");
        allocation.requireLive("view " + this);
        if (elementOffset < 0) {
            throw new IllegalArgumentException("element offset must not be negative, got " + elementOffset);
        }
        long offsetBits = Math.multiplyExact(elementOffset, dtype.sizeBits() < 8 ? dtype.sizeBits() : 8L * dtype.storageBytes());
        if (offsetBits % 8 != 0) {
            throw new IllegalArgumentException("a view of " + dtype + " must start on a byte; element offset " + elementOffset + " does not");
        }
        return new CudaTensor(allocation, byteOffset + offsetBits / 8, dtype, shape, strides);
    }

    /** Bytes from the first to the last element of this view. */
    public long byteSize() {
        return spanBytes(dtype, shape, strides);
    }

    /** The extents, a copy. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The device this memory belongs to. */
    public CudaDevice device() {
        return allocation.device();
    }

    Allocation allocation() {
        return allocation;
    }

    long byteOffset() {
        return byteOffset;
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
        return MemoryKind.DEVICE;
    }

    @Override
    public long address() {
        return allocation.address() + byteOffset;
    }

    @Override
    public Optional<MemorySegment> hostSegment() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        String view = isContiguous() ? "" : " strides " + Arrays.toString(strides);
        return dtype + Arrays.toString(shape) + view + " on cuda:" + allocation.device().info().ordinal();
    }
}
