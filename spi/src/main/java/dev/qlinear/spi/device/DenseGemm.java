package dev.qlinear.spi.device;

/**
 * A dense half-precision GEMM the host offers on a device (cuBLAS on CUDA): for kernels that dequantize weights and
 * then multiply, and as the baseline of benchmarks.
 */
public interface DenseGemm {

    /**
     * Queues {@code out[M, N] = a[M, K] * b[K, N]} on the stream, row-major, with float32 accumulation. All three
     * tensors have the same type, float16 or bfloat16; rows of {@code a} and {@code out} may be strided (unit
     * stride along a row), {@code b} is contiguous.
     *
     * @throws IllegalArgumentException naming the shapes or types that do not fit
     */
    void multiply(Tensor a, Tensor b, Tensor out, ExecutionStream stream);
}
