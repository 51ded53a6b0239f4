package dev.qlinear.spi.device;

import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A strided view of elements of one {@link ScalarType}, in host or device memory. Sub-byte types are packed, two
 * 4-bit elements to a byte with the lower index in the low nibble; strides count elements.
 *
 * <p>Accessors are allocation-free, so kernels may read them on the hot path.
 */
public interface Tensor {

    ScalarType dtype();

    int rank();

    /** Extent of a dimension. */
    long size(int dimension);

    /** Distance in elements between neighbours along a dimension. */
    long stride(int dimension);

    MemoryKind memory();

    /** The device pointer (or host address) of the first element. */
    long address();

    /** The bytes of a host tensor; empty for device memory. */
    Optional<MemorySegment> hostSegment();

    /** The extent of every dimension, a new array. */
    default long[] shape() {
        long[] shape = new long[rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = size(dimension);
        }
        return shape;
    }

    /** Number of elements. */
    default long elementCount() {
        long count = 1;
        for (int dimension = 0; dimension < rank(); dimension++) {
            count *= size(dimension);
        }
        return count;
    }

    /** Whether elements are laid out row-major without gaps. */
    default boolean isContiguous() {
        long expected = 1;
        for (int dimension = rank() - 1; dimension >= 0; dimension--) {
            if (size(dimension) != 1 && stride(dimension) != expected) {
                return false;
            }
            expected *= size(dimension);
        }
        return true;
    }
}
