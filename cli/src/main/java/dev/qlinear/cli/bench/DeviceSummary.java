package dev.qlinear.cli.bench;

import static java.util.Objects.requireNonNull;

/**
 * The device a report was measured on.
 *
 * @param name such as {@code NVIDIA H100 80GB HBM3}
 * @param architecture such as {@code sm_90}
 * @param multiprocessors streaming multiprocessors
 * @param memoryBytes device memory
 * @param l2Bytes L2 cache
 * @param driver the driver's CUDA version, such as {@code 13.0}
 */
public record DeviceSummary(String name, String architecture, int multiprocessors, long memoryBytes, long l2Bytes, String driver) {

    public DeviceSummary {
        requireNonNull(name, "name is null");
        requireNonNull(architecture, "architecture is null");
        requireNonNull(driver, "driver is null");
        if (multiprocessors < 1 || memoryBytes < 1 || l2Bytes < 0) {
            throw new IllegalArgumentException("device " + name + " needs positive multiprocessors and memory, got " + multiprocessors + " SMs, "
                    + memoryBytes + " bytes, L2 " + l2Bytes + " bytes");
        }
    }
}
