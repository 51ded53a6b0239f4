package dev.qlinear.core.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The process's entry to CUDA: whether it can be used, and its devices. JCuda is loaded here, by the host, never by a
 * plugin (a JNI library can be loaded by one class loader only).
 */
public final class Cuda {

    private static final Object LOCK = new Object();
    private static final List<CudaDevice> OPEN = new ArrayList<>();

    private Cuda() {
    }

    /**
     * Initializes the driver once and reports the devices, or why CUDA cannot be used: the driver library missing, JCuda's
     * native library failing to load, or {@code cuInit} failing. Never throws for those.
     */
    public static CudaAvailability availability() {
        return Probe.AVAILABILITY;
    }

    /**
     * The device of that ordinal, with its primary context retained: the same instance for every call until it is closed.
     *
     * @throws IllegalStateException when CUDA is unavailable, with the reason
     * @throws IllegalArgumentException when there is no device of that ordinal
     */
    public static CudaDevice open(int ordinal) {
        List<CudaDeviceInfo> devices = switch (availability()) {
            case CudaAvailability.Available available -> available.devices();
            case CudaAvailability.Unavailable unavailable -> throw new IllegalStateException("CUDA is unavailable: " + unavailable.reason());
        };
        if (ordinal < 0 || ordinal >= devices.size()) {
            throw new IllegalArgumentException("there is no CUDA device " + ordinal + "; this machine has " + devices.size() + " (0 to " + (devices.size() - 1) + ")");
        }
        synchronized (LOCK) {
            for (CudaDevice device : OPEN) {
                if (device.info().ordinal() == ordinal) {
                    return device;
                }
            }
            CudaDevice device = CudaDevice.open(devices.get(ordinal));
            OPEN.add(device);
            return device;
        }
    }

    static void closed(CudaDevice device) {
        synchronized (LOCK) {
            OPEN.remove(device);
        }
    }

    @SuppressWarnings("restricted") // looking for the driver library is the point
    private static CudaAvailability detect() {
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        }
        catch (RuntimeException e) {
            return new CudaAvailability.Unavailable("libcuda.so.1 (the NVIDIA driver library) not found: " + e.getMessage());
        }
        try {
            // error codes are checked one by one, with the operation named
            JCudaDriver.setExceptionsEnabled(false);
        }
        catch (LinkageError e) {
            return new CudaAvailability.Unavailable("JCuda's driver library did not load: " + e);
        }
        try {
            int result = JCudaDriver.cuInit(0);
            if (result != CUresult.CUDA_SUCCESS) {
                return new CudaAvailability.Unavailable("cuInit: " + CudaException.driverErrorName(result));
            }
            int[] value = new int[1];
            result = JCudaDriver.cuDriverGetVersion(value);
            if (result != CUresult.CUDA_SUCCESS) {
                return new CudaAvailability.Unavailable("cuDriverGetVersion: " + CudaException.driverErrorName(result));
            }
            int driverVersion = value[0];
            result = JCudaDriver.cuDeviceGetCount(value);
            if (result != CUresult.CUDA_SUCCESS) {
                return new CudaAvailability.Unavailable("cuDeviceGetCount: " + CudaException.driverErrorName(result));
            }
            if (value[0] == 0) {
                return new CudaAvailability.Unavailable("the CUDA driver " + driverVersion + " reports no devices");
            }
            List<CudaDeviceInfo> devices = new ArrayList<>();
            for (int ordinal = 0; ordinal < value[0]; ordinal++) {
                devices.add(describe(ordinal, driverVersion));
            }
            return new CudaAvailability.Available(devices);
        }
        catch (CudaException e) {
            return new CudaAvailability.Unavailable(e.getMessage());
        }
        catch (RuntimeException | LinkageError e) {
            return new CudaAvailability.Unavailable("CUDA initialization failed: " + e);
        }
    }

    private static CudaDeviceInfo describe(int ordinal, int driverVersion) {
        CUdevice device = new CUdevice();
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName of device " + ordinal);
        long[] memory = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(memory, device), "cuDeviceTotalMem of device " + ordinal);
        return new CudaDeviceInfo(ordinal, cString(name),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "COMPUTE_CAPABILITY_MAJOR", ordinal),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "COMPUTE_CAPABILITY_MINOR", ordinal),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "MULTIPROCESSOR_COUNT", ordinal),
                memory[0],
                optionalAttribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE),
                optionalAttribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                optionalAttribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH),
                driverVersion);
    }

    private static int attribute(CUdevice device, int attribute, String name, int ordinal) {
        int[] value = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + name + ") of device " + ordinal);
        return value[0];
    }

    /** Figures only reported for information (a driver may drop one, as CUDA 13 did from the runtime's properties) are 0 when unknown. */
    private static int optionalAttribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        return JCudaDriver.cuDeviceGetAttribute(value, attribute, device) == CUresult.CUDA_SUCCESS ? Math.max(value[0], 0) : 0;
    }

    private static void check(int result, String operation) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw CudaException.driver(operation, result);
        }
    }

    private static String cString(byte[] bytes) {
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** Holds the result so the driver is initialized once, on first use. */
    private static final class Probe {
        static final CudaAvailability AVAILABILITY = detect();
    }
}
