package dev.qlinear.conformance.run;

import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaTensor;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;

import static java.util.Objects.requireNonNull;

/**
 * Puts one case's host tensors where the kernel computes and brings outputs back: nothing to do for a CPU kernel;
 * copies through a GPU's memory otherwise, keeping a strided input strided, so the kernel sees on its device exactly
 * what a CPU kernel sees on the host. Closing it frees the device copies.
 */
final class Staging implements AutoCloseable {

    private final Device device;
    private final Object owner = new Object();

    Staging(Device device) {
        this.device = requireNonNull(device, "device is null");
    }

    /** A host tensor as the kernel's device holds it: the same shape and strides, the same element bits. */
    Tensor toDevice(HostTensor host) {
        if (!(device instanceof CudaDevice cuda)) {
            return host;
        }
        long[] shape = host.shape();
        long[] strides = new long[shape.length];
        long lastElement = 0;
        for (int dimension = 0; dimension < shape.length; dimension++) {
            strides[dimension] = host.stride(dimension);
            lastElement += (shape[dimension] - 1) * strides[dimension];
        }
        long span = lastElement + 1;
        HostTensor flatHost = HostTensor.wrap(host.segment().asSlice(0, span * host.dtype().storageBytes()), host.dtype(), span);
        CudaTensor flat = cuda.allocate(owner, host.dtype(), span);
        cuda.copy(flatHost, flat, cuda.defaultStream());
        return flat.view(0, shape, strides);
    }

    /** Copies a tensor the kernel wrote on its device into the contiguous host tensor it was staged from. */
    void toHost(Tensor written, HostTensor host) {
        if (written == host) {
            return;
        }
        device.copy(written, host, device.defaultStream());
        device.defaultStream().synchronize();
    }

    @Override
    public void close() {
        if (device instanceof CudaDevice) {
            device.release(owner);
        }
    }
}
