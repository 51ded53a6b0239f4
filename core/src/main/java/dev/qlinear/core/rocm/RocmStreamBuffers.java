package dev.qlinear.core.rocm;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One device buffer per stream, grown on demand: the kernels' workspaces and arrival counters. Work on one stream runs
 * in order, so everything queued on a stream may share its buffer; different streams never do.
 */
final class RocmStreamBuffers {

    private final RocmDevice device;
    private final String purpose;
    private final boolean zeroed;
    private final Map<RocmStream, RocmAllocation> buffers = new IdentityHashMap<>();

    /** @param zeroed whether a new buffer is zeroed before it is handed out */
    RocmStreamBuffers(RocmDevice device, String purpose, boolean zeroed) {
        this.device = device;
        this.purpose = purpose;
        this.zeroed = zeroed;
    }

    /**
     * The stream's buffer, replaced by one of {@code bytes} when it is smaller. A replaced buffer may still be read by
     * queued work, so the stream is synchronized before it is freed.
     */
    synchronized RocmAllocation atLeast(RocmStream stream, long bytes) {
        RocmAllocation buffer = buffers.get(stream);
        if (buffer != null && buffer.bytes() >= bytes) {
            return buffer;
        }
        if (buffer != null) {
            stream.synchronize();
            buffers.remove(stream);
            device.free(buffer);
        }
        RocmAllocation grown = device.allocateRaw(bytes, () -> purpose + " of " + stream);
        if (zeroed) {
            device.zero(grown);
        }
        buffers.put(stream, grown);
        return grown;
    }

    /** Frees the stream's buffer; its work must have finished. */
    synchronized void release(RocmStream stream) {
        RocmAllocation buffer = buffers.remove(stream);
        if (buffer != null) {
            device.free(buffer);
        }
    }

    synchronized void releaseAll() {
        buffers.values().forEach(device::free);
        buffers.clear();
    }
}
