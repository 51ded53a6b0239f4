package dev.qlinear.core.cuda;

import dev.qlinear.core.cuda.blas.Cublas;
import dev.qlinear.core.device.StreamBuffers;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * {@link DenseGemm} through {@code cublasGemmEx}: one handle per device, created on first use with the device's
 * context current, and a workspace of its own per stream so that multiplications can be captured into graphs (cuBLAS
 * would otherwise allocate from its pool while capturing). Calls are serialized: a handle is bound to one stream at a
 * time.
 *
 * <p>cuBLAS is column-major. Row-major {@code out[M,N] = a[M,K] b[K,N]} is, read column-major,
 * {@code out^T[N,M] = b^T[N,K] a^T[K,M]}: so cuBLAS computes m=N, n=M, k=K with A=b (lda=N), B=a (ldb = row stride of
 * a) and C=out (ldc = row stride of out), none transposed.
 */
final class CublasGemm implements DenseGemm {

    /** cuBLAS's recommended workspace: 32 MiB on Hopper and later, 4 MiB before. */
    private static final long HOPPER_WORKSPACE_BYTES = 32L << 20;
    private static final long WORKSPACE_BYTES = 4L << 20;

    private final CudaDevice device;
    private final Cublas cublas;
    private final StreamBuffers<CudaStream, Allocation> workspaces;
    private final long workspaceBytes;
    private final MemorySegment alpha;
    private final MemorySegment beta;
    private long handle;
    private CudaStream boundStream;
    private boolean destroyed;

    CublasGemm(CudaDevice device, Cublas cublas, StreamBuffers<CudaStream, Allocation> workspaces) {
        this.device = requireNonNull(device, "device is null");
        this.cublas = requireNonNull(cublas, "cublas is null");
        this.workspaces = requireNonNull(workspaces, "workspaces is null");
        this.workspaceBytes = device.info().major() >= 9 ? HOPPER_WORKSPACE_BYTES : WORKSPACE_BYTES;
        MemorySegment scalars = Arena.ofAuto().allocate(8, 8);
        // computeType 32F takes float alpha and beta in host memory
        scalars.set(JAVA_FLOAT, 0, 1.0f);
        scalars.set(JAVA_FLOAT, 4, 0.0f);
        this.alpha = scalars.asSlice(0, 4);
        this.beta = scalars.asSlice(4, 4);
    }

    @Override
    public synchronized void multiply(Tensor a, Tensor b, Tensor out, ExecutionStream stream) {
        requireNonNull(a, "a is null");
        requireNonNull(b, "b is null");
        requireNonNull(out, "out is null");
        CudaStream cudaStream = device.requireOwn(requireNonNull(stream, "stream is null"));
        if (destroyed) {
            throw new IllegalStateException("cuBLAS of " + device + " was destroyed with the device");
        }
        int dataType = checkShapes(a, b, out);
        int m = (int) a.size(0);
        int k = (int) a.size(1);
        int n = (int) b.size(1);
        // with one row the row stride is never used, but cuBLAS still wants it at least the row length
        long rowStrideA = m == 1 ? k : a.stride(0);
        long rowStrideOut = m == 1 ? n : out.stride(0);
        device.requireOwn(a, "a");
        device.requireOwn(b, "b");
        device.requireOwn(out, "out");
        bind(cudaStream);
        int status = cublas.cublasGemmEx(handle, Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, n, m, k, alpha, b.address(), dataType, n, a.address(), dataType,
                (int) rowStrideA, beta, out.address(), dataType, (int) rowStrideOut, Cublas.CUBLAS_COMPUTE_32F, Cublas.CUBLAS_GEMM_DEFAULT);
        if (status != Cublas.CUBLAS_STATUS_SUCCESS) {
            throw failure("cublasGemmEx for out" + shape(out) + " = a" + shape(a) + " (row stride " + rowStrideA + ") * b" + shape(b) + " in " + a.dtype()
                    + " on " + cudaStream, status);
        }
    }

    /** Creates the handle on first use and points it at the stream and its workspace when the stream changed. */
    private void bind(CudaStream stream) {
        device.makeCurrent();
        if (handle == 0) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment created = arena.allocate(JAVA_LONG);
                check(cublas.cublasCreate_v2(created), "cublasCreate_v2");
                handle = created.get(JAVA_LONG, 0);
            }
            check(cublas.cublasSetMathMode(handle, Cublas.CUBLAS_DEFAULT_MATH | Cublas.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION), "cublasSetMathMode");
        }
        if (boundStream != stream) {
            Allocation workspace = workspaces.atLeast(stream, workspaceBytes);
            device.makeCurrent();
            check(cublas.cublasSetStream_v2(handle, stream.handle()), "cublasSetStream_v2");
            // setting the stream resets the workspace to cuBLAS's pool: set ours after it
            check(cublas.cublasSetWorkspace_v2(handle, workspace.address(), workspace.bytes()), "cublasSetWorkspace_v2");
            boundStream = stream;
        }
    }

    /** The stream is closing: bind again on the next call. */
    synchronized void forget(CudaStream stream) {
        if (boundStream == stream) {
            boundStream = null;
        }
    }

    synchronized void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        if (handle != 0) {
            cublas.cublasDestroy_v2(handle);
            handle = 0;
        }
    }

    private static int checkShapes(Tensor a, Tensor b, Tensor out) {
        ScalarType dtype = a.dtype();
        if (!dtype.equals(b.dtype()) || !dtype.equals(out.dtype()) || !(dtype.equals(ScalarType.FLOAT16) || dtype.equals(ScalarType.BFLOAT16))) {
            throw new IllegalArgumentException("the dense GEMM multiplies float16 or bfloat16 tensors of one type, got a " + a.dtype() + ", b " + b.dtype()
                    + ", out " + out.dtype());
        }
        if (a.rank() != 2 || b.rank() != 2 || out.rank() != 2) {
            throw new IllegalArgumentException("the dense GEMM multiplies matrices, got a" + shape(a) + ", b" + shape(b) + ", out" + shape(out));
        }
        long m = a.size(0);
        long k = a.size(1);
        long n = b.size(1);
        if (b.size(0) != k || out.size(0) != m || out.size(1) != n) {
            throw new IllegalArgumentException("out[M, N] = a[M, K] * b[K, N] does not fit a" + shape(a) + ", b" + shape(b) + ", out" + shape(out));
        }
        if (m < 1 || n < 1 || k < 1 || m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("M, N and K must be in [1, 2^31 - 1], got M=" + m + " N=" + n + " K=" + k);
        }
        if (a.stride(1) != 1 && k > 1 || out.stride(1) != 1 && n > 1) {
            throw new IllegalArgumentException("rows of a and out must be unit-stride, got a strides [" + a.stride(0) + ", " + a.stride(1) + "], out strides ["
                    + out.stride(0) + ", " + out.stride(1) + "]");
        }
        if (m > 1 && (a.stride(0) < k || out.stride(0) < n || a.stride(0) > Integer.MAX_VALUE || out.stride(0) > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("row strides must be at least the row length and fit an int: a row stride " + a.stride(0) + " for K=" + k
                    + ", out row stride " + out.stride(0) + " for N=" + n);
        }
        if (!b.isContiguous()) {
            throw new IllegalArgumentException("b" + shape(b) + " must be contiguous, its strides are [" + b.stride(0) + ", " + b.stride(1) + "]");
        }
        return dtype.equals(ScalarType.FLOAT16) ? Cublas.CUDA_R_16F : Cublas.CUDA_R_16BF;
    }

    private void check(int status, String operation) {
        if (status != Cublas.CUBLAS_STATUS_SUCCESS) {
            throw failure(operation, status);
        }
    }

    private CudaException failure(String operation, int status) {
        return new CudaException(operation + " on " + device + " with " + cublas, Cublas.statusName(status), status, "");
    }

    private static String shape(Tensor tensor) {
        StringBuilder text = new StringBuilder("[");
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }
}
