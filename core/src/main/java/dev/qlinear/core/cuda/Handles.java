package dev.qlinear.core.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;

/**
 * JCuda objects whose raw handle can be read. JCuda keeps the handle in {@code NativePointerObject.nativePointer},
 * readable only through the protected {@code getNativePointer()}, which a subclass may call on its own instances: so
 * we pass instances of these subclasses to the JCuda calls that fill them, and read the raw value for the calls made
 * through FFM (kernel launches, cuBLAS).
 */
final class Handles {

    private static final CUdeviceptr NULL_DEVICE_POINTER = new CUdeviceptr();

    private Handles() {
    }

    /** A device pointer at any address, for JCuda calls on views and workspaces (JCuda adds the byte offset). */
    static CUdeviceptr devicePointer(long address) {
        return NULL_DEVICE_POINTER.withByteOffset(address);
    }

    static final class Stream extends CUstream {
        long raw() {
            return getNativePointer();
        }
    }

    static final class Function extends CUfunction {
        long raw() {
            return getNativePointer();
        }
    }

    static final class DevicePointer extends CUdeviceptr {
        long raw() {
            return getNativePointer() + getByteOffset();
        }
    }
}
