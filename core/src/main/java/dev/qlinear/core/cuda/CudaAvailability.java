package dev.qlinear.core.cuda;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** Whether CUDA can be used in this process: the devices it has, or why not. */
public sealed interface CudaAvailability permits CudaAvailability.Available, CudaAvailability.Unavailable {

    /**
     * The driver initialized and found devices.
     *
     * @param devices every device, by ordinal
     */
    record Available(List<CudaDeviceInfo> devices) implements CudaAvailability {
        public Available {
            devices = List.copyOf(requireNonNull(devices, "devices is null"));
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("an available CUDA has at least one device");
            }
        }
    }

    /**
     * CUDA cannot be used.
     *
     * @param reason what was missing or failed, such as {@code "cuInit: CUDA_ERROR_NO_DEVICE"}
     */
    record Unavailable(String reason) implements CudaAvailability {
        public Unavailable {
            requireNonNull(reason, "reason is null");
        }
    }
}
