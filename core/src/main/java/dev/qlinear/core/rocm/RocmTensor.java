package dev.qlinear.core.rocm;

import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** A contiguous tensor at the start of a block of ROCm device memory. Sub-byte types are packed, two 4-bit elements to a byte. */
public final class RocmTensor implements Tensor {

    private final RocmAllocation allocation;
    private final ScalarType dtype;
    private final long[] shape;
    private final long[] strides;

    RocmTensor(RocmAllocation allocation, ScalarType dtype, long[] shape) {
        this.allocation = requireNonNull(allocation, "allocation is null");
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.shape = shape.clone();
        long bytes = contiguousBytes(dtype, this.shape);
        if (bytes > allocation.bytes()) {
            throw new IllegalArgumentException(dtype + Arrays.toString(shape) + " needs " + bytes + " bytes, beyond the " + allocation.bytes()
                    + " bytes of its allocation");
        }
        this.strides = new long[shape.length];
        long stride = 1;
        for (int dimension = shape.length - 1; dimension >= 0; dimension--) {
            strides[dimension] = stride;
            stride *= shape[dimension];
        }
    }

    /** Bytes of a contiguous tensor: packed for sub-byte types. */
    static long contiguousBytes(ScalarType dtype, long... shape) {
        requireNonNull(dtype, "dtype is null");
        requireNonNull(shape, "shape is null");
        long elements = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative extent");
            }
            elements = Math.multiplyExact(elements, extent);
        }
        return dtype.sizeBits() < 8 ? (Math.multiplyExact(elements, dtype.sizeBits()) + 7) / 8 : Math.multiplyExact(elements, dtype.storageBytes());
    }

    /** Bytes of this tensor. */
    public long byteSize() {
        return contiguousBytes(dtype, shape);
    }

    public RocmDevice device() {
        return allocation.device();
    }

    RocmAllocation allocation() {
        return allocation;
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
        return MemoryKind.DEVICE;
    }

    @Override
    public long address() {
        return allocation.address();
    }

    @Override
    public Optional<MemorySegment> hostSegment() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape) + " on " + allocation.device().name();
    }
}
