package dev.qlinear.core.platform;

import dev.qlinear.core.rocm.Rocm;
import dev.qlinear.core.rocm.RocmAvailability;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/** Finds ROCm device 0 through the HIP runtime. Where there is none, {@link #unavailableReason()} says why. */
public final class RocmProbe implements PlatformProbe {

    private final Supplier<RocmAvailability> availability;

    public RocmProbe() {
        this(Rocm::availability);
    }

    /** A probe over a given availability, such as one recorded on another machine. */
    public RocmProbe(Supplier<RocmAvailability> availability) {
        this.availability = requireNonNull(availability, "availability is null");
    }

    @Override
    public String name() {
        return "rocm";
    }

    @Override
    public Optional<Platform> probe() {
        return switch (availability()) {
            case RocmAvailability.Available available -> Optional.of(available.devices().getFirst().platform());
            case RocmAvailability.Unavailable unavailable -> Optional.empty();
        };
    }

    /** The devices found, or why ROCm cannot be used; never throws, whatever loading the HIP runtime does. */
    public RocmAvailability availability() {
        try {
            return availability.get();
        }
        catch (RuntimeException | LinkageError e) {
            return new RocmAvailability.Unavailable("ROCm detection failed: " + e);
        }
    }

    /** Why no ROCm platform was found, such as {@code "hipInit: hipErrorNoDevice (100)"}; empty when one was. */
    @Override
    public Optional<String> unavailableReason() {
        return availability() instanceof RocmAvailability.Unavailable unavailable ? Optional.of(unavailable.reason()) : Optional.empty();
    }
}
