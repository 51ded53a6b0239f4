package dev.qlinear.core.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import static java.util.Objects.requireNonNull;

/**
 * A CUDA call that failed. The message names the operation and what it worked on (the kernel, the launch, the
 * sizes), then the error's name, code and the driver's description.
 */
public final class CudaException extends RuntimeException {

    private final String errorName;
    private final int code;

    /**
     * @param operation what was attempted, such as {@code "cuMemAlloc of 4096 bytes on device 0"}
     * @param errorName the library's name for the error, such as {@code CUDA_ERROR_INVALID_VALUE} or {@code CUBLAS_STATUS_NOT_SUPPORTED}
     * @param code the library's numeric error
     * @param description a sentence about the error; empty when the library has none
     */
    public CudaException(String operation, String errorName, int code, String description) {
        super(requireNonNull(operation, "operation is null") + ": " + requireNonNull(errorName, "errorName is null") + " (" + code + ")"
                + (requireNonNull(description, "description is null").isEmpty() ? "" : ": " + description));
        this.errorName = errorName;
        this.code = code;
    }

    /** A failed CUDA driver call, with the driver's name and description of the {@code CUresult}. */
    public static CudaException driver(String operation, int result) {
        return new CudaException(operation, driverErrorName(result), result, driverErrorString(result));
    }

    /** The error's name, such as {@code CUDA_ERROR_INVALID_VALUE}. */
    public String errorName() {
        return errorName;
    }

    /** The error's numeric value ({@code CUresult} or {@code cublasStatus_t}). */
    public int code() {
        return code;
    }

    /** The driver knows error codes newer than JCuda's table, so it is asked first. */
    static String driverErrorName(int result) {
        try {
            String[] name = new String[1];
            if (JCudaDriver.cuGetErrorName(result, name) == CUresult.CUDA_SUCCESS && name[0] != null) {
                return name[0];
            }
        }
        catch (LinkageError | RuntimeException e) {
            // the driver library is not loaded: JCuda's table still names the codes it knows
        }
        String known = CUresult.stringFor(result);
        return known.startsWith("INVALID CUresult") ? "CUDA error " + result : known;
    }

    private static String driverErrorString(int result) {
        try {
            String[] text = new String[1];
            if (JCudaDriver.cuGetErrorString(result, text) == CUresult.CUDA_SUCCESS && text[0] != null) {
                return text[0];
            }
        }
        catch (LinkageError | RuntimeException e) {
            // no description without the driver
        }
        return "";
    }
}
