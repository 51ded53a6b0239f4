package dev.qlinear.core.cuda;

import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What the driver reports about one CUDA device.
 *
 * @param ordinal the device's index in the driver's order
 * @param name the device name, such as {@code NVIDIA H100 80GB HBM3}
 * @param major compute capability major version
 * @param minor compute capability minor version
 * @param multiprocessors streaming multiprocessors
 * @param totalMemoryBytes device memory
 * @param l2CacheBytes L2 cache
 * @param memoryClockKhz peak memory clock
 * @param memoryBusWidthBits global memory bus width
 * @param driverVersion the driver's CUDA version, {@code 1000 * major + 10 * minor} (13000 for CUDA 13.0)
 */
public record CudaDeviceInfo(int ordinal, String name, int major, int minor, int multiprocessors, long totalMemoryBytes,
        long l2CacheBytes, int memoryClockKhz, int memoryBusWidthBits, int driverVersion) {

    public CudaDeviceInfo {
        requireNonNull(name, "name is null");
        if (ordinal < 0) {
            throw new IllegalArgumentException("device ordinal must not be negative, got " + ordinal);
        }
        if (multiprocessors < 1) {
            throw new IllegalArgumentException("a CUDA device has at least one multiprocessor, got " + multiprocessors + " for " + name);
        }
        if (totalMemoryBytes < 0 || l2CacheBytes < 0 || memoryClockKhz < 0 || memoryBusWidthBits < 0) {
            throw new IllegalArgumentException("memory figures of " + name + " must not be negative: total " + totalMemoryBytes + ", L2 "
                    + l2CacheBytes + ", clock " + memoryClockKhz + " kHz, bus " + memoryBusWidthBits + " bits");
        }
    }

    /** The architecture, {@code sm_<major><minor>}. */
    public Architecture.Cuda architecture() {
        return new Architecture.Cuda(major, minor);
    }

    /** {@code cuda:sm_XY} with this device's measured properties. */
    public Platform platform() {
        return new Platform(architecture(), Optional.of(new DeviceProperties(name, multiprocessors, totalMemoryBytes, l2CacheBytes, Set.of())));
    }

    /**
     * The theoretical peak of global memory bandwidth in bytes per second, from the memory clock and the bus width:
     * {@code 2 (double data rate) * clock * bus width / 8}. HBM3 on an H100 SXM reads about 3.35e12.
     */
    public double theoreticalBandwidthBytesPerSecond() {
        return 2.0 * memoryClockKhz * 1000.0 * memoryBusWidthBits / 8.0;
    }

    /** The driver version as {@code major.minor}, such as {@code 13.0}. */
    public String driverVersionText() {
        return driverVersion / 1000 + "." + driverVersion % 1000 / 10;
    }
}
