package dev.qlinear.core.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The driver calls of the launch path, bound through FFM in {@code libcuda.so.1} (the library JCuda's native code uses,
 * so the contexts are shared). JCuda's {@code cuLaunchKernel} walks a tree of {@code Pointer} objects per call; a
 * downcall taking raw handles as {@code long} and a reused native parameter array allocates nothing. Handles are
 * passed as 64-bit integers, which the x86-64 and AArch64 C conventions pass exactly as pointers.
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
final class LaunchCalls {

    private static final SymbolLookup LIBCUDA = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
    private static final Linker LINKER = Linker.nativeLinker();

    /** {@code CUresult cuLaunchKernel(CUfunction, uint gridX, gridY, gridZ, blockX, blockY, blockZ, uint sharedBytes, CUstream, void** params, void** extra)} */
    private static final MethodHandle CU_LAUNCH_KERNEL = LINKER.downcallHandle(LIBCUDA.findOrThrow("cuLaunchKernel"),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));

    /** {@code CUresult cuLaunchKernelEx(const CUlaunchConfig*, CUfunction, void** params, void** extra)} */
    private static final MethodHandle CU_LAUNCH_KERNEL_EX = LINKER.downcallHandle(LIBCUDA.findOrThrow("cuLaunchKernelEx"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));

    /** {@code CUresult cuFuncGetParamInfo(CUfunction, size_t index, size_t* offset, size_t* size)}: CUDA 12.4 and later. */
    private static final Optional<MethodHandle> CU_FUNC_GET_PARAM_INFO = LIBCUDA.find("cuFuncGetParamInfo")
            .map(symbol -> LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS)));

    private LaunchCalls() {
    }

    static int cuLaunchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes, long stream,
            MemorySegment parameters) {
        try {
            return (int) CU_LAUNCH_KERNEL.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, parameters, 0L);
        }
        catch (Throwable e) {
            throw new AssertionError("cuLaunchKernel downcall failed", e);
        }
    }

    static int cuLaunchKernelEx(MemorySegment config, long function, MemorySegment parameters) {
        try {
            return (int) CU_LAUNCH_KERNEL_EX.invokeExact(config, function, parameters, 0L);
        }
        catch (Throwable e) {
            throw new AssertionError("cuLaunchKernelEx downcall failed", e);
        }
    }

    /**
     * The byte size of each parameter of a kernel, or empty when the driver cannot tell (older than CUDA 12.4).
     *
     * @param maxParameters where to stop asking
     */
    static Optional<int[]> parameterSizes(long function, int maxParameters) {
        if (CU_FUNC_GET_PARAM_INFO.isEmpty()) {
            return Optional.empty();
        }
        MethodHandle getParamInfo = CU_FUNC_GET_PARAM_INFO.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offset = arena.allocate(JAVA_LONG);
            MemorySegment size = arena.allocate(JAVA_LONG);
            int[] sizes = new int[maxParameters];
            for (int index = 0; index < maxParameters; index++) {
                int result = (int) getParamInfo.invokeExact(function, (long) index, offset, size);
                if (result != 0) {
                    // CUDA_ERROR_INVALID_VALUE past the last parameter
                    return Optional.of(java.util.Arrays.copyOf(sizes, index));
                }
                sizes[index] = Math.toIntExact(size.get(JAVA_LONG, 0));
            }
            return Optional.empty();
        }
        catch (Throwable e) {
            throw new AssertionError("cuFuncGetParamInfo downcall failed", e);
        }
    }
}
