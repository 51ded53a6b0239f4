package dev.qlinear.core.cuda.blas;

import dev.qlinear.core.nativelib.NativeLibraryLoader;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * The few cuBLAS functions qlinear uses, bound through FFM by library name, in the shape jextract generates: one
 * downcall handle per function and a method of the C name. Handles, streams and device pointers are passed as 64-bit
 * integers (the C conventions of x86-64 and AArch64 pass them as pointers), so calls allocate nothing. JCuda's cuBLAS
 * binding is not used: it links {@code libcublas.so.12}, and the GPU hosts have {@code .so.13}.
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
public final class Cublas {

    public static final int CUBLAS_STATUS_SUCCESS = 0;
    public static final int CUBLAS_OP_N = 0;
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;
    public static final int CUBLAS_COMPUTE_32F = 68;
    public static final int CUBLAS_GEMM_DEFAULT = -1;
    public static final int CUBLAS_DEFAULT_MATH = 0;
    /** Reductions (split-K) accumulate in the compute type, never in the half-precision output type. */
    public static final int CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

    /** Library names tried in order: the CUDA 13 hosts have {@code .so.13}. */
    public static final List<String> LIBRARY_NAMES = List.of("libcublas.so.13", "libcublas.so.12");

    private static final Map<Integer, String> STATUS_NAMES = Map.of(
            0, "CUBLAS_STATUS_SUCCESS",
            1, "CUBLAS_STATUS_NOT_INITIALIZED",
            3, "CUBLAS_STATUS_ALLOC_FAILED",
            7, "CUBLAS_STATUS_INVALID_VALUE",
            8, "CUBLAS_STATUS_ARCH_MISMATCH",
            11, "CUBLAS_STATUS_MAPPING_ERROR",
            13, "CUBLAS_STATUS_EXECUTION_FAILED",
            14, "CUBLAS_STATUS_INTERNAL_ERROR",
            15, "CUBLAS_STATUS_NOT_SUPPORTED",
            16, "CUBLAS_STATUS_LICENSE_ERROR");

    private final String file;
    private final MethodHandle cublasCreate;
    private final MethodHandle cublasDestroy;
    private final MethodHandle cublasSetStream;
    private final MethodHandle cublasSetWorkspace;
    private final MethodHandle cublasSetMathMode;
    private final MethodHandle cublasGemmEx;

    private Cublas(SymbolLookup symbols, String file) {
        this.file = file;
        Linker linker = Linker.nativeLinker();
        // cublasStatus_t cublasCreate_v2(cublasHandle_t* handle)
        cublasCreate = linker.downcallHandle(symbols.findOrThrow("cublasCreate_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
        cublasDestroy = linker.downcallHandle(symbols.findOrThrow("cublasDestroy_v2"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        // cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream)
        cublasSetStream = linker.downcallHandle(symbols.findOrThrow("cublasSetStream_v2"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        // cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes)
        cublasSetWorkspace = linker.downcallHandle(symbols.findOrThrow("cublasSetWorkspace_v2"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        // cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
        cublasSetMathMode = linker.downcallHandle(symbols.findOrThrow("cublasSetMathMode"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        // cublasStatus_t cublasGemmEx(cublasHandle_t, cublasOperation_t transa, transb, int m, n, k, const void* alpha,
        //     const void* A, cudaDataType Atype, int lda, const void* B, cudaDataType Btype, int ldb, const void* beta,
        //     void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
        cublasGemmEx = linker.downcallHandle(symbols.findOrThrow("cublasGemmEx"), FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** cuBLAS from the default places, loaded once: {@link #LIBRARY_NAMES} by name, then in {@link #defaultFolders()}. */
    public static CublasAvailability availability() {
        return Default.AVAILABILITY;
    }

    /** {@code /usr/local/cuda/lib64}, {@code /usr/local/cuda/targets/x86_64-linux/lib} and {@code $CUDA_HOME/lib64} when set. */
    public static List<Path> defaultFolders() {
        List<Path> folders = new ArrayList<>(List.of(Path.of("/usr/local/cuda/lib64"), Path.of("/usr/local/cuda/targets/x86_64-linux/lib")));
        Optional.ofNullable(System.getenv("CUDA_HOME")).filter(home -> !home.isBlank()).map(home -> Path.of(home, "lib64")).ifPresent(folders::add);
        return List.copyOf(folders);
    }

    /** Loads the first of the names that opens, by name and then in each folder; the reason lists every failed try. */
    public static CublasAvailability load(List<String> names, List<Path> folders) {
        requireNonNull(names, "names is null");
        requireNonNull(folders, "folders is null");
        NativeLibraryLoader.Result result;
        try {
            result = NativeLibraryLoader.load(names, folders);
        }
        catch (RuntimeException | LinkageError e) {
            return new CublasAvailability.Missing("cuBLAS could not be looked up: " + e);
        }
        if (result.found().isEmpty()) {
            return new CublasAvailability.Missing("cuBLAS not found: " + String.join("; ", result.failures()));
        }
        NativeLibraryLoader.Found found = result.found().get();
        try {
            return new CublasAvailability.Loaded(new Cublas(found.symbols(), found.file()));
        }
        catch (RuntimeException e) {
            return new CublasAvailability.Missing(found.file() + " loaded but lacks a function qlinear calls: " + e.getMessage());
        }
    }

    /** The file or name that was loaded. */
    public String file() {
        return file;
    }

    /** The status's name, such as {@code CUBLAS_STATUS_NOT_SUPPORTED}. */
    public static String statusName(int status) {
        return STATUS_NAMES.getOrDefault(status, "CUBLAS_STATUS_" + status);
    }

    /** @param handle receives the {@code cublasHandle_t} (8 bytes) */
    public int cublasCreate_v2(MemorySegment handle) {
        try {
            return (int) cublasCreate.invokeExact(handle);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasCreate_v2 downcall failed", e);
        }
    }

    public int cublasDestroy_v2(long handle) {
        try {
            return (int) cublasDestroy.invokeExact(handle);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasDestroy_v2 downcall failed", e);
        }
    }

    public int cublasSetStream_v2(long handle, long stream) {
        try {
            return (int) cublasSetStream.invokeExact(handle, stream);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasSetStream_v2 downcall failed", e);
        }
    }

    public int cublasSetWorkspace_v2(long handle, long workspace, long workspaceBytes) {
        try {
            return (int) cublasSetWorkspace.invokeExact(handle, workspace, workspaceBytes);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasSetWorkspace_v2 downcall failed", e);
        }
    }

    public int cublasSetMathMode(long handle, int mode) {
        try {
            return (int) cublasSetMathMode.invokeExact(handle, mode);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasSetMathMode downcall failed", e);
        }
    }

    public int cublasGemmEx(long handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, long a, int aType, int lda, long b, int bType,
            int ldb, MemorySegment beta, long c, int cType, int ldc, int computeType, int algo) {
        try {
            return (int) cublasGemmEx.invokeExact(handle, transa, transb, m, n, k, alpha, a, aType, lda, b, bType, ldb, beta, c, cType, ldc, computeType, algo);
        }
        catch (Throwable e) {
            throw new AssertionError("cublasGemmEx downcall failed", e);
        }
    }

    @Override
    public String toString() {
        return "cuBLAS (" + file + ")";
    }

    /** Loaded on first use only: looking for the library costs a few dlopen calls. */
    private static final class Default {
        static final CublasAvailability AVAILABILITY = load(LIBRARY_NAMES, defaultFolders());
    }
}
