package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.core.rocm.hip.HipRuntimeApi.hipDeviceProp_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** The process's entry to ROCm through the HIP runtime: whether it can be used, and its devices. */
public final class Rocm {

    private static final Object LOCK = new Object();
    private static final List<RocmDevice> OPEN = new ArrayList<>();

    private Rocm() {
    }

    /**
     * Initializes HIP once and reports the devices, or why ROCm cannot be used: {@code libamdhip64} missing, or
     * {@code hipInit} or {@code hipGetDeviceCount} failing, or no device. Never throws.
     */
    public static RocmAvailability availability() {
        return Probe.AVAILABILITY;
    }

    /**
     * What HIP reports through the library of {@link HipRuntimeApi}, whose loading gave {@code library}; a library
     * that is missing says why. Never throws.
     */
    public static RocmAvailability detect(HipRuntimeApi.Library library) {
        return switch (library) {
            case HipRuntimeApi.Library.Missing missing -> new RocmAvailability.Unavailable(missing.reason());
            case HipRuntimeApi.Library.Loaded loaded -> {
                try {
                    List<RocmDeviceInfo> devices = devices();
                    yield devices.isEmpty() ? new RocmAvailability.Unavailable("hipGetDeviceCount: the HIP runtime " + loaded.file() + " reports no devices")
                            : new RocmAvailability.Available(devices);
                }
                catch (HipException e) {
                    yield new RocmAvailability.Unavailable(e.getMessage());
                }
                catch (RuntimeException | LinkageError e) {
                    yield new RocmAvailability.Unavailable("HIP initialization through " + loaded.file() + " failed: " + e);
                }
            }
        };
    }

    /**
     * The device of that ordinal: the same instance for every call until it is closed.
     *
     * @throws IllegalStateException when {@code libamdhip64} is missing, with the reason
     * @throws HipException naming the call when HIP fails, such as {@code hipInit} on a machine without an AMD GPU
     * @throws IllegalArgumentException when there is no device of that ordinal
     */
    public static RocmDevice open(int ordinal) {
        if (HipRuntimeApi.library() instanceof HipRuntimeApi.Library.Missing missing) {
            throw new IllegalStateException("ROCm is unavailable: " + missing.reason());
        }
        List<RocmDeviceInfo> devices = devices();
        if (ordinal < 0 || ordinal >= devices.size()) {
            throw new IllegalArgumentException("there is no ROCm device " + ordinal + "; this machine has " + devices.size()
                    + (devices.isEmpty() ? "" : " (0 to " + (devices.size() - 1) + ")"));
        }
        synchronized (LOCK) {
            for (RocmDevice device : OPEN) {
                if (device.info().ordinal() == ordinal) {
                    return device;
                }
            }
            RocmDevice device = new RocmDevice(devices.get(ordinal));
            OPEN.add(device);
            return device;
        }
    }

    static void closed(RocmDevice device) {
        synchronized (LOCK) {
            OPEN.remove(device);
        }
    }

    /** {@code hipInit}, then every device's properties. */
    private static List<RocmDeviceInfo> devices() {
        try (Arena arena = Arena.ofConfined()) {
            HipException.check(HipRuntimeApi.hipInit(0), "hipInit");
            MemorySegment value = arena.allocate(JAVA_INT);
            HipException.check(HipRuntimeApi.hipRuntimeGetVersion(value), "hipRuntimeGetVersion");
            int runtimeVersion = value.get(JAVA_INT, 0);
            HipException.check(HipRuntimeApi.hipGetDeviceCount(value), "hipGetDeviceCount");
            int count = value.get(JAVA_INT, 0);
            MemorySegment properties = hipDeviceProp_t.allocate(arena);
            List<RocmDeviceInfo> devices = new ArrayList<>();
            for (int ordinal = 0; ordinal < count; ordinal++) {
                HipException.check(HipRuntimeApi.hipGetDeviceProperties(properties, ordinal), "hipGetDeviceProperties of device " + ordinal);
                devices.add(RocmDeviceInfo.of(ordinal, properties, runtimeVersion));
            }
            return List.copyOf(devices);
        }
    }

    /** Holds the result so HIP is initialized once, on first use. */
    private static final class Probe {
        static final RocmAvailability AVAILABILITY = detect(HipRuntimeApi.library());
    }
}
