package dev.qlinear.core.platform;

import dev.qlinear.spi.platform.Platform;

import java.util.Optional;

/** Looks for devices of one vendor on this machine. */
public interface PlatformProbe {

    /** Which vendor this probe looks for, for diagnostics: {@code "cpu"}, {@code "cuda"}. */
    String name();

    /** The device found, or empty with nothing to run on. Never throws for a missing driver. */
    Optional<Platform> probe();

    /** Why the probe found nothing, when it knows, such as {@code "cuInit: CUDA_ERROR_NO_DEVICE"}. */
    default Optional<String> unavailableReason() {
        return Optional.empty();
    }
}
