// Kernels for core's CUDA device tests (TestCudaDevice): each checks one part of the launch path.
// extern "C" keeps the entry-point names unmangled.

#include <cuda.h>

// out[i] = x[i] + alpha * y[i]: pointer, float and int arguments.
extern "C" __global__ void add_scaled(const float* x, const float* y, float* out, float alpha, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        out[i] = x[i] + alpha * y[i];
    }
}

// data[i] += step: replayed in a graph, the effect adds up.
extern "C" __global__ void increment(int* data, int step, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        data[i] += step;
    }
}

// out[i] = value + i: a 64-bit integer argument.
extern "C" __global__ void iota64(long long* out, long long value, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        out[i] = value + i;
    }
}

// One block stages `count` ints through dynamic shared memory in reverse: needs count * 4 bytes of it.
extern "C" __global__ void reverse_through_shared(const int* in, int* out, int count) {
    extern __shared__ int staged[];
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        staged[count - 1 - i] = in[i];
    }
    __syncthreads();
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        out[i] = staged[i];
    }
}

// Busy-waits about `cycles` clock cycles: device time for the event test.
extern "C" __global__ void spin(long long cycles) {
    long long start = clock64();
    while (clock64() - start < cycles) {
    }
}

// Copies the box at (column0, row0) of a float32 tensor map (no swizzle) into out[rows][columns] through shared
// memory: one TMA copy that completes on an mbarrier, the path Hopper kernels feed their MMAs with. sm_90 and later.
extern "C" __global__ void tma_box(const __grid_constant__ CUtensorMap map, int column0, int row0, float* out, int columns, int rows) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    __shared__ alignas(128) float box[64 * 64];
    __shared__ alignas(8) unsigned long long arrived;
    const unsigned barrier = static_cast<unsigned>(__cvta_generic_to_shared(&arrived));
    if (threadIdx.x == 0) {
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(barrier) : "memory");
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(barrier), "r"(columns * rows * 4) : "memory");
        asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(
                         static_cast<unsigned>(__cvta_generic_to_shared(box))),
                     "l"(reinterpret_cast<unsigned long long>(&map)), "r"(column0), "r"(row0), "r"(barrier)
                     : "memory");
    }
    __syncthreads();
    asm volatile(
        "{\n.reg .pred done;\nretry:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], 0;\n"
        "@!done bra retry;\n}\n" ::"r"(barrier)
        : "memory");
    for (int i = threadIdx.x; i < columns * rows; i += blockDim.x) {
        out[i] = box[i];
    }
#else
    __trap();
#endif
}
