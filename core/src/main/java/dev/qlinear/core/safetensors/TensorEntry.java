package dev.qlinear.core.safetensors;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One tensor of a safetensors header.
 *
 * @param name the tensor's name
 * @param dtype its element type
 * @param shape its extents, outermost first; empty for a scalar
 * @param offset where its bytes begin, counted from the start of the file
 * @param byteSize how many bytes it has: the product of the shape times the element size
 */
public record TensorEntry(String name, SafetensorsDtype dtype, List<Long> shape, long offset, long byteSize) {
    public TensorEntry {
        requireNonNull(name, "name is null");
        requireNonNull(dtype, "dtype is null");
        shape = List.copyOf(requireNonNull(shape, "shape is null"));
        if (offset < 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has negative offset " + offset);
        }
        long expected = Math.multiplyExact(elementCount(shape), dtype.elementBytes());
        if (byteSize != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + " " + shape + ", " + expected + " bytes, not " + byteSize);
        }
    }

    /** The offset one past its last byte. */
    public long end() {
        return offset + byteSize;
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** The shape as an array, as {@link dev.qlinear.core.weights.HostTensor#wrap} takes it. */
    public long[] dimensions() {
        return shape.stream().mapToLong(Long::longValue).toArray();
    }

    static long elementCount(List<Long> shape) {
        long count = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException("shape " + shape + " has a negative extent");
            }
            count = Math.multiplyExact(count, extent);
        }
        return count;
    }
}
