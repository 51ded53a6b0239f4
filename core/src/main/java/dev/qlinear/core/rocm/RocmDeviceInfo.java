package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipRuntimeApi.hipDeviceProp_t;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * What HIP reports about one AMD GPU.
 *
 * @param ordinal the device's index in HIP's order
 * @param name the device name, such as {@code AMD Instinct MI300X}
 * @param gcnArchName the target with its feature settings, such as {@code gfx942:sramecc+:xnack-}
 * @param computeUnits compute units ({@code multiProcessorCount})
 * @param totalMemoryBytes device memory
 * @param l2CacheBytes L2 cache
 * @param warpSize threads of a wavefront: 64 on CDNA, 32 on RDNA
 * @param major HIP's stand-in for a compute capability major version (9 for gfx942); informational only
 * @param minor HIP's stand-in for a compute capability minor version (4 for gfx942); informational only
 * @param runtimeVersion the HIP runtime's version, such as 50221153 for 5.2.21153
 */
public record RocmDeviceInfo(int ordinal, String name, String gcnArchName, int computeUnits, long totalMemoryBytes, long l2CacheBytes, int warpSize,
        int major, int minor, int runtimeVersion) {

    public RocmDeviceInfo {
        requireNonNull(name, "name is null");
        requireNonNull(gcnArchName, "gcnArchName is null");
        if (ordinal < 0) {
            throw new IllegalArgumentException("device ordinal must not be negative, got " + ordinal);
        }
        // the architecture must parse: a device qlinear cannot name is no platform
        new Architecture.Rocm(gcnArchName);
        if (computeUnits < 1) {
            throw new IllegalArgumentException("a ROCm device has at least one compute unit, got " + computeUnits + " for " + name);
        }
        if (totalMemoryBytes < 0 || l2CacheBytes < 0) {
            throw new IllegalArgumentException("memory figures of " + name + " must not be negative: total " + totalMemoryBytes + ", L2 " + l2CacheBytes);
        }
    }

    /** The fields of a {@code hipDeviceProp_t} that {@code hipGetDeviceProperties} filled. */
    static RocmDeviceInfo of(int ordinal, MemorySegment properties, int runtimeVersion) {
        return new RocmDeviceInfo(ordinal, hipDeviceProp_t.name(properties), hipDeviceProp_t.gcnArchName(properties),
                hipDeviceProp_t.multiProcessorCount(properties), hipDeviceProp_t.totalGlobalMem(properties),
                Math.max(hipDeviceProp_t.l2CacheSize(properties), 0), hipDeviceProp_t.warpSize(properties), hipDeviceProp_t.major(properties),
                hipDeviceProp_t.minor(properties), runtimeVersion);
    }

    /** The {@code gfx} target without its feature settings. */
    public Architecture.Rocm architecture() {
        return new Architecture.Rocm(gcnArchName);
    }

    /** The feature settings after the target in {@link #gcnArchName}, such as {@code sramecc+} and {@code xnack-}. */
    public Set<String> features() {
        return Arrays.stream(gcnArchName.split(":")).skip(1).map(String::trim).filter(feature -> !feature.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** {@code rocm:gfxNNN} with this device's measured properties. */
    public Platform platform() {
        return new Platform(architecture(), Optional.of(new DeviceProperties(name, computeUnits, totalMemoryBytes, l2CacheBytes, features())));
    }
}
