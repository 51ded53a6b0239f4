// Kernels for core's CUDA device tests (TestCudaDevice): each checks one part of the launch path.
// extern "C" keeps the entry-point names unmangled.

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
