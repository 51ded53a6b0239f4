package dev.qlinear.core.device;

import dev.qlinear.spi.device.ExecutionStream;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * One device buffer per stream, grown on demand: kernels' workspaces, arrival counters, a BLAS library's workspace.
 * Work on one stream runs in order, so everything queued on a stream may share its buffer; different streams never do.
 *
 * @param <S> the device's stream type
 * @param <A> the device's allocation type
 */
public final class StreamBuffers<S extends ExecutionStream, A> {

    /**
     * How the device allocates, frees and clears the buffers.
     *
     * @param allocate a buffer of that many bytes, with what it is for (for errors)
     * @param zero sets every byte of a buffer to zero
     */
    public record Memory<A>(BiFunction<Long, Supplier<String>, A> allocate, Consumer<A> free, Consumer<A> zero, ToLongFunction<A> bytes) {

        public Memory {
            requireNonNull(allocate, "allocate is null");
            requireNonNull(free, "free is null");
            requireNonNull(zero, "zero is null");
            requireNonNull(bytes, "bytes is null");
        }
    }

    private final Memory<A> memory;
    private final String purpose;
    private final boolean zeroed;
    private final Map<S, A> buffers = new IdentityHashMap<>();

    /**
     * @param purpose what the buffers hold, for allocation errors
     * @param zeroed whether a new buffer is zeroed before it is handed out
     */
    public StreamBuffers(Memory<A> memory, String purpose, boolean zeroed) {
        this.memory = requireNonNull(memory, "memory is null");
        this.purpose = requireNonNull(purpose, "purpose is null");
        this.zeroed = zeroed;
    }

    /**
     * The stream's buffer, replaced by one of {@code bytes} when it is smaller. A replaced buffer may still be read by
     * queued work, so the stream is synchronized before it is freed.
     */
    public synchronized A atLeast(S stream, long bytes) {
        A buffer = buffers.get(stream);
        if (buffer != null && memory.bytes().applyAsLong(buffer) >= bytes) {
            return buffer;
        }
        if (buffer != null) {
            stream.synchronize();
            buffers.remove(stream);
            memory.free().accept(buffer);
        }
        A grown = memory.allocate().apply(bytes, () -> purpose + " of " + stream);
        if (zeroed) {
            memory.zero().accept(grown);
        }
        buffers.put(stream, grown);
        return grown;
    }

    /** Frees the stream's buffer; its work must have finished. */
    public synchronized void release(S stream) {
        A buffer = buffers.remove(stream);
        if (buffer != null) {
            memory.free().accept(buffer);
        }
    }

    public synchronized void releaseAll() {
        buffers.values().forEach(memory.free());
        buffers.clear();
    }

    public synchronized long bytes(S stream) {
        A buffer = buffers.get(stream);
        return buffer == null ? 0 : memory.bytes().applyAsLong(buffer);
    }

    public synchronized long totalBytes() {
        return buffers.values().stream().mapToLong(memory.bytes()).sum();
    }
}
