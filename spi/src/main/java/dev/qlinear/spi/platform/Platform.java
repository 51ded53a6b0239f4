package dev.qlinear.spi.platform;

import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where a kernel would run: an architecture and, for a detected device, its measured properties. A platform can
 * also be written as a spec ({@code cuda:sm_80}, {@code cuda:sm_90}, {@code rocm:gfx942}, {@code cpu}) to ask
 * "what would be selected there".
 *
 * @param architecture the instruction-set identity, which carries the vendor
 * @param device properties of the detected device; empty for a platform parsed from a spec
 */
public record Platform(Architecture architecture, Optional<DeviceProperties> device) {

    public Platform {
        requireNonNull(architecture, "architecture is null");
        requireNonNull(device, "device is null");
    }

    /** A platform with no device behind it, as written in a spec. */
    public static Platform of(Architecture architecture) {
        return new Platform(architecture, Optional.empty());
    }

    /**
     * Parses {@code vendor[:architecture]}: {@code cuda:sm_80}, {@code cuda:sm_90a}, {@code cuda:9.0},
     * {@code rocm:gfx942}, {@code rocm:gfx1151}, {@code cpu} (this machine's ISA) or {@code cpu:aarch64}.
     *
     * @throws IllegalArgumentException naming the spec and the expected form
     */
    public static Platform parse(String spec) {
        requireNonNull(spec, "spec is null");
        String trimmed = spec.trim();
        int colon = trimmed.indexOf(':');
        String vendorText = (colon < 0 ? trimmed : trimmed.substring(0, colon)).toLowerCase(Locale.ROOT);
        Vendor vendor = switch (vendorText) {
            case "cpu" -> Vendor.CPU;
            case "cuda" -> Vendor.CUDA;
            case "rocm", "hip" -> Vendor.ROCM;
            default -> throw new IllegalArgumentException("invalid platform spec '" + spec
                    + "': the vendor must be cpu, cuda or rocm (for example cuda:sm_90, rocm:gfx942, cpu)");
        };
        if (colon < 0) {
            if (vendor == Vendor.CPU) {
                return of(new Architecture.Cpu(hostIsa()));
            }
            throw new IllegalArgumentException("invalid platform spec '" + spec + "': " + vendorText
                    + " needs an architecture, for example " + (vendor == Vendor.CUDA ? "cuda:sm_90" : "rocm:gfx942"));
        }
        String architecture = trimmed.substring(colon + 1);
        try {
            return of(Architecture.parse(vendor, architecture));
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid platform spec '" + spec + "': " + e.getMessage(), e);
        }
    }

    /** The ISA of the JVM's host in the names platform specs use. */
    public static String hostIsa() {
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "_");
        };
    }

    public Vendor vendor() {
        return architecture.vendor();
    }

    /** The spec that parses back to this platform's architecture: {@code cuda:sm_90}. */
    public String spec() {
        return vendor().specPrefix() + ":" + architecture.name();
    }

    /** Whether a real device was detected, as opposed to a platform written as a spec. */
    public boolean isDetected() {
        return device.isPresent();
    }

    @Override
    public String toString() {
        return device.map(d -> spec() + " (" + d.name() + ")").orElseGet(this::spec);
    }
}
