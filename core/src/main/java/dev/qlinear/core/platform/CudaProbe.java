package dev.qlinear.core.platform;

import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/** Finds CUDA device 0 through the driver. Where there is none, {@link #unavailableReason()} says why. */
public final class CudaProbe implements PlatformProbe {

    private final Supplier<CudaAvailability> availability;

    public CudaProbe() {
        this(Cuda::availability);
    }

    /** A probe over a given availability, such as one recorded on another machine. */
    public CudaProbe(Supplier<CudaAvailability> availability) {
        this.availability = requireNonNull(availability, "availability is null");
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Optional<Platform> probe() {
        return switch (availability.get()) {
            case CudaAvailability.Available available -> Optional.of(available.devices().getFirst().platform());
            case CudaAvailability.Unavailable unavailable -> Optional.empty();
        };
    }

    /** The devices found, or why CUDA cannot be used. */
    public CudaAvailability availability() {
        return availability.get();
    }

    /** Why no CUDA platform was found, such as {@code "cuInit: CUDA_ERROR_NO_DEVICE"}; empty when one was. */
    @Override
    public Optional<String> unavailableReason() {
        return availability.get() instanceof CudaAvailability.Unavailable unavailable ? Optional.of(unavailable.reason()) : Optional.empty();
    }
}
