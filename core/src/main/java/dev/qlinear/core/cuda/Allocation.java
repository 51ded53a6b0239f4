package dev.qlinear.core.cuda;

import dev.qlinear.spi.type.ScalarType;

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
    /** The last contiguous view at the block's start, handed out again for the same type and shape: apply makes no garbage. */
    private volatile CudaTensor leadingView;

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

    /** A contiguous view at the start of the block, the same object as the previous call's when type and shape repeat. */
    CudaTensor leadingView(ScalarType dtype, long[] shape) {
        CudaTensor last = leadingView;
        if (last != null && last.dtype().equals(dtype) && hasShape(last, shape)) {
            return last;
        }
        CudaTensor view = CudaTensor.contiguous(this, dtype, shape);
        leadingView = view;
        return view;
    }

    private static boolean hasShape(CudaTensor tensor, long[] shape) {
        if (tensor.rank() != shape.length) {
            return false;
        }
        for (int dimension = 0; dimension < shape.length; dimension++) {
            if (tensor.size(dimension) != shape[dimension]) {
                return false;
            }
        }
        return true;
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
