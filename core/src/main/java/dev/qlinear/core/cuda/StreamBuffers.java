package dev.qlinear.core.cuda;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One device buffer per stream, grown on demand: the kernels' workspaces and cuBLAS's. Work on one stream runs in
 * order, so everything queued on a stream may share its buffer; different streams never do.
 */
final class StreamBuffers {

    private final CudaDevice device;
    private final String purpose;
    private final boolean zeroed;
    private final Map<CudaStream, Allocation> buffers = new IdentityHashMap<>();

    /** @param zeroed whether a new buffer is zeroed before it is handed out */
    StreamBuffers(CudaDevice device, String purpose, boolean zeroed) {
        this.device = device;
        this.purpose = purpose;
        this.zeroed = zeroed;
    }

    /**
     * The stream's buffer, replaced by one of {@code bytes} when it is smaller. A replaced buffer may still be read by
     * queued work, so the stream is synchronized before it is freed.
     */
    synchronized Allocation atLeast(CudaStream stream, long bytes) {
        Allocation buffer = buffers.get(stream);
        if (buffer != null && buffer.bytes() >= bytes) {
            return buffer;
        }
        if (buffer != null) {
            stream.synchronize();
            buffers.remove(stream);
            device.free(buffer);
        }
        Allocation grown = device.allocateRaw(bytes, () -> purpose + " of " + stream);
        if (zeroed) {
            device.zero(grown);
        }
        buffers.put(stream, grown);
        return grown;
    }

    /** Frees the stream's buffer; its work must have finished. */
    synchronized void release(CudaStream stream) {
        Allocation buffer = buffers.remove(stream);
        if (buffer != null) {
            device.free(buffer);
        }
    }

    synchronized void releaseAll() {
        buffers.values().forEach(device::free);
        buffers.clear();
    }

    synchronized long bytes(CudaStream stream) {
        Allocation buffer = buffers.get(stream);
        return buffer == null ? 0 : buffer.bytes();
    }

    synchronized long totalBytes() {
        return buffers.values().stream().mapToLong(Allocation::bytes).sum();
    }
}
