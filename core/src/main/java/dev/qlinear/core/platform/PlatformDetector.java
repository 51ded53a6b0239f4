package dev.qlinear.core.platform;

import dev.qlinear.spi.platform.Platform;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Picks the platform to run on: the first probe, in preference order, that finds a device. */
public final class PlatformDetector {

    private final List<PlatformProbe> probes;

    public PlatformDetector(List<PlatformProbe> probes) {
        this.probes = List.copyOf(requireNonNull(probes, "probes is null"));
        if (this.probes.isEmpty()) {
            throw new IllegalArgumentException("at least one platform probe is needed");
        }
    }

    public List<PlatformProbe> probes() {
        return probes;
    }

    /** Every platform the probes find, in preference order: a GPU host also has its CPU. */
    public List<Platform> detectAll() {
        return probes.stream().map(PlatformProbe::probe).flatMap(Optional::stream).toList();
    }

    public Platform detect() {
        for (PlatformProbe probe : probes) {
            Optional<Platform> platform = probe.probe();
            if (platform.isPresent()) {
                return platform.get();
            }
        }
        throw new IllegalStateException("no platform found by probes " + probes.stream().map(PlatformProbe::name).toList());
    }
}
