package dev.qlinear.core.rocm;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** Whether ROCm can be used in this process: the devices HIP reports, or why not. */
public sealed interface RocmAvailability permits RocmAvailability.Available, RocmAvailability.Unavailable {

    /** @param devices every device, by ordinal */
    record Available(List<RocmDeviceInfo> devices) implements RocmAvailability {
        public Available {
            devices = List.copyOf(requireNonNull(devices, "devices is null"));
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("an available ROCm has at least one device");
            }
        }
    }

    /** @param reason what was missing or failed, such as {@code "hipInit: hipErrorNoDevice (100)"} */
    record Unavailable(String reason) implements RocmAvailability {
        public Unavailable {
            requireNonNull(reason, "reason is null");
        }
    }
}
