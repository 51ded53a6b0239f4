package dev.qlinear.spi.device;

/** Where a tensor's bytes live. */
public enum MemoryKind {
    /** Host memory, reachable as a {@link java.lang.foreign.MemorySegment}. */
    HOST,
    /** Device memory, reachable only through the device and kernels. */
    DEVICE
}
