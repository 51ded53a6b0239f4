package dev.qlinear.spi.platform;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What was measured on a detected device. A platform written as a spec has none.
 *
 * @param name the device name as the driver reports it
 * @param computeUnits streaming multiprocessors, compute units, or CPU cores
 * @param memoryBytes device memory (or usable host memory for a CPU)
 * @param cacheBytes last-level cache (L2 on GPUs), 0 if unknown
 * @param features vendor-specific feature flags, such as {@code avx512f} or {@code sramecc}
 */
public record DeviceProperties(String name, int computeUnits, long memoryBytes, long cacheBytes, Set<String> features) {
    public DeviceProperties {
        requireNonNull(name, "name is null");
        features = Set.copyOf(requireNonNull(features, "features is null"));
        if (computeUnits < 1) {
            throw new IllegalArgumentException("computeUnits must be at least 1, got " + computeUnits);
        }
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("memoryBytes must not be negative, got " + memoryBytes);
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cacheBytes must not be negative, got " + cacheBytes);
        }
    }
}
