// The decode kernel's stream without its arithmetic: the same persistent stream-K grid and 3-stage cp.async ring, no
// MMAs, no sum and no overlapping launches, reading the marlin layout's units (8 rows of 2 KB, 8N bytes apart) or the
// same bytes as contiguous 16 KB units. It bounds what the decode kernel can reach on each layer
// (docs/perf/raw/marlin-decode-streamk-h100-2026-11-22.txt).
//
//   nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o marlin_stream_probe marlin_stream_probe.cu && ./marlin_stream_probe
#include <cuda.h>
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)
__device__ __forceinline__ void copy_16(unsigned t, const void* s) { asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(t), "l"(s) : "memory"); }
__device__ __forceinline__ void commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
template <int N> __device__ __forceinline__ void wait_g() { asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory"); }
template <int STAGES, bool CONTIGUOUS>
__global__ void __launch_bounds__(256, 2) stream(const uint32_t* codes, int k, int n, unsigned* sink) {
    extern __shared__ __align__(16) unsigned char sh[];
    const unsigned base = (unsigned)__cvta_generic_to_shared(sh);
    const int upc = k / 128, units = n / 256 * upc;
    const int u0 = (int)((long long)blockIdx.x * units / gridDim.x), u1 = (int)((long long)(blockIdx.x + 1) * units / gridDim.x);
    const size_t row_words = 2 * (size_t)n;
    auto load = [&](int u, int slot) {
        const int cb = u / upc, s = u % upc;
        const unsigned t = base + slot * 16384 + threadIdx.x * 16;
        if (CONTIGUOUS) {
            const uint32_t* src = codes + (size_t)u * 4096 + threadIdx.x * 4;
            for (int i = 0; i < 4; ++i) copy_16(t + i * 4096, src + i * 1024);
        } else {
            const uint32_t* src = codes + (size_t)(s * 8 + threadIdx.x / 128) * row_words + 512 * cb + 4 * (threadIdx.x % 128);
            for (int i = 0; i < 4; ++i) copy_16(t + i * 4096, src + 2 * i * row_words);
        }
    };
    for (int s = 0; s < STAGES - 1; ++s) { if (u0 + s < u1) load(u0 + s, s); commit(); }
    unsigned acc = 0;
    for (int i = 0; u0 + i < u1; ++i) {
        wait_g<STAGES - 2>();
        __syncthreads();
        if (u0 + i + STAGES - 1 < u1) load(u0 + i + STAGES - 1, (i + STAGES - 1) % STAGES);
        commit();
        acc += reinterpret_cast<const unsigned*>(sh + (i % STAGES) * 16384)[threadIdx.x];
    }
    wait_g<0>();
    if (acc == 0x12345678) sink[0] = acc;
}
int main() {
    int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    struct S { const char* name; int k, n; };
    std::vector<S> shapes = {{"8B down", 14336, 4096}, {"8B gate_up", 4096, 28672}, {"70B qkv", 8192, 10240}, {"70B down", 28672, 8192}, {"70B gate_up", 8192, 57344}};
    unsigned* sink; CK(cudaMalloc(&sink, 4));
    void *a, *b; CK(cudaMalloc(&a, 256 << 20)); CK(cudaMalloc(&b, 256 << 20));
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    auto time = [&](auto&& f, int calls) { for (int i = 0; i < 10; ++i) f(i); cudaDeviceSynchronize(); std::vector<float> t;
        for (int r = 0; r < 15; ++r) { cudaEventRecord(e0); for (int i = 0; i < calls; ++i) f(i); cudaEventRecord(e1); cudaEventSynchronize(e1); float ms; cudaEventElapsedTime(&ms, e0, e1); t.push_back(ms * 1000 / calls); }
        std::sort(t.begin(), t.end()); return t[t.size() / 2]; };
    const double copy_us = time([&](int) { cudaMemcpyAsync(b, a, 256 << 20, cudaMemcpyDeviceToDevice); }, 1);
    printf("copy %.0f GB/s\n", 2.0 * (256 << 20) / copy_us / 1e3);
    CK(cudaFuncSetAttribute(stream<3, false>, cudaFuncAttributeMaxDynamicSharedMemorySize, 3 * 16384));
    CK(cudaFuncSetAttribute(stream<3, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, 3 * 16384));
    for (auto& s : shapes) {
        const size_t bytes = (size_t)s.k * s.n / 2;
        const int copies = std::max<size_t>(2, (200ull << 20) / bytes + 1);
        std::vector<uint32_t*> w(copies); for (auto& p : w) { CK(cudaMalloc(&p, bytes)); cudaMemset(p, 1, bytes); }
        for (int grid : {2 * sms, 3 * sms}) {
            double tp = time([&](int i) { stream<3, false><<<grid, 256, 3 * 16384>>>(w[i % copies], s.k, s.n, sink); }, 10);
            double tc = time([&](int i) { stream<3, true><<<grid, 256, 3 * 16384>>>(w[i % copies], s.k, s.n, sink); }, 10);
            printf("%-12s grid %d  marlin pattern %6.1f us %5.0f GB/s   contiguous units %6.1f us %5.0f GB/s\n", s.name, grid, tp, bytes / tp / 1e3, tc, bytes / tc / 1e3);
        }
        for (auto& p : w) cudaFree(p);
    }
    CK(cudaGetLastError());
    return 0;
}
