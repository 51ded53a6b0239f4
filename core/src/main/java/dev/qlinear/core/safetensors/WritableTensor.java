package dev.qlinear.core.safetensors;

import dev.qlinear.core.weights.HostTensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A tensor to write: its header entry and its bytes, little-endian, or no bytes for a hole that reads as zeros
 * and, on file systems with sparse files, takes no disk space.
 *
 * @param name the tensor's name; not {@code __metadata__}
 * @param dtype its element type
 * @param shape its extents, outermost first
 * @param data exactly {@link #byteSize()} bytes, or empty for a hole
 */
public record WritableTensor(String name, SafetensorsDtype dtype, List<Long> shape, Optional<MemorySegment> data) {
    public WritableTensor {
        requireNonNull(name, "name is null");
        requireNonNull(dtype, "dtype is null");
        shape = List.copyOf(requireNonNull(shape, "shape is null"));
        requireNonNull(data, "data is null");
        if (name.equals(HeaderReader.METADATA)) {
            throw new IllegalArgumentException("'" + HeaderReader.METADATA + "' is reserved for the metadata and cannot name a tensor");
        }
        if (shape.size() > HeaderReader.MAX_RANK) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.size() + " dimensions, more than the " + HeaderReader.MAX_RANK + " readers accept");
        }
        long bytes = Math.multiplyExact(TensorEntry.elementCount(shape), dtype.elementBytes());
        if (data.isPresent() && data.get().byteSize() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + " " + shape + ", " + bytes + " bytes, but its data has " + data.get().byteSize());
        }
    }

    public static WritableTensor of(String name, SafetensorsDtype dtype, MemorySegment data, long... shape) {
        return new WritableTensor(name, dtype, Arrays.stream(shape).boxed().toList(), Optional.of(data));
    }

    /** A host tensor, under the safetensors dtype of its scalar type. */
    public static WritableTensor of(String name, HostTensor tensor) {
        SafetensorsDtype dtype = SafetensorsDtype.of(tensor.dtype()).orElseThrow(() -> new IllegalArgumentException(
                "tensor '" + name + "' is " + tensor.dtype() + ", which safetensors has no dtype for"));
        return of(name, dtype, tensor.segment(), tensor.shape());
    }

    /** A tensor whose bytes are left as a hole in the file: it reads as zeros. */
    public static WritableTensor hole(String name, SafetensorsDtype dtype, long... shape) {
        return new WritableTensor(name, dtype, Arrays.stream(shape).boxed().toList(), Optional.empty());
    }

    public long byteSize() {
        return TensorEntry.elementCount(shape) * dtype.elementBytes();
    }
}
