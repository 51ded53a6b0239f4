package dev.qlinear.core.cuda;

/**
 * One {@code cuMemAlloc} block. Tensors keep a reference to check, in the host calls that take them, that the memory
 * was not freed since.
 */
final class Allocation {

    private final CudaDevice device;
    private final Handles.DevicePointer pointer;
    private final long address;
    private final long bytes;
    private volatile boolean freed;

    Allocation(CudaDevice device, Handles.DevicePointer pointer, long bytes) {
        this.device = device;
        this.pointer = pointer;
        this.address = pointer.raw();
        this.bytes = bytes;
    }

    CudaDevice device() {
        return device;
    }

    Handles.DevicePointer pointer() {
        return pointer;
    }

    long address() {
        return address;
    }

    long bytes() {
        return bytes;
    }

    boolean isFreed() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }

    void requireLive(String use) {
        if (freed) {
            throw new IllegalStateException("cannot " + use + ": its device memory (" + bytes + " bytes at 0x" + Long.toHexString(address)
                    + " on device " + device.info().ordinal() + ") was released");
        }
    }
}
