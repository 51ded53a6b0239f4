package dev.qlinear.core.rocm;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;

/**
 * One {@code hipMalloc} block. Tensors keep a reference to check, in the host calls that take them, that the memory
 * was not freed since.
 */
final class RocmAllocation {

    private final RocmDevice device;
    private final long address;
    private final long bytes;
    private volatile boolean freed;
    /** The last view handed out, handed out again for the same type and shape: apply makes no garbage. */
    private volatile RocmTensor leadingView;

    RocmAllocation(RocmDevice device, long address, long bytes) {
        this.device = device;
        this.address = address;
        this.bytes = bytes;
    }

    RocmDevice device() {
        return device;
    }

    long address() {
        return address;
    }

    long bytes() {
        return bytes;
    }

    /** A contiguous view at the start of the block, the same object as the previous call's when type and shape repeat. */
    RocmTensor leadingView(ScalarType dtype, long[] shape) {
        RocmTensor last = leadingView;
        if (last != null && last.dtype().equals(dtype) && Arrays.equals(last.shape(), shape)) {
            return last;
        }
        RocmTensor view = new RocmTensor(this, dtype, shape);
        leadingView = view;
        return view;
    }

    boolean isFreed() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }

    void requireLive(String use) {
        if (freed) {
            throw new IllegalStateException("cannot " + use + ": its device memory (" + bytes + " bytes at 0x" + Long.toHexString(address) + " on "
                    + device + ") was released");
        }
    }
}
