package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.platform.Platform;

import java.util.List;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * Who a kernel is and what it declares. The engine checks the declaration before calling the kernel, the plugin
 * build writes it into the jar's kernel manifest, and the conformance suite derives its cases from it.
 *
 * @param id unique kernel id, lower case with digits and dashes, such as {@code marlin} or {@code triton-w4a16}
 * @param family the kernel family, usually the plugin's name
 * @param version the kernel's version, {@code major.minor.patch}
 * @param platforms the platforms declared, each with the kernel's priority there
 * @param capabilities the layers declared
 * @param tolerance how closely outputs match the reference
 * @param maxRows the largest M the kernel handles in one call
 */
public record KernelDescriptor(
        String id,
        String family,
        String version,
        List<PlatformSupport> platforms,
        KernelCapabilities capabilities,
        ToleranceClass tolerance,
        int maxRows) {

    public KernelDescriptor {
        requireNonNull(id, "id is null");
        requireNonNull(family, "family is null");
        requireNonNull(version, "version is null");
        platforms = List.copyOf(requireNonNull(platforms, "platforms is null"));
        requireNonNull(capabilities, "capabilities is null");
        requireNonNull(tolerance, "tolerance is null");
        if (!id.matches("[a-z0-9][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("kernel id '" + id + "' must be 1 to 64 lower-case letters, digits or dashes, starting with a letter or digit");
        }
        if (family.isBlank()) {
            throw new IllegalArgumentException("kernel family of '" + id + "' must not be blank");
        }
        if (!version.matches("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?")) {
            throw new IllegalArgumentException("version '" + version + "' of kernel '" + id + "' must be major.minor.patch");
        }
        if (platforms.isEmpty()) {
            throw new IllegalArgumentException("kernel '" + id + "' must declare at least one platform");
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows of kernel '" + id + "' must be at least 1, got " + maxRows);
        }
    }

    public LayerKind layerKind() {
        return capabilities.layerKind();
    }

    /** The priority of the first declared platform that covers this one, or empty when none does. */
    public OptionalInt priorityOn(Platform platform) {
        for (PlatformSupport support : platforms) {
            if (support.requirement().matches(platform)) {
                return OptionalInt.of(support.priority());
            }
        }
        return OptionalInt.empty();
    }
}
