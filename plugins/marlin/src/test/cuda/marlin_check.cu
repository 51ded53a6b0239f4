// A GPU-host check of the marlin kernels without Java: this file includes ../../main/cuda/marlin.cu, packs random
// layers with host packers written from the layout's definition (not from the kernels' inverse mapping), compares the
// GPU repack bit for bit, runs the GEMM with the plan MarlinPlan computes (and forced split counts) against a float64
// reference of x times the dequantized weights, and times the kernels (decode up to 16 rows, GEMM above) next to cuBLAS
// fp16 and a device copy.
//
//   nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o marlin_check marlin_check.cu -lcublas -lcuda
//   ./marlin_check check | bench

#include "../../main/cuda/marlin.cu"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

namespace {

// ---- the launch plan: the same arithmetic as dev.qlinear.marlin.MarlinPlan ----
struct Plan {
    int mb, m_blocks, splits, stages_per_split;
};

int g_forced_splits = 0;

int blocks_per_sm(int) {
    return Stage<4>::BLOCKS_PER_SM;
}

Plan plan_of(int m, int k, int n, int sms) {
    Plan p{};
    p.mb = 4;  // the GEMM kernel runs M > 16 (the decode kernel fewer) in blocks of 64 rows
    p.m_blocks = (m + 16 * p.mb - 1) / (16 * p.mb);
    const int stages = k / STAGE_K;
    const long tiles = (long)(n / BLOCK_N) * p.m_blocks;
    const long resident = (long)blocks_per_sm(p.mb) * sms;
    int best = 1;
    double best_efficiency = 0;
    for (int s = 1; s <= 16 && stages / s >= 4; ++s) {
        const long blocks = tiles * s;
        const double efficiency = (double)blocks / ((blocks + resident - 1) / resident * resident);
        if (efficiency > best_efficiency + 0.02) {
            best = s;
            best_efficiency = efficiency;
        }
    }
    if (g_forced_splits > 0) best = std::min(g_forced_splits, stages);
    p.stages_per_split = (stages + best - 1) / best;
    p.splits = (stages + p.stages_per_split - 1) / p.stages_per_split;
    return p;
}

template <typename T>
using GemmKernelH = void (*)(const CUtensorMap, const CUtensorMap, const CUtensorMap, int, int, int, const uint32_t*, const T*, const uint32_t*, int, const T*, T*,
                             float*, int);

// ---- the Hopper kernel's plan: the same arithmetic as dev.qlinear.marlin.HopperPlan ----
bool g_hopper = false;   // MARLIN_HOPPER=1: the Hopper kernel runs M > 16
int g_forced_tokens = 0; // a token tile other than the plan's (64, 128 or 256)

struct HPlan {
    int bt, m_blocks, splits, stages_per_split;
};

int hopper_blocks_per_sm(int bt) {
    return bt == 64 ? HopperStage<64>::BLOCKS_PER_SM : bt == 128 ? HopperStage<128>::BLOCKS_PER_SM : HopperStage<256>::BLOCKS_PER_SM;
}

int hopper_shared_bytes(int bt) {
    return bt == 64 ? HopperStage<64>::SHARED : bt == 128 ? HopperStage<128>::SHARED : HopperStage<256>::SHARED;
}

// MarlinPlan.warpgroupCost: the time in stage times, waves of blocks times a split's stages or the words' streaming,
// plus the partial sums' traffic
double hopper_cost(int m, int k, int n, int bt, long tiles, int sms, int splits) {
    const int per_sm = hopper_blocks_per_sm(bt);
    const double stage_bytes = 2.5 / 5.4 * per_sm * bt * HOPPER_STAGE_K * HOPPER_N * 2.0;
    const double waves = (double)((tiles * splits + (long)per_sm * sms - 1) / ((long)per_sm * sms));
    const double compute = waves * ((k / HOPPER_STAGE_K + splits - 1) / splits);
    const double words = (double)n * k / 2 / stage_bytes;
    const double partials = splits > 1 ? 8.0 * splits * m * n / stage_bytes : 0;
    return std::max(compute, words) + partials;
}

HPlan hopper_plan_of(int m, int k, int n, int sms) {
    HPlan p{};
    p.bt = g_forced_tokens > 0 ? g_forced_tokens : m <= 64 ? 64 : m <= 128 ? 128 : 256;
    p.m_blocks = (m + p.bt - 1) / p.bt;
    const int stages = k / HOPPER_STAGE_K;
    const long tiles = (long)((n + HOPPER_N - 1) / HOPPER_N) * p.m_blocks;
    const long budget = 16L * 64 * n;  // MarlinLauncher.partialFloatBudget
    int best = 1;
    for (int s = 2; s <= 16 && stages / s >= 8; ++s) {
        if ((long)s * m * n <= budget && hopper_cost(m, k, n, p.bt, tiles, sms, s) < hopper_cost(m, k, n, p.bt, tiles, sms, best)) best = s;
    }
    if (g_forced_splits > 0) best = std::min(g_forced_splits, stages);
    p.stages_per_split = (stages + best - 1) / best;
    p.splits = (stages + p.stages_per_split - 1) / p.stages_per_split;
    return p;
}

template <typename T>
GemmKernelH<T> hopper_kernel(bool zp, int bt);

template <>
GemmKernelH<__half> hopper_kernel<__half>(bool zp, int bt) {
    if (bt == 64) return zp ? marlin_hopper_f16_zp_t64 : marlin_hopper_f16_t64;
    if (bt == 128) return zp ? marlin_hopper_f16_zp_t128 : marlin_hopper_f16_t128;
    return zp ? marlin_hopper_f16_zp_t256 : marlin_hopper_f16_t256;
}

template <>
GemmKernelH<__nv_bfloat16> hopper_kernel<__nv_bfloat16>(bool zp, int bt) {
    if (bt == 64) return zp ? marlin_hopper_bf16_zp_t64 : marlin_hopper_bf16_t64;
    if (bt == 128) return zp ? marlin_hopper_bf16_zp_t128 : marlin_hopper_bf16_t128;
    return zp ? marlin_hopper_bf16_zp_t256 : marlin_hopper_bf16_t256;
}

template <typename T>
using GemmKernel = void (*)(const T*, long long, int, int, int, const uint32_t*, const T*, const uint32_t*, int, const T*, T*, float*, int);

template <typename T>
GemmKernel<T> gemm_kernel(bool zp, int mb);

template <>
GemmKernel<__half> gemm_kernel<__half>(bool zp, int) {
    return zp ? marlin_gemm_f16_zp_mb4 : marlin_gemm_f16_mb4;
}

template <>
GemmKernel<__nv_bfloat16> gemm_kernel<__nv_bfloat16>(bool zp, int) {
    return zp ? marlin_gemm_bf16_zp_mb4 : marlin_gemm_bf16_mb4;
}

int shared_bytes(int) {
    return Stage<4>::SHARED;
}

template <typename T>
using DecodeKernel = void (*)(const T*, long long, int, int, int, const uint32_t*, const T*, const uint32_t*, int, const T*, T*, float*);

template <typename T>
DecodeKernel<T> decode_kernel(bool zp, int tt);

template <typename T>
void set_shared(bool zp) {
    CUDA_OK(cudaFuncSetAttribute(gemm_kernel<T>(zp, 4), cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes(4)));
    CUDA_OK(cudaFuncSetAttribute(decode_kernel<T>(zp, 1), cudaFuncAttributeMaxDynamicSharedMemorySize, DecodeStage<1>::SHARED));
    CUDA_OK(cudaFuncSetAttribute(decode_kernel<T>(zp, 2), cudaFuncAttributeMaxDynamicSharedMemorySize, DecodeStage<2>::SHARED));
    for (int bt : {64, 128, 256}) CUDA_OK(cudaFuncSetAttribute(hopper_kernel<T>(zp, bt), cudaFuncAttributeMaxDynamicSharedMemorySize, hopper_shared_bytes(bt)));
}

template <typename T>
void run_gemm(const Plan& p, const T* x, int m, int k, int n, const uint32_t* codes, const T* scales, const uint32_t* zeros, bool zp, int group_size,
              const T* bias, T* out, float* partials, cudaStream_t stream);

template <typename T>
void launch_reduce(const float* partials, int splits, int m, int n, const T* bias, T* out, cudaStream_t stream);

template <>
void launch_reduce<__half>(const float* partials, int splits, int m, int n, const __half* bias, __half* out, cudaStream_t stream) {
    const int quads = m * n / 4;
    marlin_reduce_f16<<<(quads + 255) / 256, 256, 0, stream>>>(partials, splits, m, n, bias, out);
}

template <>
void launch_reduce<__nv_bfloat16>(const float* partials, int splits, int m, int n, const __nv_bfloat16* bias, __nv_bfloat16* out, cudaStream_t stream) {
    const int quads = m * n / 4;
    marlin_reduce_bf16<<<(quads + 255) / 256, 256, 0, stream>>>(partials, splits, m, n, bias, out);
}


template <>
DecodeKernel<__half> decode_kernel<__half>(bool zp, int tt) {
    if (zp) return tt == 1 ? marlin_decode_f16_zp_tt1 : marlin_decode_f16_zp_tt2;
    return tt == 1 ? marlin_decode_f16_tt1 : marlin_decode_f16_tt2;
}

template <>
DecodeKernel<__nv_bfloat16> decode_kernel<__nv_bfloat16>(bool zp, int tt) {
    if (zp) return tt == 1 ? marlin_decode_bf16_zp_tt1 : marlin_decode_bf16_zp_tt2;
    return tt == 1 ? marlin_decode_bf16_tt1 : marlin_decode_bf16_tt2;
}

template <typename T>
void (*decode_reduce_kernel())(const float*, int, int, int, int, const T*, T*);

template <>
void (*decode_reduce_kernel<__half>())(const float*, int, int, int, int, const __half*, __half*) {
    return marlin_decode_reduce_f16;
}

template <>
void (*decode_reduce_kernel<__nv_bfloat16>())(const float*, int, int, int, int, const __nv_bfloat16*, __nv_bfloat16*) {
    return marlin_decode_reduce_bf16;
}

// ---- the decode plan: the same arithmetic as dev.qlinear.marlin.DecodePlan ----
struct DecodePlan {
    int tt, units_per_column, units, blocks;
    bool reduce;
};

int g_forced_blocks = 0;  // check mode: grids other than the plan's, to cover every way blocks share column blocks
bool g_pdl = true;        // launch as the plugin does on sm_90 (MARLIN_PDL=0: in stream order)

DecodePlan decode_plan_of(int m, int k, int n, int sms) {
    DecodePlan p{};
    p.tt = m <= 8 ? 1 : 2;
    p.units_per_column = k / DECODE_STAGE_K;
    p.units = (n + DECODE_N - 1) / DECODE_N * p.units_per_column;
    p.blocks = std::min(p.units, DECODE_BLOCKS_PER_SM * sms);
    if (g_forced_blocks > 0) p.blocks = std::min(g_forced_blocks, p.units);
    p.reduce = false;
    for (long b = 1; b < p.blocks; ++b) p.reduce |= b * p.units / p.blocks % p.units_per_column != 0;
    return p;
}

template <typename T>
void run_decode(const T* x, int m, int k, int n, const uint32_t* codes, const T* scales, const uint32_t* zeros, bool zp, int group_size, const T* bias,
                T* out, float* partials, cudaStream_t stream, int sms) {
    const DecodePlan p = decode_plan_of(m, k, n, sms);
    cudaLaunchAttribute attribute{};
    attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute.val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(p.blocks);
    config.blockDim = dim3(DECODE_THREADS);
    config.dynamicSmemBytes = p.tt == 1 ? DecodeStage<1>::SHARED : DecodeStage<2>::SHARED;
    config.stream = stream;
    config.attrs = &attribute;
    config.numAttrs = g_pdl ? 1 : 0;
    CUDA_OK(cudaLaunchKernelEx(&config, decode_kernel<T>(zp, p.tt), x, (long long)k, m, k, n, codes, scales, zeros, group_size, bias, out, partials));
    if (p.reduce) {
        config.gridDim = dim3((n + DECODE_N - 1) / DECODE_N, (m * DECODE_N / (m <= 8 ? 2 : 4) + DECODE_REDUCE_THREADS - 1) / DECODE_REDUCE_THREADS);
        config.blockDim = dim3(DECODE_REDUCE_THREADS);
        config.dynamicSmemBytes = 0;
        CUDA_OK(cudaLaunchKernelEx(&config, decode_reduce_kernel<T>(), static_cast<const float*>(partials), m, n, p.units_per_column, p.blocks, bias, out));
    }
}

int g_sms = 0;

template <typename T>
void run_gemm(const Plan& p, const T* x, int m, int k, int n, const uint32_t* codes, const T* scales, const uint32_t* zeros, bool zp, int group_size,
              const T* bias, T* out, float* partials, cudaStream_t stream) {
    if (m <= 16) {
        run_decode<T>(x, m, k, n, codes, scales, zeros, zp, group_size, bias, out, partials, stream, g_sms);
        return;
    }
    if (g_hopper) {
        const HPlan h = hopper_plan_of(m, k, n, g_sms);
        // the activation [M, K] as the kernel's tensor map: boxes of 64 K by the token tile, 128-byte swizzle
        CUtensorMap x_map;
        const cuuint64_t dims[2] = {(cuuint64_t)k, (cuuint64_t)m};
        const cuuint64_t strides[1] = {(cuuint64_t)k * 2};
        const cuuint32_t box[2] = {64, (cuuint32_t)h.bt};
        const cuuint32_t element_strides[2] = {1, 1};
        const CUresult encoded = cuTensorMapEncodeTiled(&x_map, std::is_same<T, __half>::value ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
                                                        2, const_cast<T*>(x), dims, strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                                        CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
        if (encoded != CUDA_SUCCESS) {
            std::fprintf(stderr, "cuTensorMapEncodeTiled failed: %d (M=%d K=%d bt=%d)\n", (int)encoded, m, k, h.bt);
            std::exit(2);
        }
        // the words [K / 16, 2N] in boxes of a block's 256 words by a stage's tiles; the scales [groups, N] in boxes of
        // a block's 128 by the stage's group rows
        const bool one_group = group_size >= k;
        const cuuint32_t group_rows = one_group ? 1 : std::max(1, HOPPER_STAGE_K / group_size);
        CUtensorMap w_map, s_map;
        const cuuint64_t w_dims[2] = {(cuuint64_t)2 * n, (cuuint64_t)k / 16};
        const cuuint64_t w_strides[1] = {(cuuint64_t)n * 8};
        const cuuint32_t w_box[2] = {2 * HOPPER_N, HOPPER_TILES};
        const cuuint64_t s_dims[2] = {(cuuint64_t)n, (cuuint64_t)(one_group ? 1 : k / group_size)};
        const cuuint64_t s_strides[1] = {(cuuint64_t)n * 2};
        const cuuint32_t s_box[2] = {HOPPER_N, group_rows};
        const CUresult w_encoded = cuTensorMapEncodeTiled(&w_map, CU_TENSOR_MAP_DATA_TYPE_INT32, 2, const_cast<uint32_t*>(codes), w_dims, w_strides, w_box,
                                                          element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                                                          CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
        const CUresult s_encoded = cuTensorMapEncodeTiled(&s_map, std::is_same<T, __half>::value ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
                                                          2, const_cast<T*>(scales), s_dims, s_strides, s_box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                                          CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
        if (w_encoded != CUDA_SUCCESS || s_encoded != CUDA_SUCCESS) {
            std::fprintf(stderr, "cuTensorMapEncodeTiled failed: words %d, scales %d (K=%d N=%d G=%d)\n", (int)w_encoded, (int)s_encoded, k, n, group_size);
            std::exit(2);
        }
        dim3 hgrid(h.m_blocks, ((n + HOPPER_N - 1) / HOPPER_N) * h.splits);
        hopper_kernel<T>(zp, h.bt)<<<hgrid, HOPPER_THREADS, hopper_shared_bytes(h.bt), stream>>>(x_map, w_map, s_map, m, k, n, codes, scales, zeros,
                                                                                       group_size, bias, out, h.splits > 1 ? partials : nullptr,
                                                                                       h.stages_per_split);
        if (h.splits > 1) launch_reduce<T>(partials, h.splits, m, n, bias, out, stream);
        return;
    }
    dim3 grid((n / BLOCK_N) * p.splits, p.m_blocks);
    gemm_kernel<T>(zp, p.mb)<<<grid, THREADS, shared_bytes(p.mb), stream>>>(x, k, m, k, n, codes, scales, zeros, group_size, bias, out,
                                                                          p.splits > 1 ? partials : nullptr, p.stages_per_split);
    if (p.splits > 1) launch_reduce<T>(partials, p.splits, m, n, bias, out, stream);
}

// ---- host packers from the layout's definition ----
float to_float(__half v) { return __half2float(v); }
float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T>
T from_float(float v);
template <>
__half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

struct Layer {
    int k, n, group_size;  // group_size == k: one group
    bool zp, act_order;
    std::vector<int> q;      // [K][N] codes in natural row order
    std::vector<float> s;    // [groups][N] canonical scales
    std::vector<int> z;      // [groups][N] zero points (zp)
    std::vector<int> g_idx;  // [K]
    std::vector<int> perm;   // [K] permuted row r is row perm[r] (act-order), identity otherwise
    int groups() const { return k / group_size; }
};

Layer random_layer(std::mt19937& rng, int k, int n, int group_size, bool zp, bool act_order) {
    Layer l{k, n, group_size, zp, act_order};
    std::uniform_int_distribution<int> code(0, 15);
    std::uniform_real_distribution<float> scale(0.002f, 0.02f);
    l.q.resize((size_t)k * n);
    for (auto& v : l.q) v = code(rng);
    l.s.resize((size_t)l.groups() * n);
    for (auto& v : l.s) v = scale(rng);
    if (zp) {
        l.z.resize((size_t)l.groups() * n);
        for (auto& v : l.z) v = code(rng);
    }
    l.g_idx.resize(k);
    l.perm.resize(k);
    std::vector<int> order(k);
    std::iota(order.begin(), order.end(), 0);
    if (act_order) std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < k; ++i) l.g_idx[order[i]] = i / group_size;
    std::iota(l.perm.begin(), l.perm.end(), 0);
    std::stable_sort(l.perm.begin(), l.perm.end(), [&](int a, int b) { return l.g_idx[a] < l.g_idx[b]; });
    return l;
}

std::vector<uint32_t> gptq_words(const Layer& l) {
    std::vector<uint32_t> w((size_t)l.k / 8 * l.n, 0);
    for (int k = 0; k < l.k; ++k)
        for (int n = 0; n < l.n; ++n) w[(size_t)(k / 8) * l.n + n] |= (uint32_t)l.q[(size_t)k * l.n + n] << (4 * (k % 8));
    return w;
}

std::vector<uint32_t> marlin_codes(const Layer& l) {
    std::vector<uint32_t> out((size_t)l.k / 16 * 2 * l.n, 0);
    for (int k = 0; k < l.k; ++k) {
        for (int n = 0; n < l.n; ++n) {
            const int code = l.q[(size_t)l.perm[k] * l.n + n];
            const int w = 128 * (n / 64) + 32 * ((n % 64) / 16) + 4 * (n % 8) + (k % 8) / 2;
            const int p = 2 * ((n % 16) / 8) + (k % 16) / 8 + 4 * (k % 2);
            out[(size_t)(k / 16) * 2 * l.n + w] |= (uint32_t)code << (4 * p);
        }
    }
    return out;
}

int transposed64(int o) {
    return (o / 64) * 64 + 8 * (o % 8) + (o % 64) / 8;
}

template <typename T>
std::vector<T> marlin_scales(const Layer& l) {
    static const int table[32] = {0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27, 4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31};
    std::vector<T> out((size_t)l.groups() * l.n);
    for (int g = 0; g < l.groups(); ++g) {
        for (int x = 0; x < l.n; ++x) {
            int old;
            if (l.groups() > 1) {
                const int a = (x % 64) / 8, b = x % 8;  // new 8a + b takes old 8b + a
                old = (x / 64) * 64 + 8 * b + a;
            }
            else {
                old = (x / 32) * 32 + table[x % 32];
            }
            out[(size_t)g * l.n + x] = from_float<T>(l.s[(size_t)g * l.n + old]);
        }
    }
    return out;
}

std::vector<uint32_t> marlin_zeros(const Layer& l) {
    static const int il[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    std::vector<uint32_t> out((size_t)l.groups() * l.n / 8, 0);
    for (int g = 0; g < l.groups(); ++g) {
        std::vector<int> t(l.n);
        for (int o = 0; o < l.n; ++o) t[transposed64(o)] = l.z[(size_t)g * l.n + o];
        for (int q = 0; q < l.n / 8; ++q)
            for (int p = 0; p < 8; ++p) out[(size_t)g * l.n / 8 + q] |= (uint32_t)t[8 * q + il[p]] << (4 * p);
    }
    return out;
}

template <typename T>
std::vector<float> reference(const Layer& l, const std::vector<T>& x, int m, const std::vector<T>& bias) {
    std::vector<double> w((size_t)l.k * l.n);
    for (int k = 0; k < l.k; ++k) {
        const int g = l.g_idx[k];
        for (int n = 0; n < l.n; ++n) {
            const float s = to_float(from_float<T>(l.s[(size_t)g * l.n + n]));
            const int z = l.zp ? l.z[(size_t)g * l.n + n] : 8;
            w[(size_t)k * l.n + n] = to_float(from_float<T>((float)(l.q[(size_t)k * l.n + n] - z) * s));
        }
    }
    std::vector<float> out((size_t)m * l.n);
    for (int r = 0; r < m; ++r) {
        for (int n = 0; n < l.n; ++n) {
            double sum = to_float(bias[n]);
            for (int k = 0; k < l.k; ++k) sum += (double)to_float(x[(size_t)r * l.k + k]) * w[(size_t)k * l.n + n];
            out[(size_t)r * l.n + n] = (float)sum;
        }
    }
    return out;
}

template <typename T>
T* upload(const std::vector<T>& host) {
    T* device = nullptr;
    CUDA_OK(cudaMalloc(&device, std::max<size_t>(host.size(), 1) * sizeof(T)));
    if (!host.empty()) CUDA_OK(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    return device;
}

int g_failures = 0;
int g_cases = 0;

template <typename T>
void check_case(std::mt19937& rng, int sms, int k, int n, int group_size, bool zp, bool act_order, const std::vector<int>& ms, const char* type) {
    Layer l = random_layer(rng, k, n, group_size, zp, act_order);
    // repack on the GPU, bit for bit against the host packer
    const std::vector<uint32_t> expected = marlin_codes(l);
    uint32_t* gptq = upload(gptq_words(l));
    int* perm = act_order ? upload(l.perm) : nullptr;
    uint32_t* codes = nullptr;
    CUDA_OK(cudaMalloc(&codes, expected.size() * 4));
    CUDA_OK(cudaMemset(codes, 0xA5, expected.size() * 4));
    marlin_repack_w4<<<(unsigned)((expected.size() + 255) / 256), 256>>>(gptq, perm, k, n, codes);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<uint32_t> repacked(expected.size());
    CUDA_OK(cudaMemcpy(repacked.data(), codes, expected.size() * 4, cudaMemcpyDeviceToHost));
    ++g_cases;
    if (repacked != expected) {
        ++g_failures;
        size_t first = 0;
        while (repacked[first] == expected[first]) ++first;
        std::printf("FAIL repack K=%d N=%d act_order=%d: word %zu is %08x, expected %08x\n", k, n, act_order, first, repacked[first], expected[first]);
    }
    T* scales = upload(marlin_scales<T>(l));
    uint32_t* zeros = zp ? upload(marlin_zeros(l)) : nullptr;
    {
        // the large-M path's dequantized weight [K, N], row r the permuted row: bit for bit (one rounding of an exact product)
        T* w = nullptr;
        CUDA_OK(cudaMalloc(&w, (size_t)k * n * sizeof(T)));
        CUDA_OK(cudaMemset(w, 0xFF, (size_t)k * n * sizeof(T)));
        const unsigned blocks = (unsigned)(k / 16 * (n / 64));
        if constexpr (std::is_same<T, __half>::value) {
            (zp ? marlin_dequantize_f16_zp : marlin_dequantize_f16)<<<blocks, DEQUANTIZE_THREADS>>>(codes, scales, zeros, group_size, k, n, w);
        }
        else {
            (zp ? marlin_dequantize_bf16_zp : marlin_dequantize_bf16)<<<blocks, DEQUANTIZE_THREADS>>>(codes, scales, zeros, group_size, k, n, w);
        }
        CUDA_OK(cudaDeviceSynchronize());
        std::vector<T> got((size_t)k * n);
        CUDA_OK(cudaMemcpy(got.data(), w, got.size() * sizeof(T), cudaMemcpyDeviceToHost));
        size_t wrong = 0, first = 0;
        for (int r = 0; r < k; ++r) {
            const int source = l.perm[r];
            const int group = l.g_idx[source];
            for (int c = 0; c < n; ++c) {
                const float scale = to_float(from_float<T>(l.s[(size_t)group * n + c]));
                const int zero = zp ? l.z[(size_t)group * n + c] : 8;
                const T expected = from_float<T>((float)(l.q[(size_t)source * n + c] - zero) * scale);
                const size_t at = (size_t)r * n + c;
                if (std::memcmp(&expected, &got[at], sizeof(T)) != 0 && wrong++ == 0) first = at;
            }
        }
        ++g_cases;
        if (wrong != 0) {
            ++g_failures;
            std::printf("FAIL dequantize %s K=%d N=%d G=%d zp=%d act=%d: %zu of %zu values differ, first at row %zu column %zu\n", type, k, n, group_size, zp,
                        act_order, wrong, got.size(), first / n, first % n);
        }
        cudaFree(w);
    }
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::vector<T> bias_host(n);
    for (auto& b : bias_host) b = from_float<T>(value(rng));
    T* bias = upload(bias_host);
    const int max_m = *std::max_element(ms.begin(), ms.end());
    std::vector<T> x_host((size_t)max_m * k);
    for (auto& v : x_host) v = from_float<T>(value(rng));
    // act-order: the GEMM reads the activation gathered into the permuted order
    std::vector<T> x_perm(x_host.size());
    for (int r = 0; r < max_m; ++r)
        for (int c = 0; c < k; ++c) x_perm[(size_t)r * k + c] = x_host[(size_t)r * k + l.perm[c]];
    T* x = upload(x_host);
    T* xp = upload(x_perm);
    T* x_gathered = nullptr;
    CUDA_OK(cudaMalloc(&x_gathered, x_host.size() * sizeof(T)));
    T* out = nullptr;
    CUDA_OK(cudaMalloc(&out, (size_t)max_m * n * sizeof(T)));
    float* partials = nullptr;
    CUDA_OK(cudaMalloc(&partials, std::max<size_t>((size_t)16 * max_m * n, (size_t)2 * DECODE_BLOCKS_PER_SM * sms * 16 * DECODE_N) * sizeof(float)));
    for (int m : ms) {
        const std::vector<float> ref = reference(l, x_host, m, bias_host);
        for (int variant = 0; variant < (g_hopper && m > 16 ? 12 : 4); ++variant) {
            const int forced = std::vector<int>{0, 1, 3, 5}[variant % 4];
            g_forced_tokens = g_hopper ? std::vector<int>{64, 128, 256}[variant / 4] : 0;
            g_forced_splits = forced;
            g_forced_blocks = forced;
            const Plan p = plan_of(m, k, n, sms);
            CUDA_OK(cudaMemset(out, 0xFF, (size_t)m * n * sizeof(T)));  // NaN poison
            const T* input = x;
            if (act_order) {
                if constexpr (sizeof(T) == 2 && std::is_same<T, __half>::value) {
                    marlin_gather_f16<<<(m * k + 255) / 256, 256>>>(x, k, m, k, perm, x_gathered);
                }
                else {
                    marlin_gather_bf16<<<(m * k + 255) / 256, 256>>>(x, k, m, k, perm, x_gathered);
                }
                input = x_gathered;
            }
            run_gemm<T>(p, input, m, k, n, codes, scales, zeros, zp, group_size, bias, out, partials, 0);
            g_forced_splits = 0;
            g_forced_blocks = 0;
            const int tokens = g_forced_tokens;
            g_forced_tokens = 0;
            CUDA_OK(cudaDeviceSynchronize());
            std::vector<T> got((size_t)m * n);
            CUDA_OK(cudaMemcpy(got.data(), out, got.size() * sizeof(T), cudaMemcpyDeviceToHost));
            double error = 0, magnitude = 0;
            bool finite = true;
            for (size_t i = 0; i < got.size(); ++i) {
                const float v = to_float(got[i]);
                finite &= std::isfinite(v);
                error += std::fabs((double)v - ref[i]);
                magnitude += std::fabs((double)ref[i]);
            }
            const double relative = error / std::max(magnitude, 1e-30);
            const double tolerance = sizeof(T) == 2 && std::is_same<T, __half>::value ? 2e-3 : 1e-2;
            ++g_cases;
            const bool ok = finite && relative < tolerance;
            if (!ok) ++g_failures;
            if (!ok || std::getenv("MARLIN_VERBOSE")) {
                std::printf("%s %s K=%d N=%d G=%d zp=%d act=%d M=%d mb=%d splits=%d x%d tokens=%d: mean rel err %.2e%s\n", ok ? "ok  " : "FAIL", type, k, n,
                            group_size, zp, act_order, m, p.mb, p.splits, p.stages_per_split, tokens, relative, finite ? "" : " (non-finite)");
            }
        }
    }
    (void)xp;
    cudaFree(gptq);
    cudaFree(perm);
    cudaFree(codes);
    cudaFree(scales);
    cudaFree(zeros);
    cudaFree(bias);
    cudaFree(x);
    cudaFree(xp);
    cudaFree(x_gathered);
    cudaFree(out);
    cudaFree(partials);
}

int sm_count() {
    int device = 0, sms = 0;
    CUDA_OK(cudaGetDevice(&device));
    CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    return sms;
}

int check(bool small) {
    set_shared<__half>(false);
    set_shared<__half>(true);
    set_shared<__nv_bfloat16>(false);
    set_shared<__nv_bfloat16>(true);
    const int sms = sm_count();
    g_sms = sms;
    std::mt19937 rng(std::random_device{}());
    const std::vector<int> ms = small ? std::vector<int>{1, 17, 70} : std::vector<int>{1, 5, 16, 17, 33, 64, 70, 130};
    struct Shape { int k, n; };
    const std::vector<Shape> shapes = small ? std::vector<Shape>{{256, 128}, {512, 192}} : std::vector<Shape>{{128, 64}, {256, 192}, {1024, 512}, {2048, 1024}};
    for (const Shape& s : shapes) {
        for (int g : {32, 64, 128, -1}) {
            const int group = g < 0 ? s.k : g;
            if (s.k % group != 0) continue;
            for (bool zp : {false, true}) {
                for (bool act : {false, true}) {
                    if (act && g < 0) continue;
                    check_case<__half>(rng, sms, s.k, s.n, group, zp, act, ms, "f16 ");
                    check_case<__nv_bfloat16>(rng, sms, s.k, s.n, group, zp, act, ms, "bf16");
                }
            }
        }
    }
    std::printf("%s: %d cases, %d failed\n", g_failures == 0 ? "ALL CHECKS PASSED" : "CHECKS FAILED", g_cases, g_failures);
    return g_failures == 0 ? 0 : 1;
}

// ---- timing ----
template <typename F>
double median_us(int samples, F&& body, int calls = 10) {
    for (int i = 0; i < 20; ++i) body(i);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<cudaEvent_t> events(samples + 1);
    for (auto& e : events) CUDA_OK(cudaEventCreate(&e));
    CUDA_OK(cudaEventRecord(events[0]));
    for (int s = 0; s < samples; ++s) {
        for (int i = 0; i < calls; ++i) body(s * calls + i);
        CUDA_OK(cudaEventRecord(events[s + 1]));
    }
    CUDA_OK(cudaEventSynchronize(events[samples]));
    std::vector<float> times;
    for (int s = 0; s < samples; ++s) {
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, events[s], events[s + 1]));
        times.push_back(ms * 1000.0f / calls);
    }
    for (auto& e : events) cudaEventDestroy(e);
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// Copies of a G = 128 layer's codes and scales spanning ROTATE_BYTES, so that a call reads its weights from memory,
// not L2; freed with the layer.
constexpr size_t ROTATE_BYTES = 200ull << 20;

// Random bits for the timed data: at compute-bound sizes the H100 runs at its power limit, and constant bytes (few
// toggling bits in the tensor cores) ran the kernels and cuBLAS faster than data like a real layer's.
__device__ uint32_t bench_hash(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)(x ^ (x >> 31));
}

__global__ void fill_random_words(uint32_t* p, size_t count, uint64_t seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) p[i] = bench_hash(seed * 0x100000000ull + i);
}

// uniform in [low, high)
__global__ void fill_random_halves(__half* p, size_t count, uint64_t seed, float low, float high) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) {
        p[i] = __float2half_rn(low + (high - low) * (bench_hash(seed * 0x100000000ull + i) >> 8) * (1.0f / 16777216.0f));
    }
}

void random_words(uint32_t* p, size_t bytes, uint64_t seed) {
    fill_random_words<<<1024, 256>>>(p, bytes / 4, seed);
    CUDA_OK(cudaGetLastError());
}

void random_halves(__half* p, size_t count, uint64_t seed, float low, float high) {
    fill_random_halves<<<1024, 256>>>(p, count, seed, low, high);
    CUDA_OK(cudaGetLastError());
}

struct RotatedWeights {
    size_t word_bytes, scale_bytes;
    int copies;
    std::vector<uint32_t*> codes;
    std::vector<__half*> scales;

    RotatedWeights(int k, int n)
        : word_bytes((size_t)k * n / 2), scale_bytes((size_t)k / 128 * n * 2),
          copies((int)std::max<size_t>(2, ROTATE_BYTES / (word_bytes + scale_bytes) + 1)), codes(copies), scales(copies) {
        for (int c = 0; c < copies; ++c) {
            CUDA_OK(cudaMalloc(&codes[c], word_bytes));
            random_words(codes[c], word_bytes, 2 * c + 1);
            CUDA_OK(cudaMalloc(&scales[c], scale_bytes));
            random_halves(scales[c], scale_bytes / 2, 2 * c + 2, 0.002f, 0.02f);
        }
    }
    RotatedWeights(const RotatedWeights&) = delete;
    RotatedWeights& operator=(const RotatedWeights&) = delete;
    ~RotatedWeights() {
        for (int c = 0; c < copies; ++c) {
            cudaFree(codes[c]);
            cudaFree(scales[c]);
        }
    }
};

int bench() {
    set_shared<__half>(false);
    const int sms = sm_count();
    g_sms = sms;
    cublasHandle_t cublas;
    cublasCreate(&cublas);
    struct Shape { const char* name; int k, n; };
    const std::vector<Shape> shapes = {{"8B qkv", 4096, 6144}, {"8B o", 4096, 4096}, {"8B gate_up", 4096, 28672}, {"8B down", 14336, 4096},
                                       {"70B qkv", 8192, 10240}, {"70B o", 8192, 8192}, {"70B gate_up", 8192, 57344}, {"70B down", 28672, 8192}};
    // copy bandwidth
    void *a, *b;
    const size_t copy_bytes = 256ull << 20;
    CUDA_OK(cudaMalloc(&a, copy_bytes));
    CUDA_OK(cudaMalloc(&b, copy_bytes));
    const double copy_us = median_us(10, [&](int) { CUDA_OK(cudaMemcpyAsync(b, a, copy_bytes, cudaMemcpyDeviceToDevice)); }, 1);
    const double copy_gbs = 2.0 * copy_bytes / copy_us / 1e3;
    std::printf("copy %.0f GB/s\n%-12s %5s %9s %9s %7s %7s %6s %s\n", copy_gbs, "layer", "M", "cuBLAS", "marlin", "speedup", "GB/s", "%copy", "plan");
    std::mt19937 rng(7);
    const char* only_layer = std::getenv("MARLIN_BENCH_LAYER");  // bench one layer (its name), at MARLIN_BENCH_M rows
    const char* only_m = std::getenv("MARLIN_BENCH_M");
    for (const Shape& s : shapes) {
        if (only_layer != nullptr && std::string(only_layer) != s.name) continue;
        const RotatedWeights w(s.k, s.n);
        const size_t word_bytes = w.word_bytes, scale_bytes = w.scale_bytes;
        const int copies = w.copies;
        const std::vector<uint32_t*>& codes = w.codes;
        const std::vector<__half*>& scales = w.scales;
        const int dense_copies = (int)std::max<size_t>(2, ROTATE_BYTES / ((size_t)s.k * s.n * 2) + 1);
        std::vector<__half*> dense(dense_copies);
        for (auto& d : dense) {
            CUDA_OK(cudaMalloc(&d, (size_t)s.k * s.n * 2));
            random_halves(d, (size_t)s.k * s.n, 1000 + (&d - dense.data()), -0.16f, 0.16f);  // as the dequantized weights: 8 x 0.02
        }
        __half *x, *out;
        float* partials;
        const int rows = g_hopper ? 4096 : 256;
        CUDA_OK(cudaMalloc(&x, (size_t)rows * s.k * 2));
        random_halves(x, (size_t)rows * s.k, 999, -1.0f, 1.0f);
        CUDA_OK(cudaMalloc(&out, (size_t)rows * s.n * 2));
        CUDA_OK(cudaMalloc(&partials, std::max<size_t>((size_t)16 * 256 * s.n, (size_t)2 * DECODE_BLOCKS_PER_SM * sms * 16 * DECODE_N) * 4));
        const std::vector<int> bench_ms = g_hopper ? std::vector<int>{64, 128, 256, 1024, 4096} : std::vector<int>{1, 16, 64, 256};
        for (int m : bench_ms) {
            if (only_m != nullptr && std::atoi(only_m) != m) continue;
            const float one = 1, zero = 0;
            const double dense_us = median_us(20, [&](int i) {
                cublasGemmEx(cublas, CUBLAS_OP_N, CUBLAS_OP_N, s.n, m, s.k, &one, dense[i % dense_copies], CUDA_R_16F, s.n, x, CUDA_R_16F, s.k, &zero, out,
                             CUDA_R_16F, s.n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            });
            const Plan p = plan_of(m, s.k, s.n, sms);
            if (g_hopper) {
                // every token tile that keeps the partial sums within the buffer; the plan's first
                std::printf("%-12s %5d %9.1f", s.name, m, dense_us);
                for (int bt : {0, 64, 128, 256}) {
                    g_forced_tokens = bt;
                    g_forced_splits = std::getenv("MARLIN_SPLITS") ? std::atoi(std::getenv("MARLIN_SPLITS")) : 0;
                    const HPlan h = hopper_plan_of(m, s.k, s.n, sms);
                    if (h.splits > 1 && (size_t)h.splits * m * s.n > (size_t)16 * 256 * s.n) {
                        std::printf("  t%d:-", bt);
                        continue;
                    }
                    const double us = median_us(20, [&](int i) {
                        run_gemm<__half>(p, x, m, s.k, s.n, codes[i % copies], scales[i % copies], nullptr, false, 128, nullptr, out, partials, 0);
                    });
                    const double bytes = word_bytes + scale_bytes + 2.0 * m * s.k + 2.0 * m * s.n;
                    std::printf("  t%d/x%d %.1fus %.2fx %.0f%%copy %.0fTF", h.bt, h.splits, us, m < 256 ? dense_us / us : us / dense_us,
                                100.0 * bytes / us / 1e3 / copy_gbs, 2.0 * m * s.n * s.k / us / 1e6);
                }
                g_forced_tokens = 0;
                g_forced_splits = 0;
                std::printf("\n");
                continue;
            }
            const double us = median_us(20, [&](int i) {
                run_gemm<__half>(p, x, m, s.k, s.n, codes[i % copies], scales[i % copies], nullptr, false, 128, nullptr, out, partials, 0);
            });
            const double bytes = word_bytes + scale_bytes + 2.0 * m * s.k + 2.0 * m * s.n;
            const DecodePlan d = decode_plan_of(m, s.k, s.n, sms);
            std::printf("%-12s %5d %9.1f %9.1f %7.2f %7.0f %6.0f %s x%d\n", s.name, m, dense_us, us, dense_us / us, bytes / us / 1e3,
                        100.0 * bytes / us / 1e3 / copy_gbs, m <= 16 ? "decode" : "gemm", m <= 16 ? d.blocks : p.splits);
        }
        for (auto& d : dense) cudaFree(d);
        cudaFree(x);
        cudaFree(out);
        cudaFree(partials);
    }
    CUDA_OK(cudaGetLastError());
    return 0;
}

#ifdef MARLIN_DECODE_TIMELINE
// Five back-to-back decode calls (as bench times them) after a warm-up; one line per block record: call, kind (0
// decode, 1 reduce), block, then ns since the first record's start at its start, after the wait, first stage, last
// stage, end (0: not reached).
int timeline() {
    set_shared<__half>(false);
    const int sms = sm_count();
    struct Shape { const char* name; int k, n; };
    const std::vector<Shape> shapes = {{"8B down", 14336, 4096}, {"8B gate_up", 4096, 28672}, {"70B qkv", 8192, 10240}, {"70B down", 28672, 8192}};
    for (const Shape& s : shapes) {
        const RotatedWeights w(s.k, s.n);
        const int copies = w.copies;
        const std::vector<uint32_t*>& codes = w.codes;
        const std::vector<__half*>& scales = w.scales;
        __half *x, *out;
        float* partials;
        CUDA_OK(cudaMalloc(&x, (size_t)16 * s.k * 2));
        random_halves(x, (size_t)16 * s.k, 999, -1.0f, 1.0f);
        CUDA_OK(cudaMalloc(&out, (size_t)16 * s.n * 2));
        CUDA_OK(cudaMalloc(&partials, (size_t)2 * DECODE_BLOCKS_PER_SM * sms * 16 * DECODE_N * 4));
        for (int m : {1, 16}) {
            for (int i = 0; i < 20; ++i) run_decode<__half>(x, m, s.k, s.n, codes[i % copies], scales[i % copies], nullptr, false, 128, nullptr, out, partials, 0, sms);
            CUDA_OK(cudaDeviceSynchronize());
            const unsigned zero = 0;
            CUDA_OK(cudaMemcpyToSymbol(marlin_decode_timeline_next, &zero, sizeof(zero)));
            for (int i = 0; i < 5; ++i) run_decode<__half>(x, m, s.k, s.n, codes[i % copies], scales[i % copies], nullptr, false, 128, nullptr, out, partials, 0, sms);
            CUDA_OK(cudaDeviceSynchronize());
            unsigned used = 0;
            CUDA_OK(cudaMemcpyFromSymbol(&used, marlin_decode_timeline_next, sizeof(used)));
            std::vector<TimelineRecord> records(std::min<unsigned>(used, TIMELINE_RECORDS));
            CUDA_OK(cudaMemcpyFromSymbol(records.data(), marlin_decode_timeline, records.size() * sizeof(TimelineRecord)));
            unsigned long long origin = ~0ull;
            for (const auto& r : records) origin = std::min(origin, r.at[0]);
            std::vector<int> seen_decode(8192, 0), seen_reduce(8192, 0);
            std::printf("# %s M=%d records=%u\n", s.name, m, used);
            for (const auto& r : records) {
                const int call = r.kind == 0 ? seen_decode[r.block]++ : seen_reduce[r.block]++;
                std::printf("%s,%d,%d,%d,%d", s.name, m, call, r.kind, r.block);
                for (int i = 0; i < 5; ++i) std::printf(",%lld", r.at[i] == 0 ? -1ll : (long long)(r.at[i] - origin));
                std::printf("\n");
            }
        }
        cudaFree(x);
        cudaFree(out);
        cudaFree(partials);
    }
    return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "check";
    if (const char* value = std::getenv("MARLIN_PDL")) g_pdl = std::atoi(value) != 0;
    if (const char* value = std::getenv("MARLIN_DECODE_GRID")) g_forced_blocks = std::atoi(value);
    if (const char* value = std::getenv("MARLIN_HOPPER")) g_hopper = std::atoi(value) != 0;  // bench: a grid other than the plan's
    if (mode == "check") return check(false);
    if (mode == "check-small") return check(true);
    if (mode == "bench") return bench();
#ifdef MARLIN_DECODE_TIMELINE
    if (mode == "timeline") return timeline();
#endif
    std::fprintf(stderr, "usage: %s check | check-small | bench\n", argv[0]);
    return 2;
}
