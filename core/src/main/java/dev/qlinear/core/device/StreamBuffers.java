package dev.qlinear.core.device;

import dev.qlinear.spi.device.ExecutionStream;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One device buffer per stream, grown on demand: kernels' workspaces, arrival counters, a BLAS library's workspace.
 * Work on one stream runs in order, so everything queued on a stream may share its buffer; different streams never do.
 *
 * @param <S> the device's stream type
 * @param <A> the device's allocation type
 */
public final class StreamBuffers<S extends ExecutionStream, A> {

    /** How the device allocates, frees and clears the buffers. */
    public interface Memory<A> {

        A allocate(long bytes, Supplier<String> purpose);

        void free(A buffer);

        /** Sets every byte to zero. */
        void zero(A buffer);

        long bytes(A buffer);
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
        if (buffer != null && memory.bytes(buffer) >= bytes) {
            return buffer;
        }
        if (buffer != null) {
            stream.synchronize();
            buffers.remove(stream);
            memory.free(buffer);
        }
        A grown = memory.allocate(bytes, () -> purpose + " of " + stream);
        if (zeroed) {
            memory.zero(grown);
        }
        buffers.put(stream, grown);
        return grown;
    }

    /** Frees the stream's buffer; its work must have finished. */
    public synchronized void release(S stream) {
        A buffer = buffers.remove(stream);
        if (buffer != null) {
            memory.free(buffer);
        }
    }

    public synchronized void releaseAll() {
        buffers.values().forEach(memory::free);
        buffers.clear();
    }

    public synchronized long bytes(S stream) {
        A buffer = buffers.get(stream);
        return buffer == null ? 0 : memory.bytes(buffer);
    }

    public synchronized long totalBytes() {
        return buffers.values().stream().mapToLong(memory::bytes).sum();
    }
}
