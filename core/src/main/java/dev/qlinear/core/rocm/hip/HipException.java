package dev.qlinear.core.rocm.hip;

import static java.util.Objects.requireNonNull;

/**
 * A HIP call that failed. The message names the call and what it worked on (the kernel, the launch, the sizes), then
 * the error's name, code and HIP's description where it says more than the name.
 */
public final class HipException extends RuntimeException {

    /** HIP's strings are short; a longer one is cut here rather than read past. */
    private static final long MAX_STRING_BYTES = 1024;

    private final String errorName;
    private final int code;

    /**
     * @param operation what was attempted, such as {@code "hipMalloc of 4096 bytes on rocm:0"}
     * @param errorName HIP's name for the error, such as {@code hipErrorOutOfMemory}
     * @param code the {@code hipError_t}
     * @param description HIP's sentence about the error; empty or equal to the name when it has none
     */
    public HipException(String operation, String errorName, int code, String description) {
        super(requireNonNull(operation, "operation is null") + ": " + requireNonNull(errorName, "errorName is null") + " (" + code + ")"
                + (requireNonNull(description, "description is null").isEmpty() || description.equals(errorName) ? "" : ": " + description));
        this.errorName = errorName;
        this.code = code;
    }

    /** A failed HIP call, with HIP's name and description of the {@code hipError_t}. */
    public static HipException of(String operation, int code) {
        return new HipException(operation, errorName(code), code, errorString(code));
    }

    /** Throws when {@code result} is not {@code hipSuccess}. */
    public static void check(int result, String operation) {
        if (result != HipRuntimeApi.hipSuccess) {
            throw of(operation, result);
        }
    }

    /** HIP's name for an error code, such as {@code hipErrorNoDevice}; {@code "HIP error <code>"} when HIP is not loaded. */
    public static String errorName(int code) {
        try {
            String name = HipRuntimeApi.cString(HipRuntimeApi.hipGetErrorName(code), MAX_STRING_BYTES);
            return name.isEmpty() ? "HIP error " + code : name;
        }
        catch (RuntimeException e) {
            return "HIP error " + code;
        }
    }

    private static String errorString(int code) {
        try {
            return HipRuntimeApi.cString(HipRuntimeApi.hipGetErrorString(code), MAX_STRING_BYTES);
        }
        catch (RuntimeException e) {
            return "";
        }
    }

    /** HIP's name for the error, such as {@code hipErrorInvalidDevice}. */
    public String errorName() {
        return errorName;
    }

    /** The {@code hipError_t}. */
    public int code() {
        return code;
    }
}
