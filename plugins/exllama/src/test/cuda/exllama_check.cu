// Kernel-level check and benchmark of the exllama kernels on a CUDA host, without Java: the same kernels as the
// plugin jar (this file includes ../../main/cuda/exllama.cu), launched with the plan FusedPlan computes, against a
// float64 reference on random data, and timed against cuBLAS fp16 with the weights rotated past L2. Build on a GPU host:
//
//   nvcc -O3 -std=c++17 -Xcompiler -fopenmp -gencode arch=compute_90a,code=sm_90a -o exllama_check exllama_check.cu -lcublas -lcuda
//
// Modes (run-on-gpu.sh runs the usual ones and keeps the logs):
//   check         fused and dequantize+cuBLAS paths: 4/8-bit, M 1..257, awkward K and N, every group size, act-order,
//                 bias, strided inputs; poisoned outputs, bit-identical second calls; exit status 1 on any failure
//   check-small   a subset, for compute-sanitizer (memcheck, racecheck)
//   bench         fused vs dequantize+cuBLAS (16 MB, 32 MB chunks, whole weight) vs cuBLAS fp16, M 1..4096
//   switch        the same for M 32..192: where dequantize+cuBLAS ("deqfull", what the plugin does) overtakes fused
//   quick         fused only, M 1, 16, 32: for comparing block shapes (-DEXLLAMA_WARPS_N/_WARPS_K/_UNROLL)
//   decode        decode vs fused vs cuBLAS fp16, M 1, 8, 16 (-DEXLLAMA_DECODE_WARPS_N/_STAGE_QUADS/_STAGES; EXLLAMA_DECODE_BLOCKS
//                 blocks per SM)
//   tiled         the tiled kernel (64, 128, 256 tokens per block) vs dequantize+cuBLAS vs cuBLAS fp16, M 32..4096
//                 (EXLLAMA_TILED_LAYER picks one layer by name, EXLLAMA_TILED_MS=",256,1024," the M,
//                 EXLLAMA_TILED_SPLITS forces the K splits)
//   floor         the fixed cost of a decode call at M = 1: per call, per batch, in a graph, vs an empty kernel
//   tune          fused with other split heuristics (EXLLAMA_WAVES, EXLLAMA_MIN_QUADS are also read from the environment)
//   once K N M    a few fused calls, for ncu
//
// Timings are medians of device time per call, queued back to back (no host launch cost, as under a CUDA graph).

#include "../../main/cuda/exllama.cu"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#define CUDA_OK(call)                                                                                     \
    do {                                                                                                  \
        cudaError_t status_ = (call);                                                                     \
        if (status_ != cudaSuccess) {                                                                     \
            std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(status_)); \
            std::exit(2);                                                                                 \
        }                                                                                                 \
    } while (0)

#define CUBLAS_OK(call)                                                                   \
    do {                                                                                  \
        cublasStatus_t status_ = (call);                                                  \
        if (status_ != CUBLAS_STATUS_SUCCESS) {                                           \
            std::fprintf(stderr, "%s:%d %s: status %d\n", __FILE__, __LINE__, #call, (int)status_); \
            std::exit(2);                                                                 \
        }                                                                                 \
    } while (0)

namespace {

// ---- the launch plan: the same arithmetic as dev.qlinear.exllama.ExllamaPlan ----

struct Plan {
    int mt;
    int row_chunks;
    int column_blocks;
    int splits;
    int quads_per_split;
};

int ceil_div(long long a, long long b) { return (int)((a + b - 1) / b); }

// Tunables of the split heuristic, overridable here by the environment for the "tune" mode.
int g_waves = 4;              // blocks aimed for: waves * 2 blocks per SM * SMs
int g_min_quads = 16;         // fewest quads a split gets

Plan plan_fused(int bits, int m, int k, int n, int sms, long long workspace_bytes) {
    Plan p{};
    p.mt = m <= 16 ? 1 : m <= 32 ? 2 : 4;
    p.row_chunks = ceil_div(m, 16 * p.mt);
    p.column_blocks = ceil_div(n, BLOCK_N);
    const int quad_k = bits == 4 ? 32 : 16;
    const int quads = k / quad_k;
    const int base = p.row_chunks * p.column_blocks;
    const int target = g_waves * 2 * sms;
    int splits = std::max(1, std::min(ceil_div(target, base), quads / g_min_quads));
    const long long per_split = 4LL * m * n;
    if (splits > 1) {
        splits = (int)std::max<long long>(1, std::min<long long>(splits, workspace_bytes / per_split));
    }
    p.quads_per_split = ceil_div(quads, splits);
    p.splits = ceil_div(quads, p.quads_per_split);
    return p;
}

// The decode kernel's plan: the same arithmetic as dev.qlinear.exllama.DecodePlan. A persistent grid of
// g_decode_blocks blocks per SM (fewer when the layer has fewer units of work).
struct DecodePlan {
    int tt;
    int blocks;
    int units;
    int units_per_column;
    bool reduce;  // some column block is split between blocks: exllama_decode_reduce adds their partial sums
    int shared_bytes;
    long long partial_floats;
};

int g_decode_blocks = 2;      // blocks per SM

int decode_shared_bytes(int bits, int tt) {
    if (bits == 4) return tt == 1 ? DecodeShape<4, 1>::SHARED_BYTES : DecodeShape<4, 2>::SHARED_BYTES;
    return tt == 1 ? DecodeShape<8, 1>::SHARED_BYTES : DecodeShape<8, 2>::SHARED_BYTES;
}

DecodePlan plan_decode(int bits, int m, int k, int n, int sms, int blocks_per_sm = 0) {
    DecodePlan p{};
    p.tt = m <= 8 ? 1 : 2;
    const int quads = k / (bits == 4 ? 32 : 16);
    p.units = ceil_div(n, DECODE_BLOCK_N) * ceil_div(quads, DECODE_STAGE_QUADS);
    p.blocks = std::min(p.units, (blocks_per_sm > 0 ? blocks_per_sm : g_decode_blocks) * sms);
    p.units_per_column = ceil_div(quads, DECODE_STAGE_QUADS);
    p.reduce = false;
    for (int b = 1; b < p.blocks && !p.reduce; ++b) p.reduce = (long long)b * p.units / p.blocks % p.units_per_column != 0;
    p.shared_bytes = decode_shared_bytes(bits, p.tt);
    p.partial_floats = 2LL * p.blocks * m * DECODE_BLOCK_N;
    return p;
}

// ---- fp16 bits ----

uint16_t to_half(float value) { return __half_as_ushort(__float2half_rn(value)); }
float from_half(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }

// ---- a layer: canonical codes, its exllama-gptq preparation, the reference ----

struct Layer {
    int bits, k, n, group_size;  // group_size: K when channelwise
    bool act_order, has_bias;
    std::vector<int> codes;         // [K, N] logical codes
    std::vector<uint16_t> scales;   // [K / G, N]
    std::vector<int> g_idx;         // [K]
    std::vector<uint16_t> bias;     // [N]
    std::vector<int> perm;          // [K]
    std::vector<uint32_t> words;    // [K / pf, N] exllama-gptq

    int groups() const { return k / group_size; }
    int group_of(int row) const { return act_order ? g_idx[row] : row / group_size; }
    double weight(int row, int column) const {
        const int zero = bits == 4 ? 8 : 128;
        return (double)(codes[(size_t)row * n + column] - zero) * from_half(scales[(size_t)group_of(row) * n + column]);
    }
};

Layer make_layer(std::mt19937_64& random, int bits, int k, int n, int group_size, bool act_order, bool has_bias) {
    Layer layer{bits, k, n, group_size < 0 ? k : group_size, act_order, has_bias};
    std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
    std::uniform_real_distribution<float> scale(0.002f, 0.02f);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    layer.codes.resize((size_t)k * n);
    for (auto& c : layer.codes) c = code(random);
    layer.scales.resize((size_t)layer.groups() * n);
    for (auto& s : layer.scales) s = to_half(scale(random) * (bits == 4 ? 1.0f : 0.0625f));
    layer.g_idx.resize(k);
    std::vector<int> visit(k);
    std::iota(visit.begin(), visit.end(), 0);
    if (act_order) std::shuffle(visit.begin(), visit.end(), random);
    for (int j = 0; j < k; ++j) layer.g_idx[visit[j]] = j / layer.group_size;
    layer.bias.resize(n);
    for (auto& b : layer.bias) b = to_half(has_bias ? normal(random) : 0.0f);
    // exllama-gptq: perm = stable argsort(g_idx); row slot p of a 4-bit word holds [0,2,4,6,1,3,5,7][p]
    layer.perm.resize(k);
    std::iota(layer.perm.begin(), layer.perm.end(), 0);
    if (act_order) std::stable_sort(layer.perm.begin(), layer.perm.end(), [&](int a, int b) { return layer.g_idx[a] < layer.g_idx[b]; });
    const int per_word = 32 / bits;
    static const int order4[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    layer.words.assign((size_t)(k / per_word) * n, 0);
    for (int r = 0; r < k / per_word; ++r) {
        for (int column = 0; column < n; ++column) {
            uint32_t word = 0;
            for (int slot = 0; slot < per_word; ++slot) {
                const int element = bits == 4 ? order4[slot] : slot;
                const int row = layer.perm[per_word * r + element];
                word |= (uint32_t)layer.codes[(size_t)row * n + column] << (bits * slot);
            }
            layer.words[(size_t)r * n + column] = word;
        }
    }
    return layer;
}

// A layer for timing only: random prepared words and scales, no logical codes or reference.
Layer random_words(std::mt19937_64& random, int k, int n) {
    Layer layer{4, k, n, 128, false, false};
    layer.words.resize((size_t)k / 8 * n);
    for (auto& w : layer.words) w = (uint32_t)random();
    std::uniform_real_distribution<float> scale(0.002f, 0.02f);
    layer.scales.resize((size_t)k / 128 * n);
    for (auto& v : layer.scales) v = to_half(scale(random));
    return layer;
}

std::vector<double> reference(const Layer& layer, const std::vector<uint16_t>& x, long long ldx, int m) {
    std::vector<double> w((size_t)layer.k * layer.n);
#pragma omp parallel for
    for (int row = 0; row < layer.k; ++row)
        for (int column = 0; column < layer.n; ++column) w[(size_t)row * layer.n + column] = layer.weight(row, column);
    std::vector<double> y((size_t)m * layer.n, 0.0);
#pragma omp parallel for schedule(dynamic)
    for (int r = 0; r < m; ++r) {
        double* out = &y[(size_t)r * layer.n];
        for (int row = 0; row < layer.k; ++row) {
            const double a = from_half(x[(size_t)r * ldx + row]);
            const double* wr = &w[(size_t)row * layer.n];
            for (int column = 0; column < layer.n; ++column) out[column] += a * wr[column];
        }
        for (int column = 0; column < layer.n; ++column) out[column] += from_half(layer.bias[column]);
    }
    return y;
}

// ---- device side ----

struct DeviceLayer {
    uint32_t* words = nullptr;
    __half* scales = nullptr;
    int* perm = nullptr;
    __half* bias = nullptr;
};

template <typename T>
T* upload(const std::vector<T>& host) {
    T* device = nullptr;
    CUDA_OK(cudaMalloc(&device, host.size() * sizeof(T)));
    CUDA_OK(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    return device;
}

DeviceLayer upload(const Layer& layer) {
    DeviceLayer d;
    d.words = upload(layer.words);
    d.scales = reinterpret_cast<__half*>(upload(layer.scales));
    if (layer.act_order) d.perm = upload(layer.perm);
    if (layer.has_bias) d.bias = reinterpret_cast<__half*>(upload(layer.bias));
    return d;
}

void release(DeviceLayer& d) {
    cudaFree(d.words);
    cudaFree(d.scales);
    cudaFree(d.perm);
    cudaFree(d.bias);
}

using FusedKernel = void (*)(const __half*, long long, int, int, int, const uint32_t*, const __half*, int, const int*, const __half*, __half*, float*, int, int);

FusedKernel fused_kernel(int bits, int mt) {
    if (bits == 4) return mt == 1 ? exllama_fused_w4_mt1 : mt == 2 ? exllama_fused_w4_mt2 : exllama_fused_w4_mt4;
    return mt == 1 ? exllama_fused_w8_mt1 : mt == 2 ? exllama_fused_w8_mt2 : exllama_fused_w8_mt4;
}

using DecodeKernel = void (*)(const __half*, long long, int, int, int, const uint32_t*, const __half*, int, const __half*, __half*, float*);

DecodeKernel decode_kernel(int bits, int tt) {
    if (bits == 4) return tt == 1 ? exllama_decode_w4_tt1 : exllama_decode_w4_tt2;
    return tt == 1 ? exllama_decode_w8_tt1 : exllama_decode_w8_tt2;
}

struct Context {
    cublasHandle_t cublas;
    cudaStream_t stream;
    int sms;
    void* workspace;
    long long workspace_bytes;
    int* arrivals;  // a sink for the floor mode's empty kernel
};

// The decode path: gather x when act-order or unaligned, the decode kernel, and exllama_decode_reduce when the decode
// kernel split a column block. Partials at the workspace start, the gathered x after them.
bool g_pdl = false;      // launch the decode kernel and its reduction with programmatic stream serialization (EXLLAMA_PDL=1)
bool g_batched = false;  // decode mode: time the decode kernel in batches of 10 calls, as qlinear bench does (EXLLAMA_BATCHED=1)

void run_decode(Context& c, const Layer& layer, const DeviceLayer& d, const __half* x, long long ldx, int m, __half* out, int blocks_per_sm = 0) {
    const DecodePlan p = plan_decode(layer.bits, m, layer.k, layer.n, c.sms, blocks_per_sm);
    float* partials = static_cast<float*>(c.workspace);
    const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && (ldx % 8 == 0 || m == 1);
    if (d.perm != nullptr || !aligned) {
        __half* gathered = reinterpret_cast<__half*>(static_cast<char*>(c.workspace) + c.workspace_bytes / 2);
        const long long vectors = (long long)m * layer.k / 8;
        exllama_gather<<<ceil_div(vectors, 256), 256, 0, c.stream>>>(x, ldx, m, layer.k, d.perm, gathered);
        CUDA_OK(cudaGetLastError());
        x = gathered;
        ldx = layer.k;
    }
    DecodeKernel kernel = decode_kernel(layer.bits, p.tt);
    static bool raised[4] = {false, false, false, false};
    const int index = (layer.bits == 4 ? 0 : 2) + p.tt - 1;
    if (!raised[index]) {
        CUDA_OK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, p.shared_bytes));
        int resident = 0;
        CUDA_OK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, DECODE_THREADS, p.shared_bytes));
        std::printf("decode w%d tt%d: %d bytes of shared memory, %d blocks resident per SM\n", layer.bits, p.tt, p.shared_bytes, resident);
        raised[index] = true;
    }
    if (g_pdl) {
        // what the plugin asks for on sm_90: the call may start while the previous one finishes
        cudaLaunchConfig_t config{};
        config.gridDim = dim3(p.blocks);
        config.blockDim = dim3(DECODE_THREADS);
        config.dynamicSmemBytes = p.shared_bytes;
        config.stream = c.stream;
        cudaLaunchAttribute attribute{};
        attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attribute.val.programmaticStreamSerializationAllowed = 1;
        config.attrs = &attribute;
        config.numAttrs = 1;
        CUDA_OK(cudaLaunchKernelEx(&config, kernel, x, ldx, m, layer.k, layer.n, d.words, d.scales, layer.group_size, d.bias, out, partials));
    }
    else {
        kernel<<<p.blocks, DECODE_THREADS, p.shared_bytes, c.stream>>>(x, ldx, m, layer.k, layer.n, d.words, d.scales, layer.group_size, d.bias, out,
                                                                       partials);
    }
    CUDA_OK(cudaGetLastError());
    if (p.reduce) {
        // as the plugin launches it: overlapping the decode kernel's end when the decode kernel overlaps too
        cudaLaunchConfig_t config{};
        config.gridDim = dim3(ceil_div(layer.n, DECODE_BLOCK_N), ceil_div(m * DECODE_BLOCK_N / 4, DECODE_REDUCE_THREADS));
        config.blockDim = dim3(DECODE_REDUCE_THREADS);
        config.stream = c.stream;
        cudaLaunchAttribute attribute{};
        attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attribute.val.programmaticStreamSerializationAllowed = 1;
        config.attrs = &attribute;
        config.numAttrs = g_pdl ? 1 : 0;
        CUDA_OK(cudaLaunchKernelEx(&config, exllama_decode_reduce, static_cast<const float*>(partials), m, layer.n, p.units_per_column, p.blocks,
                                   static_cast<const __half*>(d.bias), out));
    }
}

int g_tiled_splits = 0;  // K splits of the tiled kernel when set (EXLLAMA_TILED_SPLITS); 0: the plan's choice
int g_tiled_bm = 0;  // tokens per tiled block when set (EXLLAMA_TILED_BM); 0: the plan's choice

bool tiled_fits(const Layer& layer) {
    return layer.bits == 4 && layer.k % TILED_STAGE_K == 0 && layer.n % TILED_BLOCK_N == 0 && layer.group_size % TILED_STAGE_K == 0;
}

// The same plan as dev.qlinear.exllama.TiledPlan: the lowest block height that covers M (64, 128, 256), then, when
// the blocks leave SMs idle (two blocks fit an SM at 64 tokens), K split so that they fill one wave (at least 16
// stages a split, at most 8 splits).
struct TiledPlan {
    int bm, whole_columns, splits, stages_per_split, blocks;
};

int g_tiled_hybrid = 1;  // whole waves of whole tiles, then a split tail (EXLLAMA_TILED_HYBRID=0: split all or none)

// TiledPlan.of in Java: whole waves of whole tiles, then the remaining column blocks' tiles split along K so that they
// fill one wave (at least 16 stages a split, at most 8 splits); no split when the tail is more than half a wave.
TiledPlan plan_tiled(int m, int k, int n, int sms, int forced_bm = 0) {
    int bm = forced_bm > 0 ? forced_bm : g_tiled_bm;
    if (bm == 0) bm = m <= 64 ? 64 : m <= 128 ? 128 : 256;
    const int stages = k / TILED_STAGE_K;
    const int token_tiles = ceil_div(m, bm);
    const int columns = n / TILED_BLOCK_N;
    const int tiles = columns * token_tiles;
    const int resident = sms * (bm == 64 ? 2 : 1);
    int whole = g_tiled_hybrid ? std::min(columns, tiles / resident * resident / token_tiles) : tiles < resident ? 0 : columns;
    int splits = 1;
    if (g_tiled_splits > 0) {
        whole = 0;
        splits = g_tiled_splits;
    }
    else if (whole < columns) {
        splits = std::max(1, std::min({resident / ((columns - whole) * token_tiles), stages / 16, 8}));
    }
    if (splits == 1) whole = columns;
    const int per_split = ceil_div(stages, splits);
    splits = ceil_div(stages, per_split);
    return {bm, whole, splits, per_split, whole * token_tiles + (columns - whole) * token_tiles * splits};
}

typedef void (*TiledKernel)(const CUtensorMap, const CUtensorMap, int, int, int, const __half*, int, const __half*, __half*, int, int, float*);

// The tiled path (sm_90a, 4-bit): gather x when act-order or unaligned, then the kernel (and the split-K reduction).
// Partials at the workspace start, the gathered x in its second half.
void run_tiled(Context& c, const Layer& layer, const DeviceLayer& d, const __half* x, long long ldx, int m, __half* out, int bm = 0) {
    const TiledPlan p = plan_tiled(m, layer.k, layer.n, c.sms, bm);
    float* partials = p.splits > 1 ? static_cast<float*>(c.workspace) : nullptr;
    const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && (ldx % 8 == 0 || m == 1);
    if (d.perm != nullptr || !aligned) {
        __half* gathered = reinterpret_cast<__half*>(static_cast<char*>(c.workspace) + c.workspace_bytes / 2);
        const long long vectors = (long long)m * layer.k / 8;
        exllama_gather<<<ceil_div(vectors, 256), 256, 0, c.stream>>>(x, ldx, m, layer.k, d.perm, gathered);
        CUDA_OK(cudaGetLastError());
        x = gathered;
        ldx = layer.k;
    }
    const TiledKernel kernel = p.bm == 64 ? exllama_tiled_w4_bm64 : p.bm == 128 ? exllama_tiled_w4_bm128 : exllama_tiled_w4_bm256;
    const int shared = p.bm == 64 ? TiledShape<64>::SHARED_BYTES : p.bm == 128 ? TiledShape<128>::SHARED_BYTES : TiledShape<256>::SHARED_BYTES;
    static bool raised[3] = {false, false, false};
    const int index = p.bm == 64 ? 0 : p.bm == 128 ? 1 : 2;
    if (!raised[index]) {
        CUDA_OK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared));
        raised[index] = true;
    }
    dim3 grid(p.blocks);
    CUtensorMap x_map;
    const cuuint64_t dims[2] = {(cuuint64_t)layer.k, (cuuint64_t)m};
    const cuuint64_t strides[1] = {(cuuint64_t)ldx * 2};
    const cuuint32_t box[2] = {TILED_STAGE_K, (cuuint32_t)p.bm};
    const cuuint32_t element_strides[2] = {1, 1};
    const CUresult encoded = cuTensorMapEncodeTiled(&x_map, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2, const_cast<__half*>(x), dims, strides, box, element_strides,
                                                    CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                                                    CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (encoded != CUDA_SUCCESS) {
        std::fprintf(stderr, "cuTensorMapEncodeTiled failed: %d (M=%d K=%d ldx=%lld bm=%d)\n", (int)encoded, m, layer.k, ldx, p.bm);
        std::exit(1);
    }
    // the words [K / 8, N] as rows of N 32-bit words, a box of a column block by a stage's 8 rows
    CUtensorMap w_map;
    const cuuint64_t w_dims[2] = {(cuuint64_t)layer.n, (cuuint64_t)layer.k / 8};
    const cuuint64_t w_strides[1] = {(cuuint64_t)layer.n * 4};
    const cuuint32_t w_box[2] = {TILED_BLOCK_N, TILED_STAGE_K / 8};
    const CUresult w_encoded = cuTensorMapEncodeTiled(&w_map, CU_TENSOR_MAP_DATA_TYPE_INT32, 2, const_cast<uint32_t*>(d.words), w_dims, w_strides, w_box,
                                                      element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                                                      CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (w_encoded != CUDA_SUCCESS) {
        std::fprintf(stderr, "cuTensorMapEncodeTiled (words) failed: %d (K=%d N=%d)\n", (int)w_encoded, layer.k, layer.n);
        std::exit(1);
    }
    kernel<<<grid, TILED_THREADS, shared, c.stream>>>(x_map, w_map, m, layer.k, layer.n, d.scales, layer.group_size, d.bias, out, p.whole_columns,
                                                      p.stages_per_split, partials);
    CUDA_OK(cudaGetLastError());
    if (p.splits > 1) {
        const int column0 = p.whole_columns * TILED_BLOCK_N;
        const long long vectors = (long long)m * (layer.n - column0) / 8;
        exllama_reduce<<<ceil_div(vectors, 256), 256, 0, c.stream>>>(partials, p.splits, m, layer.n, column0, d.bias, out);
        CUDA_OK(cudaGetLastError());
    }
}

void run_fused(Context& c, const Layer& layer, const DeviceLayer& d, const __half* x, long long ldx, int m, __half* out, int force_splits = 0) {
    Plan p = plan_fused(layer.bits, m, layer.k, layer.n, c.sms, c.workspace_bytes);
    if (force_splits > 0) {
        const int quads = layer.k / (layer.bits == 4 ? 32 : 16);
        p.quads_per_split = ceil_div(quads, force_splits);
        p.splits = ceil_div(quads, p.quads_per_split);
    }
    const int x_vector = (reinterpret_cast<uintptr_t>(x) % 16 == 0 && ldx % 8 == 0) ? 1 : 0;
    float* partials = p.splits > 1 ? static_cast<float*>(c.workspace) : nullptr;
    dim3 grid(p.row_chunks, p.column_blocks, p.splits);
    fused_kernel(layer.bits, p.mt)<<<grid, THREADS, 0, c.stream>>>(x, ldx, m, layer.k, layer.n, d.words, d.scales, layer.group_size, d.perm, d.bias, out,
                                                                   partials, p.quads_per_split, x_vector);
    CUDA_OK(cudaGetLastError());
    if (p.splits > 1) {
        const long long vectors = (long long)m * layer.n / 8;
        exllama_reduce<<<ceil_div(vectors, 256), 256, 0, c.stream>>>(partials, p.splits, m, layer.n, 0, d.bias, out);
        CUDA_OK(cudaGetLastError());
    }
}

int chunk_columns(int k, int n, long long chunk_bytes) {
    long long columns = chunk_bytes / (2LL * k) / 128 * 128;
    return (int)std::min<long long>(n, std::max<long long>(128, columns));
}

void run_dequantized(Context& c, const Layer& layer, const DeviceLayer& d, const __half* x, long long ldx, int m, __half* out, long long chunk_bytes) {
    const int columns = chunk_columns(layer.k, layer.n, chunk_bytes);
    __half* w = static_cast<__half*>(c.workspace);
    const float one = 1.0f, zero = 0.0f;
    for (int n0 = 0; n0 < layer.n; n0 += columns) {
        const int width = std::min(columns, layer.n - n0);
        dim3 grid(ceil_div(width / 4, 128), std::min(65535, layer.k / (32 / layer.bits)));
        (layer.bits == 4 ? exllama_dequantize_w4 : exllama_dequantize_w8)<<<grid, 128, 0, c.stream>>>(d.words, d.scales, layer.group_size, d.perm, layer.k,
                                                                                                   layer.n, n0, width, w);
        CUDA_OK(cudaGetLastError());
        CUBLAS_OK(cublasGemmEx(c.cublas, CUBLAS_OP_N, CUBLAS_OP_N, width, m, layer.k, &one, w, CUDA_R_16F, width, x, CUDA_R_16F, (int)ldx, &zero,
                               out + n0, CUDA_R_16F, layer.n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    if (d.bias != nullptr) {
        const long long vectors = (long long)m * layer.n / 8;
        exllama_add_bias<<<ceil_div(vectors, 256), 256, 0, c.stream>>>(out, m, layer.n, d.bias);
        CUDA_OK(cudaGetLastError());
    }
}

// ---- correctness ----

struct Check {
    int bits, m, k, n, group;
    bool act_order, bias, strided;
};

enum class Path { FUSED, DEQUANTIZED, DECODE, TILED };

std::vector<uint16_t> run_twice(Context& c, const Layer& layer, const DeviceLayer& d, const __half* x, long long ldx, int m, Path path,
                                int force_splits, size_t& differ) {
    __half* out = nullptr;
    const size_t count = (size_t)m * layer.n;
    CUDA_OK(cudaMalloc(&out, count * 2));
    std::vector<uint16_t> first(count), second(count);
    for (int call = 0; call < 2; ++call) {
        std::vector<uint16_t> poison(count, 0x7E5A);
        CUDA_OK(cudaMemcpy(out, poison.data(), count * 2, cudaMemcpyHostToDevice));
        if (path == Path::DEQUANTIZED) run_dequantized(c, layer, d, x, ldx, m, out, 16LL << 20);
        else if (path == Path::DECODE) run_decode(c, layer, d, x, ldx, m, out, force_splits);
        else if (path == Path::TILED) run_tiled(c, layer, d, x, ldx, m, out, force_splits);
        else run_fused(c, layer, d, x, ldx, m, out, force_splits);
        CUDA_OK(cudaStreamSynchronize(c.stream));
        CUDA_OK(cudaMemcpy(call == 0 ? first.data() : second.data(), out, count * 2, cudaMemcpyDeviceToHost));
    }
    differ = 0;
    for (size_t i = 0; i < count; ++i) differ += first[i] != second[i];
    cudaFree(out);
    return first;
}

bool compare(const char* path, const Check& t, int splits, const std::vector<uint16_t>& out, const std::vector<double>& ref, size_t differ) {
    double error = 0, magnitude = 0;
    size_t unwritten = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0x7E5A) ++unwritten;
        error += std::fabs(from_half(out[i]) - ref[i]);
        magnitude += std::fabs(ref[i]);
    }
    const double relative = error / magnitude;
    const bool ok = unwritten == 0 && differ == 0 && relative < 2e-3 && std::isfinite(relative);
    std::printf("%s %-8s bits=%d M=%-4d K=%-5d N=%-5d G=%-4d act=%d bias=%d strided=%d splits=%-3d rel=%.2e unwritten=%zu nondeterministic=%zu\n",
                ok ? "PASS" : "FAIL", path, t.bits, t.m, t.k, t.n, t.group, t.act_order, t.bias, t.strided, splits, relative, unwritten, differ);
    return ok;
}

bool check_one(Context& c, std::mt19937_64& random, const Check& t, bool both_paths, int force_splits, int tiled_bm = 0) {
    Layer layer = make_layer(random, t.bits, t.k, t.n, t.group, t.act_order, t.bias);
    DeviceLayer d = upload(layer);
    const long long ldx = t.strided ? t.k + 24 : t.k;
    const int offset = t.strided ? 8 : 0;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<uint16_t> x_host((size_t)t.m * ldx + offset);
    for (auto& v : x_host) v = to_half(normal(random));
    __half* x_buffer = reinterpret_cast<__half*>(upload(x_host));
    const __half* x = x_buffer + offset;
    std::vector<uint16_t> x_view((size_t)t.m * ldx);
    std::memcpy(x_view.data(), x_host.data() + offset, x_view.size() * 2);
    std::vector<double> ref = reference(layer, x_view, ldx, t.m);

    Plan p = plan_fused(t.bits, t.m, t.k, t.n, c.sms, c.workspace_bytes);
    size_t differ = 0;
    std::vector<uint16_t> fused = run_twice(c, layer, d, x, ldx, t.m, Path::FUSED, force_splits, differ);
    bool ok = compare("fused", t, force_splits > 0 ? force_splits : p.splits, fused, ref, differ);
    if (t.m <= 16) {
        // force_splits > 0 asks for that many blocks per SM: other stream-K splits of the same layer
        DecodePlan dp = plan_decode(t.bits, t.m, t.k, t.n, c.sms, force_splits);
        std::vector<uint16_t> decoded = run_twice(c, layer, d, x, ldx, t.m, Path::DECODE, force_splits, differ);
        ok &= compare("decode", t, dp.blocks, decoded, ref, differ);
    }
    if (t.m > 16 && tiled_fits(layer)) {
        const TiledPlan tp = plan_tiled(t.m, t.k, t.n, c.sms, tiled_bm);
        std::vector<uint16_t> tiled = run_twice(c, layer, d, x, ldx, t.m, Path::TILED, tiled_bm, differ);
        ok &= compare("tiled", t, (tp.bm * 100 + tp.splits) * 1000 + tp.whole_columns, tiled, ref, differ);
    }
    if (both_paths) {
        std::vector<uint16_t> dequantized = run_twice(c, layer, d, x, ldx, t.m, Path::DEQUANTIZED, 0, differ);
        ok &= compare("dequant", t, 0, dequantized, ref, differ);
    }
    cudaFree(x_buffer);
    release(d);
    return ok;
}

bool check_all(Context& c, bool small) {
    std::mt19937_64 random(20261121);
    std::vector<Check> checks;
    const int ms_small[] = {1, 2, 13, 17, 33};
    const int ms_large[] = {1, 2, 13, 17, 33, 64, 65, 100, 257};
    struct Shape { int k, n; };
    const Shape shapes_small[] = {{128, 64}, {576, 704}, {2112, 192}};
    const Shape shapes_large[] = {{128, 64}, {256, 200}, {576, 704}, {704, 576}, {2112, 192}, {4224, 128}, {192, 4224}, {512, 1152}, {2752, 256}, {4096, 4096}};
    int variant = 0;
    for (int bits : {4, 8}) {
        for (const Shape& s : small ? std::vector<Shape>(std::begin(shapes_small), std::end(shapes_small)) : std::vector<Shape>(std::begin(shapes_large), std::end(shapes_large))) {
            for (int m : small ? std::vector<int>(std::begin(ms_small), std::end(ms_small)) : std::vector<int>(std::begin(ms_large), std::end(ms_large))) {
                const int groups[] = {32, 64, 128, -1};
                int group = groups[variant % 4];
                if (group > 0 && s.k % group != 0) group = 32;
                ++variant;
                checks.push_back({bits, m, s.k, s.n, group, (variant % 3) == 0 && group > 0, (variant % 2) == 0, (variant % 5) < 2});
            }
        }
    }
    bool ok = true;
    for (const Check& t : checks) {
        ok &= check_one(c, random, t, !small, 0);
    }
    // a split-K reduction and a single split on the same layer
    ok &= check_one(c, random, {4, 5, 2112, 576, 64, true, true, true}, false, 1);
    ok &= check_one(c, random, {4, 5, 2112, 576, 64, true, true, true}, false, 11);
    ok &= check_one(c, random, {8, 40, 1024, 1152, 128, false, true, false}, false, 1);
    // decode with other grids: blocks owning whole column blocks, blocks sharing them, a last stage cut short
    ok &= check_one(c, random, {4, 16, 4224, 704, 128, false, true, false}, false, 1);
    ok &= check_one(c, random, {4, 3, 4224, 704, 32, false, true, true}, false, 7);
    ok &= check_one(c, random, {4, 9, 2080, 1032, 32, true, true, false}, false, 3);
    ok &= check_one(c, random, {8, 16, 4224, 264, 64, false, false, false}, false, 5);
    ok &= check_one(c, random, {4, 1, 28672, 8192, 128, false, true, false}, false, 1);
    ok &= check_one(c, random, {4, 2, 4096, 28672, -1, false, true, false}, false, 2);
    // the tiled kernel with every block height: partial token tiles, act-order, strided x, channelwise, one stage
    for (int bm : {64, 128, 256}) {
        ok &= check_one(c, random, {4, 17, 1024, 256, 64, false, false, false}, false, 0, bm);
        ok &= check_one(c, random, {4, 300, 4096, 384, 128, true, true, true}, false, 0, bm);
        ok &= check_one(c, random, {4, 256, 64, 128, -1, false, true, false}, false, 0, bm);
        ok &= check_one(c, random, {4, 129, 2112, 1024, -1, false, false, true}, false, 0, bm);
    }
    ok &= check_one(c, random, {4, 1000, 8192, 1280, 128, false, true, false}, false, 0);
    // split K: narrow layers at small M (4 and 2 splits, a last split cut short, groups across split boundaries)
    ok &= check_one(c, random, {4, 64, 14336, 256, 128, false, true, false}, false, 0);
    ok &= check_one(c, random, {4, 40, 8256, 4096, 192, true, true, true}, false, 0);
    ok &= check_one(c, random, {4, 200, 4096, 384, -1, false, false, false}, false, 0, 256);
    // a wave of whole tiles, then a split tail (M = 1024: 33 whole column blocks of 48; M = 700: 44, act-order)
    ok &= check_one(c, random, {4, 1024, 2048, 6144, 128, false, true, false}, false, 0, 256);
    ok &= check_one(c, random, {4, 700, 2048, 6144, 64, true, false, true}, false, 0, 256);
    std::printf("%s\n", ok ? "ALL CHECKS PASSED" : "SOME CHECKS FAILED");
    return ok;
}

// ---- timing ----

struct Timer {
    cudaEvent_t start, stop;
    Timer() {
        CUDA_OK(cudaEventCreate(&start));
        CUDA_OK(cudaEventCreate(&stop));
    }
    // Device time per call, queued back to back as a graph or a busy engine would run them (the host stays ahead, so
    // host launch cost is not counted): an event after every `calls` calls, the median over the samples. One call per
    // sample times each call alone; 10 per sample times as qlinear bench does, where calls may overlap (PDL).
    template <typename F>
    double median_us(cudaStream_t stream, int samples, F&& body, int calls = 1) {
        for (int i = 0; i < 5; ++i) body(i);
        CUDA_OK(cudaStreamSynchronize(stream));
        std::vector<cudaEvent_t> events(samples + 1);
        for (auto& e : events) CUDA_OK(cudaEventCreate(&e));
        CUDA_OK(cudaEventRecord(events[0], stream));
        for (int sample = 0; sample < samples; ++sample) {
            for (int i = 0; i < calls; ++i) body(sample * calls + i);
            CUDA_OK(cudaEventRecord(events[sample + 1], stream));
        }
        CUDA_OK(cudaEventSynchronize(events[samples]));
        std::vector<float> times;
        for (int sample = 0; sample < samples; ++sample) {
            float ms = 0;
            CUDA_OK(cudaEventElapsedTime(&ms, events[sample], events[sample + 1]));
            times.push_back(ms * 1000.0f / calls);
        }
        for (auto& e : events) cudaEventDestroy(e);
        std::sort(times.begin(), times.end());
        return times[times.size() / 2];
    }
};

struct Bench {
    int k, n;
    const char* name;
};

// Copies of one random layer (codes and group-128 scales) spanning several times L2, which the benches rotate through
// so that every call reads its weights from memory.
// A bench's activation (rows by K, fp16) and output (rows by N) on the device, freed on scope exit.
struct BenchIo {
    __half* x = nullptr;
    __half* out = nullptr;

    // standard normal activations
    static BenchIo normal(std::mt19937_64& random, int rows, int k, int n) {
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<uint16_t> x_host((size_t)rows * k);
        for (auto& v : x_host) v = to_half(normal(random));
        return BenchIo(x_host, (size_t)rows * n);
    }
    static BenchIo constant(float value, int rows, int k, int n) {
        return BenchIo(std::vector<uint16_t>((size_t)rows * k, to_half(value)), (size_t)rows * n);
    }
    BenchIo(const std::vector<uint16_t>& x_host, size_t outputs) : x(reinterpret_cast<__half*>(upload(x_host))) {
        CUDA_OK(cudaMalloc(&out, outputs * 2));
    }
    BenchIo(const BenchIo&) = delete;
    BenchIo& operator=(const BenchIo&) = delete;
    ~BenchIo() {
        cudaFree(x);
        cudaFree(out);
    }
};

struct RotatedLayer {
    Layer layer;
    long long quantized_bytes;
    std::vector<DeviceLayer> copies;

    RotatedLayer(std::mt19937_64& random, const Bench& b)
        : layer(random_words(random, b.k, b.n)), quantized_bytes((long long)b.k * b.n / 2 + (long long)b.k / 128 * b.n * 2) {
        const int count = std::max(2, std::min(16, (int)(400LL * 1000 * 1000 / quantized_bytes)));
        for (int i = 0; i < count; ++i) copies.push_back(upload(layer));
    }
    RotatedLayer(const RotatedLayer&) = delete;
    RotatedLayer& operator=(const RotatedLayer&) = delete;
    ~RotatedLayer() {
        for (auto& copy : copies) release(copy);
    }
};

// cuBLAS fp16 on the same layer, the baseline of every bench: fp16 copies of its weights (dequantized from the codes)
// spanning several times L2, rotated like the quantized ones.
struct CublasBaseline {
    long long bytes;
    int n, k;
    std::vector<__half*> copies;

    CublasBaseline(const Bench& b, const DeviceLayer& d) : bytes(2LL * b.k * b.n), n(b.n), k(b.k) {
        copies.resize(std::max(2, std::min(8, (int)(400LL * 1000 * 1000 / bytes))));
        for (auto& w : copies) {
            CUDA_OK(cudaMalloc(&w, bytes));
            exllama_dequantize_w4<<<dim3(ceil_div(b.n / 4, 128), b.k / 8), 128>>>(d.words, d.scales, 128, nullptr, b.k, b.n, 0, b.n, w);
        }
    }
    CublasBaseline(const CublasBaseline&) = delete;
    CublasBaseline& operator=(const CublasBaseline&) = delete;
    ~CublasBaseline() {
        for (auto& w : copies) cudaFree(w);
    }
    void run(Context& c, int call, const __half* x, int m, __half* out) const {
        const float one = 1.0f, zero = 0.0f;
        CUBLAS_OK(cublasGemmEx(c.cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, copies[call % copies.size()], CUDA_R_16F, n, x, CUDA_R_16F, k, &zero, out,
                               CUDA_R_16F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
};

void bench(Context& c, bool switch_only) {
    std::mt19937_64 random(7);
    const Bench layers[] = {{4096, 6144, "8B qkv"}, {4096, 28672, "8B gate_up"}, {14336, 4096, "8B down"}, {8192, 57344, "70B gate_up"}, {4096, 4096, "8B o"}};
    std::vector<int> ms = switch_only ? std::vector<int>{32, 48, 64, 96, 128, 192} : std::vector<int>{1, 16, 32, 64, 128, 256, 1024, 4096};
    Timer timer;
    std::printf("%-12s %6s %6s %10s %10s %10s %10s %10s %8s %8s\n", "layer", "M", "splits", "cublas16", "fused", "deq16MB", "deq32MB", "deqfull", "spd_fus",
                "best/cub");
    for (const Bench& b : layers) {
        // quantized copies rotated so that their total exceeds L2 several times
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const CublasBaseline baseline(b, d[0]);
        const long long w_bytes = baseline.bytes;
        const int max_m = 4096;
        const BenchIo io = BenchIo::normal(random, max_m, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        for (int m : ms) {
            const int repeats = m >= 1024 ? 30 : 200;
            double cublas = timer.median_us(c.stream, repeats, [&](int i) {
                baseline.run(c, i, x, m, out);
            });
            double fused = m <= 256 ? timer.median_us(c.stream, repeats, [&](int i) { run_fused(c, layer, d[i % copies], x, b.k, m, out); }) : NAN;
            if (m <= 16) {
                const double decoded = timer.median_us(c.stream, repeats, [&](int i) { run_decode(c, layer, d[i % copies], x, b.k, m, out); });
                const DecodePlan dp = plan_decode(4, m, b.k, b.n, c.sms);
                std::printf("%-12s %6d %6d %10.1f decode %8.1f  %.2fx cuBLAS, %.0f GB/s\n", b.name, m, dp.blocks, cublas, decoded, cublas / decoded,
                            ((double)b.k * b.n / 2 + (double)b.k / 128 * b.n * 2 + 2.0 * m * (b.k + b.n)) / decoded / 1e3);
            }
            double deq16 = m >= 16 ? timer.median_us(c.stream, repeats, [&](int i) { run_dequantized(c, layer, d[i % copies], x, b.k, m, out, 16LL << 20); }) : NAN;
            double deq32 = m >= 16 ? timer.median_us(c.stream, repeats, [&](int i) { run_dequantized(c, layer, d[i % copies], x, b.k, m, out, 32LL << 20); }) : NAN;
            double full = m >= 16 && w_bytes <= c.workspace_bytes
                    ? timer.median_us(c.stream, repeats, [&](int i) { run_dequantized(c, layer, d[i % copies], x, b.k, m, out, w_bytes); })
                    : NAN;
            Plan p = plan_fused(4, m, b.k, b.n, c.sms, c.workspace_bytes);
            double best = fused;
            for (double v : {deq16, deq32, full}) if (!std::isnan(v) && (std::isnan(best) || v < best)) best = v;
            std::printf("%-12s %6d %6d %10.1f %10.1f %10.1f %10.1f %10.1f %8.2f %8.2f\n", b.name, m, p.splits, cublas, fused, deq16, deq32, full, cublas / fused,
                        best / cublas);
            std::fflush(stdout);
        }
    }
}

void tune(Context& c) {
    std::mt19937_64 random(11);
    const Bench layers[] = {{4096, 6144, "8B qkv"}, {4096, 28672, "8B gate_up"}, {14336, 4096, "8B down"}, {8192, 57344, "70B gate_up"}, {4096, 4096, "8B o"}};
    Timer timer;
    std::printf("%-12s %4s %6s %6s %6s %10s\n", "layer", "M", "waves", "minq", "splits", "fused");
    for (const Bench& b : layers) {
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const BenchIo io = BenchIo::normal(random, 64, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        for (int m : {1, 16, 32}) {
            for (int waves : {1, 2, 4, 8}) {
                for (int min_quads : {8, 16, 32}) {
                    g_waves = waves;
                    g_min_quads = min_quads;
                    double fused = timer.median_us(c.stream, 100, [&](int i) { run_fused(c, layer, d[i % copies], x, b.k, m, out); });
                    Plan p = plan_fused(4, m, b.k, b.n, c.sms, c.workspace_bytes);
                    std::printf("%-12s %4d %6d %6d %6d %10.1f\n", b.name, m, waves, min_quads, p.splits, fused);
                }
            }
        }
        g_waves = 4;
        g_min_quads = 16;
    }
}

// Fused kernel only, M = 1, 16, 32, on the benchmark layers: for comparing kernel variants.
void quick(Context& c) {
    std::mt19937_64 random(13);
    const Bench layers[] = {{4096, 6144, "8B qkv"}, {4096, 28672, "8B gate_up"}, {14336, 4096, "8B down"}, {8192, 57344, "70B gate_up"}, {4096, 4096, "8B o"}};
    Timer timer;
    for (const Bench& b : layers) {
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const BenchIo io = BenchIo::constant(0.25f, 32, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        std::printf("%-12s", b.name);
        for (int m : {1, 16, 32}) {
            double fused = timer.median_us(c.stream, 100, [&](int i) { run_fused(c, layer, d[i % copies], x, b.k, m, out); });
            std::printf(" M=%-3d %7.1f", m, fused);
        }
        std::printf("\n");
    }
}

// Decode vs fused vs cuBLAS fp16 at M = 1, 8, 16 on the layers larger than L2 and the small ones: for comparing
// decode variants (-DEXLLAMA_DECODE_*, EXLLAMA_DECODE_BLOCKS and _MIN_STAGES from the environment).
void decode_bench(Context& c) {
    std::mt19937_64 random(17);
    const Bench layers[] = {{4096, 28672, "8B gate_up"}, {14336, 4096, "8B down"}, {8192, 57344, "70B gate_up"}, {28672, 8192, "70B down"},
                            {8192, 10240, "70B qkv"},    {4096, 6144, "8B qkv"},   {4096, 4096, "8B o"},        {8192, 8192, "70B o"}};
    Timer timer;
    double copy_gbs = 0;
    {
        const size_t bytes = 256u << 20;
        void* a = nullptr;
        void* b = nullptr;
        CUDA_OK(cudaMalloc(&a, bytes));
        CUDA_OK(cudaMalloc(&b, bytes));
        const double us = timer.median_us(c.stream, 20, [&](int) { CUDA_OK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, c.stream)); });
        copy_gbs = 2.0 * bytes / us / 1e3;
        cudaFree(a);
        cudaFree(b);
    }
    std::printf("copy %.0f GB/s; decode block %d columns, %d quads per stage, %d stages, %d blocks/SM\n", copy_gbs, DECODE_BLOCK_N, DECODE_STAGE_QUADS,
                DECODE_STAGES, g_decode_blocks);
    std::printf("%-12s %4s %6s %9s %9s %9s %8s %8s %7s\n", "layer", "M", "blocks", "cublas", "fused", "decode", "dec/cub", "fus/cub", "%copy");
    for (const Bench& b : layers) {
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const CublasBaseline baseline(b, d[0]);
        const BenchIo io = BenchIo::normal(random, 16, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        for (int m : {1, 8, 16}) {
            const double cublas = timer.median_us(c.stream, 100, [&](int i) {
                baseline.run(c, i, x, m, out);
            });
            const double fused = timer.median_us(c.stream, 100, [&](int i) { run_fused(c, layer, d[i % copies], x, b.k, m, out); });
            const double decoded = g_batched ? timer.median_us(c.stream, 20, [&](int i) { run_decode(c, layer, d[i % copies], x, b.k, m, out); }, 10)
                                             : timer.median_us(c.stream, 100, [&](int i) { run_decode(c, layer, d[i % copies], x, b.k, m, out); });
            const DecodePlan p = plan_decode(4, m, b.k, b.n, c.sms);
            const double bytes = (double)rotated.quantized_bytes + 2.0 * m * (b.k + b.n);
            std::printf("%-12s %4d %6d %9.1f %9.1f %9.1f %8.2f %8.2f %7.1f\n", b.name, m, p.blocks, cublas, fused, decoded, cublas / decoded, cublas / fused,
                        100.0 * bytes / decoded / 1e3 / copy_gbs);
            std::fflush(stdout);
        }
    }
}

// The tiled kernel with 64, 128 and 256 tokens per block vs dequantize+cuBLAS (what the plugin does above M = 64) and
// cuBLAS fp16, M 32..4096, on the benchmark layers: time / cuBLAS time per path.
void tiled_bench(Context& c) {
    std::mt19937_64 random(19);
    const Bench layers[] = {{4096, 6144, "8B qkv"},    {4096, 4096, "8B o"},   {4096, 28672, "8B gate_up"}, {14336, 4096, "8B down"},
                            {8192, 10240, "70B qkv"},  {8192, 8192, "70B o"},  {8192, 57344, "70B gate_up"}, {28672, 8192, "70B down"}};
    const char* only = std::getenv("EXLLAMA_TILED_LAYER");
    const char* only_ms = std::getenv("EXLLAMA_TILED_MS");  // ",256,1024," picks those M
    Timer timer;
    std::printf("%-12s %5s %9s %9s %9s %9s %9s %8s %8s %8s %8s %9s\n", "layer", "M", "cublas", "deqfull", "bm64", "bm128", "bm256", "deq/cub", "64/cub",
                "128/cub", "256/cub", "best TF/s");
    for (const Bench& b : layers) {
        if (only != nullptr && std::strcmp(only, b.name) != 0) continue;
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const CublasBaseline baseline(b, d[0]);
        const long long w_bytes = baseline.bytes;
        const int max_m = 4096;
        const BenchIo io = BenchIo::normal(random, max_m, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        for (int m : {32, 64, 128, 256, 512, 1024, 2048, 4096}) {
            if (only_ms != nullptr && std::strstr(only_ms, ("," + std::to_string(m) + ",").c_str()) == nullptr) continue;
            const int repeats = m >= 1024 ? 20 : 100;
            const double cublas = timer.median_us(c.stream, repeats, [&](int i) {
                baseline.run(c, i, x, m, out);
            });
            const double full = w_bytes <= c.workspace_bytes
                    ? timer.median_us(c.stream, repeats, [&](int i) { run_dequantized(c, layer, d[i % copies], x, b.k, m, out, w_bytes); })
                    : NAN;
            const TiledPlan tp = plan_tiled(m, b.k, b.n, c.sms);
            const double planned = timer.median_us(c.stream, repeats, [&](int i) { run_tiled(c, layer, d[i % copies], x, b.k, m, out); });
            double tiled[3];
            const int heights[3] = {64, 128, 256};
            double best = INFINITY;
            for (int h = 0; h < 3; ++h) {
                // a block height below M / 16 is never the plan
                tiled[h] = heights[h] * 16 < m ? NAN : timer.median_us(c.stream, repeats, [&](int i) { run_tiled(c, layer, d[i % copies], x, b.k, m, out, heights[h]); });
                if (!std::isnan(tiled[h])) best = std::min(best, tiled[h]);
            }
            std::printf("%-12s %5d %9.1f %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %9.0f  plan bm%d x%d w%d %8.1f %5.2f\n", b.name, m, cublas, full,
                        tiled[0], tiled[1], tiled[2], full / cublas, tiled[0] / cublas, tiled[1] / cublas, tiled[2] / cublas, 2.0 * m * b.k * b.n / best / 1e6,
                        tp.bm, tp.splits, tp.whole_columns, planned, planned / cublas);
            std::fflush(stdout);
        }
    }
}

// The fixed cost of a decode call at M = 1 on a small and a large layer: the kernel timed per call (as the benches
// do), per batch of calls, and as a CUDA graph of the batch, with its weights rotated past L2 and with one copy
// (L2 resident); beside it an empty kernel with the same grid and shared memory, and cuBLAS fp16 per call.
__global__ void exllama_empty(int* sink) {
    if (sink != nullptr && threadIdx.x == 0) sink[blockIdx.x] = 0;
}

void floor_bench(Context& c) {
    std::mt19937_64 random(23);
    const Bench layers[] = {{4096, 4096, "8B o"}, {4096, 6144, "8B qkv"}, {4096, 28672, "8B gate_up"}};
    constexpr int CALLS = 100;
    Timer timer;
    auto batch_us = [&](auto&& body) {
        for (int i = 0; i < 5; ++i) body(i);
        CUDA_OK(cudaStreamSynchronize(c.stream));
        CUDA_OK(cudaEventRecord(timer.start, c.stream));
        for (int i = 0; i < CALLS; ++i) body(i);
        CUDA_OK(cudaEventRecord(timer.stop, c.stream));
        CUDA_OK(cudaEventSynchronize(timer.stop));
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, timer.start, timer.stop));
        return ms * 1000.0 / CALLS;
    };
    auto graph_us = [&](auto&& body) {
        for (int i = 0; i < 5; ++i) body(i);
        CUDA_OK(cudaStreamSynchronize(c.stream));
        cudaGraph_t graph;
        cudaGraphExec_t exec;
        CUDA_OK(cudaStreamBeginCapture(c.stream, cudaStreamCaptureModeThreadLocal));
        for (int i = 0; i < CALLS; ++i) body(i);
        CUDA_OK(cudaStreamEndCapture(c.stream, &graph));
        CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
        CUDA_OK(cudaGraphLaunch(exec, c.stream));
        CUDA_OK(cudaStreamSynchronize(c.stream));
        float best = 1e30f;
        for (int r = 0; r < 5; ++r) {
            CUDA_OK(cudaEventRecord(timer.start, c.stream));
            CUDA_OK(cudaGraphLaunch(exec, c.stream));
            CUDA_OK(cudaEventRecord(timer.stop, c.stream));
            CUDA_OK(cudaEventSynchronize(timer.stop));
            float ms = 0;
            CUDA_OK(cudaEventElapsedTime(&ms, timer.start, timer.stop));
            best = std::min(best, ms);
        }
        cudaGraphExecDestroy(exec);
        cudaGraphDestroy(graph);
        return best * 1000.0 / CALLS;
    };
    std::printf("%-12s %-22s %9s %9s %9s\n", "layer", "what", "per call", "batch", "graph");
    for (const Bench& b : layers) {
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const BenchIo io = BenchIo::constant(0.5f, 1, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        const DecodePlan p = plan_decode(4, 1, b.k, b.n, c.sms);
        auto report = [&](const char* what, auto&& body) {
            const double per_call = timer.median_us(c.stream, CALLS, body);
            std::printf("%-12s %-22s %9.2f %9.2f %9.2f\n", b.name, what, per_call, batch_us(body), graph_us(body));
            std::fflush(stdout);
        };
        report("decode rotated", [&](int i) { run_decode(c, layer, d[i % copies], x, b.k, 1, out); });
        report("decode one copy", [&](int i) { run_decode(c, layer, d[0], x, b.k, 1, out); });
        CUDA_OK(cudaFuncSetAttribute(exllama_empty, cudaFuncAttributeMaxDynamicSharedMemorySize, p.shared_bytes));
        report("empty, decode grid", [&](int) { exllama_empty<<<p.blocks, DECODE_THREADS, p.shared_bytes, c.stream>>>(c.arrivals); });
        report("empty, no shared", [&](int) { exllama_empty<<<p.blocks, DECODE_THREADS, 0, c.stream>>>(c.arrivals); });
        report("copy of the weights", [&](int i) {
            CUDA_OK(cudaMemcpyAsync(c.workspace, d[i % copies].words, (size_t)b.k * b.n / 2, cudaMemcpyDeviceToDevice, c.stream));
        });
    }
}

#ifdef EXLLAMA_DECODE_TIMELINE
void timeline_bench(Context& c) {
    std::mt19937_64 random(29);
    const Bench layers[] = {{4096, 4096, "8B o"}, {14336, 4096, "8B down"}, {4096, 28672, "8B gate_up"}, {8192, 57344, "70B gate_up"}};
    for (const Bench& b : layers) {
        const RotatedLayer rotated(random, b);
        const Layer& layer = rotated.layer;
        const std::vector<DeviceLayer>& d = rotated.copies;
        const int copies = (int)d.size();
        const BenchIo io = BenchIo::constant(0.5f, 16, b.k, b.n);
        __half* const x = io.x;
        __half* const out = io.out;
        for (int m : {1, 16}) {
            const DecodePlan p = plan_decode(4, m, b.k, b.n, c.sms);
            for (int i = 0; i < 20; ++i) run_decode(c, layer, d[i % copies], x, b.k, m, out);
            static unsigned long long zeros[2048][6];
            CUDA_OK(cudaStreamSynchronize(c.stream));
            CUDA_OK(cudaMemcpyToSymbol(exllama_decode_timeline, zeros, sizeof(zeros)));
            // one more call queued behind a busy one, as in the benches
            run_decode(c, layer, d[3 % copies], x, b.k, m, out);
            CUDA_OK(cudaStreamSynchronize(c.stream));
            static unsigned long long marks[2048][6];
            CUDA_OK(cudaMemcpyFromSymbol(marks, exllama_decode_timeline, sizeof(marks)));
            unsigned long long t0 = ~0ull;
            for (int blk = 0; blk < p.blocks; ++blk) t0 = std::min(t0, marks[blk][0]);
            std::printf("%s M=%d: %d blocks; ns after the first block start: min / p50 / p90 / max over blocks\n", b.name, m, p.blocks);
            const char* names[6] = {"start", "first data", "partials", "-", "end", "last data"};
            for (int mark = 0; mark < 6; ++mark) {
                std::vector<long long> v;
                for (int blk = 0; blk < p.blocks; ++blk)
                    if (marks[blk][mark] != 0) v.push_back((long long)(marks[blk][mark] - t0));
                std::sort(v.begin(), v.end());
                if (v.empty()) continue;
                std::printf("  %-13s n=%4zu %7lld %7lld %7lld %7lld\n", names[mark], v.size(), v[0], v[v.size() / 2], v[v.size() * 9 / 10], v.back());
            }
        }
    }
}
#endif

// A few calls of one path on one layer, for a profiler: once K N M (EXLLAMA_ONCE_DECODE, _TILED or _CUBLAS, else fused).
void once(Context& c, int k, int n, int m) {
    std::mt19937_64 random(5);
    Layer layer = random_words(random, k, n);
    DeviceLayer d = upload(layer);
    const BenchIo io = BenchIo::constant(0.5f, m, k, n);
    __half* const x = io.x;
    __half* const out = io.out;
    const bool cublas = std::getenv("EXLLAMA_ONCE_CUBLAS") != nullptr;
    std::unique_ptr<CublasBaseline> baseline = cublas ? std::make_unique<CublasBaseline>(Bench{k, n, "once"}, d) : nullptr;
    for (int i = 0; i < 5; ++i) {
        if (cublas) baseline->run(c, i, x, m, out);
        else if (std::getenv("EXLLAMA_ONCE_DECODE") != nullptr) run_decode(c, layer, d, x, k, m, out);
        else if (std::getenv("EXLLAMA_ONCE_TILED") != nullptr) run_tiled(c, layer, d, x, k, m, out);
        else run_fused(c, layer, d, x, k, m, out);
    }
    CUDA_OK(cudaStreamSynchronize(c.stream));
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "check";
    if (const char* value = std::getenv("EXLLAMA_MIN_QUADS")) g_min_quads = std::atoi(value);
    if (const char* value = std::getenv("EXLLAMA_WAVES")) g_waves = std::atoi(value);
    if (const char* value = std::getenv("EXLLAMA_DECODE_BLOCKS")) g_decode_blocks = std::atoi(value);
    if (const char* value = std::getenv("EXLLAMA_PDL")) g_pdl = std::atoi(value) != 0;
    if (const char* value = std::getenv("EXLLAMA_BATCHED")) g_batched = std::atoi(value) != 0;
    if (const char* value = std::getenv("EXLLAMA_TILED_BM")) g_tiled_bm = std::atoi(value);
    if (const char* value = std::getenv("EXLLAMA_TILED_SPLITS")) g_tiled_splits = std::atoi(value);
    if (const char* value = std::getenv("EXLLAMA_TILED_HYBRID")) g_tiled_hybrid = std::atoi(value);
    Context c{};
    CUBLAS_OK(cublasCreate(&c.cublas));
    CUDA_OK(cudaStreamCreate(&c.stream));
    CUBLAS_OK(cublasSetStream(c.cublas, c.stream));
    cudaDeviceProp properties{};
    CUDA_OK(cudaGetDeviceProperties(&properties, 0));
    c.sms = properties.multiProcessorCount;
    c.workspace_bytes = mode == "check" || mode == "check-small" ? 64LL << 20 : 1LL << 30;
    CUDA_OK(cudaMalloc(&c.workspace, c.workspace_bytes));
    CUDA_OK(cudaMalloc(&c.arrivals, 1 << 20));
    CUDA_OK(cudaMemset(c.arrivals, 0, 1 << 20));
    std::printf("%s, %d SMs, L2 %d MB\n", properties.name, c.sms, properties.l2CacheSize >> 20);
    bool ok = true;
    if (mode == "check") ok = check_all(c, false);
    else if (mode == "check-small") ok = check_all(c, true);
    else if (mode == "bench") bench(c, false);
    else if (mode == "switch") bench(c, true);
    else if (mode == "tune") tune(c);
    else if (mode == "quick") quick(c);
    else if (mode == "decode") decode_bench(c);
    else if (mode == "tiled") tiled_bench(c);
    else if (mode == "floor") floor_bench(c);
    else if (mode == "diag") {
        std::mt19937_64 random(3);
        ok &= check_one(c, random, {4, 1, 28672, 8192, 128, false, true, false}, false, 1);
        ok &= check_one(c, random, {4, 2, 4096, 28672, -1, false, true, false}, false, 2);
        ok &= check_one(c, random, {4, 1, 4096, 4096, 128, false, true, false}, false, 1);
        ok &= check_one(c, random, {4, 1, 8192, 512, 128, false, false, false}, false, 1);
        ok &= check_one(c, random, {4, 1, 8192, 128, 128, false, false, false}, false, 1);
        ok &= check_one(c, random, {4, 16, 8192, 512, 128, false, false, false}, false, 1);
    }
#ifdef EXLLAMA_DECODE_TIMELINE
    else if (mode == "timeline") timeline_bench(c);
#endif
    else if (mode == "once" && argc == 5) once(c, std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
    else {
        std::fprintf(stderr, "usage: %s check|check-small|bench|switch|tune\n", argv[0]);
        return 2;
    }
    CUDA_OK(cudaDeviceSynchronize());
    return ok ? 0 : 1;
}
