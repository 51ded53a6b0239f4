// The exllama plugin's kernels: a fused dequantize-and-multiply kernel for small M, and the dequantize, split-K
// reduce and bias kernels of the large-M path (dequantize, then the host's cuBLAS). The weights are in the
// exllama-gptq layout (ExllamaKernel's javadoc defines it): int32 words [K/pf, N] packed along K, 4-bit words
// shuffled so that slot p holds the code of row [0, 2, 4, 6, 1, 3, 5, 7][p]; fp16 scales [K/G, N]; under act-order
// the rows are permuted by perm and activation column perm[r] meets weight row r.
//
// Every entry point is extern "C" with plain arguments (pointers, int32, int64), matching KernelArguments.Kind.

#include <cuda.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

namespace {

#ifndef EXLLAMA_WARPS_N
#define EXLLAMA_WARPS_N 8
#endif
#ifndef EXLLAMA_WARPS_K
#define EXLLAMA_WARPS_K 1
#endif
#ifndef EXLLAMA_UNROLL
#define EXLLAMA_UNROLL 4
#endif
// The block shape; the macros let src/test/cuda/exllama_check.cu compare others (FusedPlan in Java must match).
constexpr int WARPS_N = EXLLAMA_WARPS_N;         // warps side by side along N, 32 columns each
constexpr int WARPS_K = EXLLAMA_WARPS_K;         // warps splitting a block's K slice, reduced through shared memory
constexpr int THREADS = 32 * WARPS_N * WARPS_K;  // 256
constexpr int BLOCK_N = 32 * WARPS_N;            // 256 columns per block

// A quad is what a warp consumes per step: 4 word rows by 32 columns, one 128-bit load per lane, feeding
// FRAGMENTS mma.m16n8k16 steps along K per 8-column tile.
template <int BITS>
struct Packing {
    static constexpr int K_PER_WORD = 32 / BITS;
    static constexpr int QUAD_K = 4 * K_PER_WORD;
    static constexpr int FRAGMENTS = QUAD_K / 16;
};

// MT m-tiles of 16 rows per block; the activation slice staged per pass takes 32 KB of shared memory. UNROLL quads
// per warp and batch: 128-bit weight loads in flight per lane, twice that while the next batch loads.
template <int MT>
struct Staging {
    static constexpr int ROWS = 16 * MT;
    static constexpr int CHUNK_K = 1024 / MT;
    static constexpr int UNROLL = MT == 4 ? 2 : EXLLAMA_UNROLL;
    static constexpr int HALVES = ROWS * CHUNK_K;
};

__device__ __forceinline__ __half2 as_half2(uint32_t bits) {
    __half2 value;
    memcpy(&value, &bits, sizeof(value));
    return value;
}

__device__ __forceinline__ uint32_t as_bits(__half2 value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

// Weights are read once: keep them out of L1.
__device__ __forceinline__ uint4 load_stream(const uint32_t* address) {
    uint4 value;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(value.x), "=r"(value.y), "=r"(value.z), "=r"(value.w)
        : "l"(address));
    return value;
}

__device__ __forceinline__ void mma_16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t lop3_and_or(uint32_t a, uint32_t mask, uint32_t bits) {
    uint32_t d;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(d) : "r"(a), "r"(mask), "r"(bits));
    return d;
}

constexpr uint32_t MAGIC = 0x64006400u;         // half2(1024, 1024): OR-ing an integer below 1024 into it adds it
constexpr uint32_t OFFSET_4BIT = 0x64086408u;   // half2(1032, 1032): 1024 + 8
constexpr uint32_t OFFSET_8BIT = 0x64806480u;   // half2(1152, 1152): 1024 + 128
constexpr uint32_t SIXTEENTH = 0x2C002C00u;     // half2(1/16, 1/16)
constexpr uint32_t MINUS_72 = 0xD480D480u;      // half2(-72, -72): (1024 + 16 v) / 16 - 72 = v - 8

// The 8 codes of a shuffled 4-bit word as 4 half2 of code - 8, exactly; pair p holds rows 2p and 2p + 1.
__device__ __forceinline__ void codes_4bit(uint32_t word, uint32_t (&pairs)[4]) {
    const uint32_t shifted = word >> 8;
    pairs[0] = as_bits(__hsub2(as_half2(lop3_and_or(word, 0x000F000Fu, MAGIC)), as_half2(OFFSET_4BIT)));
    pairs[1] = as_bits(__hfma2(as_half2(lop3_and_or(word, 0x00F000F0u, MAGIC)), as_half2(SIXTEENTH), as_half2(MINUS_72)));
    pairs[2] = as_bits(__hsub2(as_half2(lop3_and_or(shifted, 0x000F000Fu, MAGIC)), as_half2(OFFSET_4BIT)));
    pairs[3] = as_bits(__hfma2(as_half2(lop3_and_or(shifted, 0x00F000F0u, MAGIC)), as_half2(SIXTEENTH), as_half2(MINUS_72)));
}

// The 4 codes of an 8-bit word as 2 half2 of code - 128, exactly.
__device__ __forceinline__ void codes_8bit(uint32_t word, uint32_t (&pairs)[2]) {
    pairs[0] = as_bits(__hsub2(as_half2(__byte_perm(word, 0x64646464u, 0x4140u)), as_half2(OFFSET_8BIT)));
    pairs[1] = as_bits(__hsub2(as_half2(__byte_perm(word, 0x64646464u, 0x4342u)), as_half2(OFFSET_8BIT)));
}

// The decode kernel's cheaper form: the codes plus a bias, exactly, one LOP3 per pair. Pairs 0 and 2 hold 1024 + code;
// pairs 1 and 3 hold 64 + code (the last mantissa bit of half 64 is 1/16, so OR-ing 16 code into it adds code). The
// bias plus the zero point (1032 and 72) times the activations is subtracted once per group.
constexpr uint32_t MAGIC_HIGH = 0x54005400u;    // half2(64, 64)
constexpr uint32_t MINUS_1032 = 0xE408E408u;    // half2(-1032, -1032)
constexpr uint32_t MINUS_1152 = 0xE480E480u;    // half2(-1152, -1152): 8-bit bias 1024 plus zero point 128

__device__ __forceinline__ void biased_codes_4bit(uint32_t word, uint32_t (&pairs)[4]) {
    const uint32_t shifted = word >> 8;
    pairs[0] = lop3_and_or(word, 0x000F000Fu, MAGIC);
    pairs[1] = lop3_and_or(word, 0x00F000F0u, MAGIC_HIGH);
    pairs[2] = lop3_and_or(shifted, 0x000F000Fu, MAGIC);
    pairs[3] = lop3_and_or(shifted, 0x00F000F0u, MAGIC_HIGH);
}

// 1024 + code of the 4 codes of an 8-bit word
__device__ __forceinline__ void biased_codes_8bit(uint32_t word, uint32_t (&pairs)[2]) {
    pairs[0] = __byte_perm(word, 0x64646464u, 0x4140u);
    pairs[1] = __byte_perm(word, 0x64646464u, 0x4342u);
}

// The same times a half2 scale, rounded once: the weights (code - zero) * scale of the fused and dequantize kernels.
__device__ __forceinline__ void dequantize_4bit(uint32_t word, uint32_t scale, uint32_t (&pairs)[4]) {
    codes_4bit(word, pairs);
#pragma unroll
    for (int p = 0; p < 4; ++p) {
        pairs[p] = as_bits(__hmul2(as_half2(pairs[p]), as_half2(scale)));
    }
}

__device__ __forceinline__ void dequantize_8bit(uint32_t word, uint32_t scale, uint32_t (&pairs)[2]) {
    codes_8bit(word, pairs);
#pragma unroll
    for (int p = 0; p < 2; ++p) {
        pairs[p] = as_bits(__hmul2(as_half2(pairs[p]), as_half2(scale)));
    }
}

// half2(s, s) of half j of four packed halves.
__device__ __forceinline__ uint32_t broadcast_scale(const uint2& scales, int j) {
    return __byte_perm(j < 2 ? scales.x : scales.y, 0, (j & 1) == 0 ? 0x1010u : 0x3232u);
}

template <int BITS>
__device__ __forceinline__ uint32_t word_of(const uint4& words, int j) {
    return j == 0 ? words.x : j == 1 ? words.y : j == 2 ? words.z : words.w;
}

// Where element (r, c) of a staged activation slice lives (row r of the block, position c of the slice), in halves:
// each lane's A fragment of mma.m16n8k16 is stored as the 16 bytes it loads, so one LDS.128 yields the four
// registers (rows g and g + 8, K pairs e = 0, 1 then 2, 3 of the lane's t) in the order the instruction takes them.
template <int BITS, int MT>
__device__ __forceinline__ int fragment_base(int r, int c) {
    using P = Packing<BITS>;
    constexpr int TILE = Staging<MT>::CHUNK_K / P::QUAD_K * P::FRAGMENTS * 256;
    const int quad = c / P::QUAD_K;
    const int kk = c % P::QUAD_K;
    const int t = kk / (4 * P::FRAGMENTS);
    const int h = (kk / 4) % P::FRAGMENTS;
    const int lane = 4 * (r % 8) + t;
    return (r / 16) * TILE + ((quad * P::FRAGMENTS + h) * 32 + lane) * 8;
}

template <int BITS, int MT>
__device__ __forceinline__ int fragment_offset(int r, int c) {
    const int e = c % 4;
    return fragment_base<BITS, MT>(r, c) + 2 * (2 * (e / 2) + (r % 16) / 8) + e % 2;
}

// Copies activation rows [m0, m0 + rows) at K positions [k0, k0 + length) into shared memory in fragment order,
// gathering through the permutation under act-order. Rows past M stay zero.
template <int BITS, int MT>
__device__ __forceinline__ void stage(__half* xs, const __half* __restrict__ x, long long ldx, int m0, int rows, int k0, int length,
                                      const int* __restrict__ perm, int x_vector) {
    if (perm == nullptr && x_vector) {
        const int vectors = length / 8;
        const int items = rows * vectors;
        for (int i = threadIdx.x; i < items; i += THREADS) {
            const int r = i / vectors;
            const int c = 8 * (i - r * vectors);
            const uint4 values = __ldg(reinterpret_cast<const uint4*>(x + (size_t)(m0 + r) * ldx + k0 + c));
            const int upper = (r % 16) / 8;
            uint32_t* first = reinterpret_cast<uint32_t*>(xs + fragment_base<BITS, MT>(r, c));
            uint32_t* second = reinterpret_cast<uint32_t*>(xs + fragment_base<BITS, MT>(r, c + 4));
            first[upper] = values.x;
            first[2 + upper] = values.y;
            second[upper] = values.z;
            second[2 + upper] = values.w;
        }
    }
    else {
        const int items = rows * length;
        for (int i = threadIdx.x; i < items; i += THREADS) {
            const int r = i / length;
            const int c = i - r * length;
            const int column = perm == nullptr ? k0 + c : __ldg(perm + k0 + c);
            xs[fragment_offset<BITS, MT>(r, c)] = x[(size_t)(m0 + r) * ldx + column];
        }
    }
}

// Loads the weights and scales of one batch: quads first + wk + WARPS_K u (relative to the block's first quad).
template <int UNROLL>
struct Batch {
    uint4 words[UNROLL];
    uint2 scales[UNROLL];
};

template <int UNROLL>
__device__ __forceinline__ void load_batch(Batch<UNROLL>& batch, const uint32_t* __restrict__ codes, const __half* __restrict__ scales, int n, int n_load,
                                           bool loads, int quad_begin, int first, int span, int t, int quads_per_group) {
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
        const int q = first + u * WARPS_K;
        batch.words[u] = make_uint4(0, 0, 0, 0);
        batch.scales[u] = make_uint2(0, 0);
        if (loads && q < span) {
            const int quad = quad_begin + q;
            batch.words[u] = load_stream(codes + ((size_t)quad * 4 + t) * n + n_load);
            batch.scales[u] = __ldg(reinterpret_cast<const uint2*>(scales + (size_t)(quad / quads_per_group) * n + n_load));
        }
    }
}

// One block: rows [m0, m0 + 16 MT) of the activation, columns [128 by, 128 by + 128), quads of K
// [z quads_per_split, (z + 1) quads_per_split). Warp (wn, wk) owns 32 columns and every WARPS_K-th quad.
//
// The weights enter mma.m16n8k16 as B without any shuffle across lanes: lane (g, t) = (lane / 4, lane % 4) loads
// word row 4q + t of columns c + 4g .. c + 4g + 3, and for column j of those four it holds the B fragment of an
// 8-column tile whose column g is that column and whose K rows are the lane's own codes. The matching A fragments
// are the same K positions of the staged activations: K is permuted inside each quad, identically for A and B.
//
// Weights stream in batches of WARPS_K * UNROLL quads, the next batch loading while the current one computes; the
// activations are staged in passes of CHUNK_K, which always start at a batch.
template <int BITS, int MT>
__device__ __forceinline__ void fused(const __half* __restrict__ x, long long ldx, int m, int k, int n, const uint32_t* __restrict__ codes,
                                      const __half* __restrict__ scales, int group_size, const int* __restrict__ perm,
                                      const __half* __restrict__ bias, __half* __restrict__ out, float* __restrict__ partials,
                                      int quads_per_split, int x_vector) {
    using P = Packing<BITS>;
    using S = Staging<MT>;
    constexpr int TILE = S::CHUNK_K / P::QUAD_K * P::FRAGMENTS * 256;
    constexpr int CHUNK_QUADS = S::CHUNK_K / P::QUAD_K;
    constexpr int UNROLL = S::UNROLL;
    constexpr int BATCH = WARPS_K * UNROLL;
    static_assert(CHUNK_QUADS % BATCH == 0, "a staged pass holds whole batches");
    __shared__ __align__(16) __half xs[S::HALVES];

    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int wn = warp % WARPS_N;
    const int wk = warp / WARPS_N;
    const int g = lane / 4;
    const int t = lane % 4;
    const int n_warp = blockIdx.y * BLOCK_N + wn * 32;
    const int n_load = n_warp + 4 * g;
    const bool loads = n_load < n;
    const int m0 = blockIdx.x * S::ROWS;
    const int rows = min(S::ROWS, m - m0);
    const int quad_begin = blockIdx.z * quads_per_split;
    const int span = max(0, min(k / P::QUAD_K, quad_begin + quads_per_split) - quad_begin);
    const int quads_per_group = group_size / P::QUAD_K;

    if (rows < S::ROWS) {
        // fragments of rows past M are read, and must be zeros; staging never writes them
        for (int i = threadIdx.x; i < S::HALVES / 8; i += THREADS) {
            reinterpret_cast<uint4*>(xs)[i] = make_uint4(0, 0, 0, 0);
        }
    }

    float acc[MT][4][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                acc[mt][j][c] = 0.0f;
            }
        }
    }

    // stages the pass that starts at this batch, if one does; returns the first quad of the batch's pass
    auto pass_of = [&](int first) {
        const int pass = first / CHUNK_QUADS * CHUNK_QUADS;
        if (first == pass) {
            __syncthreads();
            stage<BITS, MT>(xs, x, ldx, m0, rows, (quad_begin + pass) * P::QUAD_K, min(CHUNK_QUADS, span - pass) * P::QUAD_K, perm, x_vector);
            __syncthreads();
        }
        return pass;
    };
    auto compute = [&](const Batch<UNROLL>& batch, int first, int pass) {
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int q = first + wk + u * WARPS_K;
            if (q >= span) {
                break;
            }
            // b[j][p]: column j's pair p, (code - zero) * scale
            uint32_t b[4][2 * P::FRAGMENTS];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const uint32_t word = word_of<BITS>(batch.words[u], j);
                if constexpr (BITS == 4) {
                    dequantize_4bit(word, broadcast_scale(batch.scales[u], j), b[j]);
                }
                else {
                    dequantize_8bit(word, broadcast_scale(batch.scales[u], j), b[j]);
                }
            }
            const int local = q - pass;
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                if (rows <= 16 * mt) {
                    break;
                }
#pragma unroll
                for (int h = 0; h < P::FRAGMENTS; ++h) {
                    const uint4 a = *reinterpret_cast<const uint4*>(xs + mt * TILE + ((local * P::FRAGMENTS + h) * 32 + lane) * 8);
#pragma unroll
                    for (int j = 0; j < 4; ++j) {
                        mma_16816(acc[mt][j], a.x, a.y, a.z, a.w, b[j][2 * h], b[j][2 * h + 1]);
                    }
                }
            }
        }
    };

    // two batches in turn, so that one loads while the other computes, without copying registers
    Batch<UNROLL> even;
    Batch<UNROLL> odd;
    load_batch<UNROLL>(even, codes, scales, n, n_load, loads, quad_begin, wk, span, t, quads_per_group);
    for (int first = 0; first < span; first += 2 * BATCH) {
        int pass = pass_of(first);
        if (first + BATCH < span) {
            load_batch<UNROLL>(odd, codes, scales, n, n_load, loads, quad_begin, first + BATCH + wk, span, t, quads_per_group);
        }
        compute(even, first, pass);
        if (first + BATCH >= span) {
            break;
        }
        pass = pass_of(first + BATCH);
        if (first + 2 * BATCH < span) {
            load_batch<UNROLL>(even, codes, scales, n, n_load, loads, quad_begin, first + 2 * BATCH + wk, span, t, quads_per_group);
        }
        compute(odd, first + BATCH, pass);
    }

    // The K warps meet in shared memory: warps wk > 0 hand their sums to warp wk = 0, which adds them in wk order.
    if constexpr (WARPS_K > 1) {
        constexpr int VALUES = MT * 16;
        static_assert((WARPS_K - 1) * WARPS_N * VALUES * 32 * 4 <= S::HALVES * 2, "the exchange fits the staging buffer");
        __syncthreads();
        float* exchange = reinterpret_cast<float*>(xs);
        if (wk > 0) {
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
#pragma unroll
                    for (int c = 0; c < 4; ++c) {
                        exchange[(((wk - 1) * WARPS_N + wn) * VALUES + mt * 16 + j * 4 + c) * 32 + lane] = acc[mt][j][c];
                    }
                }
            }
        }
        __syncthreads();
        if (wk != 0) {
            return;
        }
        for (int other = 1; other < WARPS_K; ++other) {
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
#pragma unroll
                    for (int c = 0; c < 4; ++c) {
                        acc[mt][j][c] += exchange[(((other - 1) * WARPS_N + wn) * VALUES + mt * 16 + j * 4 + c) * 32 + lane];
                    }
                }
            }
        }
    }

    // Lane (g, t) holds, for rows g and g + 8 of each m-tile, the 8 consecutive columns n_warp + 8t ..: tile j's
    // accumulator c0 (c2) is column 8t + j, c1 (c3) is column 8t + 4 + j.
    const int column = n_warp + 8 * t;
    if (column >= n) {
        return;
    }
    float bias_values[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        bias_values[i] = 0.0f;
    }
    if (gridDim.z == 1 && bias != nullptr) {
        const uint4 raw = __ldg(reinterpret_cast<const uint4*>(bias + column));
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float2 pair = __half22float2(as_half2(words[i]));
            bias_values[2 * i] = pair.x;
            bias_values[2 * i + 1] = pair.y;
        }
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int half_tile = 0; half_tile < 2; ++half_tile) {
            const int row = m0 + 16 * mt + g + 8 * half_tile;
            if (row >= m) {
                continue;
            }
            float values[8];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                values[j] = acc[mt][j][2 * half_tile];
                values[4 + j] = acc[mt][j][2 * half_tile + 1];
            }
            if (gridDim.z == 1) {
                uint4 packed;
                packed.x = as_bits(__floats2half2_rn(values[0] + bias_values[0], values[1] + bias_values[1]));
                packed.y = as_bits(__floats2half2_rn(values[2] + bias_values[2], values[3] + bias_values[3]));
                packed.z = as_bits(__floats2half2_rn(values[4] + bias_values[4], values[5] + bias_values[5]));
                packed.w = as_bits(__floats2half2_rn(values[6] + bias_values[6], values[7] + bias_values[7]));
                *reinterpret_cast<uint4*>(out + (size_t)row * n + column) = packed;
            }
            else {
                float4* target = reinterpret_cast<float4*>(partials + ((size_t)blockIdx.z * m + row) * n + column);
                target[0] = make_float4(values[0], values[1], values[2], values[3]);
                target[1] = make_float4(values[4], values[5], values[6], values[7]);
            }
        }
    }
}

// Dequantizes the prepared weight into the fp16 weight W[K, columns] (columns [n0, n0 + columns) of the layer), one
// word row and 4 columns per thread, un-permuting rows under act-order so that W multiplies the activation as it is.
// Word rows are strided by the grid's y extent, which the host caps at 65535.
template <int BITS>
__device__ __forceinline__ void dequantize(const uint32_t* __restrict__ codes, const __half* __restrict__ scales, int group_size,
                                           const int* __restrict__ perm, int k, int n, int n0, int columns, __half* __restrict__ w) {
    constexpr int K_PER_WORD = 32 / BITS;
    const int c = 4 * (blockIdx.x * blockDim.x + threadIdx.x);
    if (c >= columns) {
        return;
    }
    for (int word_row = blockIdx.y; word_row < k / K_PER_WORD; word_row += gridDim.y) {
        const uint4 words = load_stream(codes + (size_t)word_row * n + n0 + c);
        const int group = word_row * K_PER_WORD / group_size;
        const uint2 scale_bits = __ldg(reinterpret_cast<const uint2*>(scales + (size_t)group * n + n0 + c));
        // pairs[j][p]: column c + j, rows 2p and 2p + 1 of the word
        uint32_t pairs[4][K_PER_WORD / 2];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if constexpr (BITS == 4) {
                dequantize_4bit(word_of<BITS>(words, j), broadcast_scale(scale_bits, j), pairs[j]);
            }
            else {
                dequantize_8bit(word_of<BITS>(words, j), broadcast_scale(scale_bits, j), pairs[j]);
            }
        }
#pragma unroll
        for (int i = 0; i < K_PER_WORD; ++i) {
            const int row = word_row * K_PER_WORD + i;
            const int target = perm == nullptr ? row : __ldg(perm + row);
            // element i of the word is the low half of pair i / 2 when i is even, the high half when odd
            const uint32_t select = (i & 1) == 0 ? 0x5410u : 0x7632u;
            uint2 out;
            out.x = __byte_perm(pairs[0][i / 2], pairs[1][i / 2], select);
            out.y = __byte_perm(pairs[2][i / 2], pairs[3][i / 2], select);
            *reinterpret_cast<uint2*>(w + (size_t)target * columns + c) = out;
        }
    }
}


// ---- the decode kernel: M <= 16 ----
//
// Weights stream once through a cp.async pipeline of DECODE_STAGES shared-memory stages, so that every block keeps
// many bytes in flight without holding them in registers. They enter mma.m16n8k16 as A (16 columns of the layer by
// 16 K) and the activations as B (16 K by 8 tokens), so a token tile of 8 rows costs half the MMAs of the fused
// kernel's 16-row tiles. Up to 8 tokens, codes enter as exact integers plus a bias (one LOP3 per pair, see
// biased_codes_4bit); one more MMA per 16 K with a constant A of minus bias and zero point sums what to subtract, the
// same for every column. The 4-bit kernel for 16 tokens takes the codes minus the zero point instead (codes_4bit),
// which costs fewer cycles than two offset MMAs there. The group's scale multiplies the float32 sums once per group
// and column instead of every weight.
//
// Lane (g, t) reads word row 4q + t of the 4 columns c + 4g .. c + 4g + 3 of its warp's 32 (one LDS.128): columns
// c + 4g + 2j and c + 4g + 2j + 1 are rows g and g + 8 of A tile j. Its B fragment for quad q is 8 consecutive
// activations of token g at K 32q + 8t (4-bit; 4 at 16q + 4t for 8-bit), one shared-memory load, since K is
// permuted inside each quad identically for A and B.
//
// The grid is persistent and the work is split stream-K: the layer is a sequence of units (column block, stage of
// K), column block by column block, and block b streams units [b T / B, (b + 1) T / B), so every block moves the same
// bytes with one pipeline fill. A column block that one block covers whole is written directly; one shared by several
// blocks gets their float32 sums in partials (slot 0 for a block's first column block, 1 for its last), which
// exllama_decode_reduce, launched next (on sm_90 overlapping this kernel's end, waiting for it before it reads), adds
// in block order plus the bias: results do not depend on timing. A separate launch measured 1-5 us a call faster
// than having the last block to arrive at a column block add them up: the arrival's atomic round trip and that
// block's sum sat in series at the end of every call.

#ifndef EXLLAMA_DECODE_WARPS_N
#define EXLLAMA_DECODE_WARPS_N 4
#endif
#ifndef EXLLAMA_DECODE_STAGE_QUADS
#define EXLLAMA_DECODE_STAGE_QUADS 8
#endif
#ifndef EXLLAMA_DECODE_STAGES
#define EXLLAMA_DECODE_STAGES 3
#endif
constexpr int DECODE_THREADS = 256;
constexpr int DECODE_WARPS_N = EXLLAMA_DECODE_WARPS_N;       // warps side by side along N, 32 columns each
constexpr int DECODE_WARPS_K = 8 / DECODE_WARPS_N;           // warps sharing a stage's quads
constexpr int DECODE_BLOCK_N = 32 * DECODE_WARPS_N;          // 128 columns per block
constexpr int DECODE_STAGE_QUADS = EXLLAMA_DECODE_STAGE_QUADS;
constexpr int DECODE_STAGES = EXLLAMA_DECODE_STAGES;
static_assert(DECODE_STAGE_QUADS % DECODE_WARPS_K == 0, "a stage's quads are shared evenly by the K warps");

// -DEXLLAMA_DECODE_TIMELINE (the harness's timeline mode): block 0..2047 records %globaltimer at its start (0), when its
// first stage arrived (1), when it first wrote partial sums (2), at its end (4), and when its last stage arrived (5).
#ifdef EXLLAMA_DECODE_TIMELINE
__device__ unsigned long long exllama_decode_timeline[2048][6];
#define EXLLAMA_MARK(i)                                              \
    do {                                                             \
        if (threadIdx.x == 0 && blockIdx.x < 2048) {                 \
            unsigned long long now_;                                 \
            asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now_)); \
            exllama_decode_timeline[blockIdx.x][i] = now_;           \
        }                                                            \
    } while (0)
#else
#define EXLLAMA_MARK(i) \
    do {                \
    } while (0)
#endif

template <int BITS, int TT>
struct DecodeShape {
    static constexpr int QUAD_K = 4 * 32 / BITS;
    static constexpr int STAGE_ROWS = 4 * DECODE_STAGE_QUADS;   // word rows per stage
    static constexpr int STAGE_WORDS = STAGE_ROWS * DECODE_BLOCK_N;
    static constexpr int STAGE_K = DECODE_STAGE_QUADS * QUAD_K;
    // activation rows 64 (4-bit) or 32 (8-bit) bytes past a multiple of 128, so a warp's B loads hit distinct banks
    static constexpr int X_STRIDE = STAGE_K + (BITS == 4 ? 32 : 16);
    static constexpr int TOKENS = 8 * TT;
    static constexpr int X_OFFSET = STAGE_WORDS * 4;
    static constexpr int STAGE_BYTES = X_OFFSET + TOKENS * X_STRIDE * 2;
    static constexpr int VALUES = 8 * TT;                       // sums per lane
    // the K warps exchange their sums in the weights of the stage just computed
    static_assert((DECODE_WARPS_K - 1) * DECODE_WARPS_N * VALUES * 32 * 4 <= STAGE_WORDS * 4, "the exchange fits a stage's weights");
    static constexpr int SHARED_BYTES = DECODE_STAGES * STAGE_BYTES;  // DecodePlan.sharedBytes in Java
    static_assert(SHARED_BYTES <= 227 * 1024, "a block's shared memory fits an sm_90 multiprocessor");
    static constexpr int QUADS_PER_WARP = DECODE_STAGE_QUADS / DECODE_WARPS_K;
    static constexpr int CHUNKS = DECODE_BLOCK_N / 4;          // 16-byte chunks per word row of a stage
    static constexpr int CHUNKS_PER_THREAD = STAGE_ROWS * CHUNKS / DECODE_THREADS;
    static_assert(STAGE_ROWS * CHUNKS % DECODE_THREADS == 0, "every thread copies the same number of chunks");
};

#ifndef EXLLAMA_DECODE_PREFETCH
#define EXLLAMA_DECODE_PREFETCH 0
#endif

__device__ __forceinline__ void copy_async_16(void* shared_target, const void* global_source) {
    const unsigned target = static_cast<unsigned>(__cvta_generic_to_shared(shared_target));
#if EXLLAMA_DECODE_PREFETCH == 256
    asm volatile("cp.async.cg.shared.global.L2::256B [%0], [%1], 16;" ::"r"(target), "l"(global_source));
#elif EXLLAMA_DECODE_PREFETCH == 128
    asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16;" ::"r"(target), "l"(global_source));
#else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(target), "l"(global_source));
#endif
}

__device__ __forceinline__ void commit_async() {
    asm volatile("cp.async.commit_group;");
}

template <int PENDING>
__device__ __forceinline__ void wait_async() {
    asm volatile("cp.async.wait_group %0;" ::"n"(PENDING));
}

// The first unit of block b when T units are shared by B blocks, and the block that streams unit u.
__device__ __forceinline__ int first_unit(int block, int units, int blocks) {
    return (int)((long long)block * units / blocks);
}

__device__ __forceinline__ int owner_of(int unit, int units, int blocks) {
    return (int)(((long long)(unit + 1) * blocks - 1) / units);
}

// Programmatic dependent launch (sm_90): no-ops unless the launch asked for it.
__device__ __forceinline__ void allow_dependent_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

__device__ __forceinline__ void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ float4 fp16x4_to_float4(uint2 raw) {
    const float2 low = __half22float2(as_half2(raw.x));
    const float2 high = __half22float2(as_half2(raw.y));
    return make_float4(low.x, low.y, high.x, high.y);
}

__device__ __forceinline__ float4 add4(float4 a, float4 b) {
    return make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
}

__device__ __forceinline__ void store_fp16x4(__half* target, float4 values, float4 bias) {
    uint2 packed;
    packed.x = as_bits(__floats2half2_rn(values.x + bias.x, values.y + bias.y));
    packed.y = as_bits(__floats2half2_rn(values.z + bias.z, values.w + bias.w));
    *reinterpret_cast<uint2*>(target) = packed;
}

// x is [M <= 8 TT, ldx] with ldx % 8 == 0 and 16-byte aligned (the host gathers it otherwise). partials holds
// gridDim.x * 2 * M * DECODE_BLOCK_N floats.
template <int BITS, int TT>
__device__ __forceinline__ void decode(const __half* __restrict__ x, long long ldx, int m, int k, int n, const uint32_t* __restrict__ codes,
                                       const __half* __restrict__ scales, int group_size, const __half* __restrict__ bias, __half* __restrict__ out,
                                       float* __restrict__ partials) {
    using S = DecodeShape<BITS, TT>;
    constexpr int SQ = DECODE_STAGE_QUADS;
    // 4-bit codes at 16 tokens enter exact (less the zero point): one more FP16 instruction a pair instead of the
    // offset MMAs, 3-10 % faster there and up to 19 % slower at 8 tokens (H100,
    // docs/perf/raw/exllama-decode-offset-h100-2026-11-22.txt)
    constexpr bool EXACT = BITS == 4 && TT == 2;
    extern __shared__ __align__(16) unsigned char shared[];
    EXLLAMA_MARK(0);
    bool marked = false;

    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int wn = warp % DECODE_WARPS_N;
    const int wk = warp / DECODE_WARPS_N;
    const int g = lane / 4;
    const int t = lane % 4;
    const int quads = k / S::QUAD_K;
    const int quads_per_group = group_size / S::QUAD_K;
    const int units_per_column = (quads + SQ - 1) / SQ;
    const int units = ((n + DECODE_BLOCK_N - 1) / DECODE_BLOCK_N) * units_per_column;
    const int unit_begin = first_unit(blockIdx.x, units, gridDim.x);
    const int unit_end = first_unit(blockIdx.x + 1, units, gridDim.x);
    const int count = unit_end - unit_begin;
    const int tokens = min(m, S::TOKENS);
    const int first_column_block = unit_begin / units_per_column;

    // this thread's chunks of a stage: word row and 16-byte chunk, as a global offset and a swizzled shared one
    long long chunk_offset[S::CHUNKS_PER_THREAD];
    int chunk_target[S::CHUNKS_PER_THREAD];
    int chunk_row[S::CHUNKS_PER_THREAD];
    int chunk_column[S::CHUNKS_PER_THREAD];
#pragma unroll
    for (int j = 0; j < S::CHUNKS_PER_THREAD; ++j) {
        const int i = threadIdx.x + j * DECODE_THREADS;
        const int row = i / S::CHUNKS;
        const int chunk = i % S::CHUNKS;
        chunk_row[j] = row;
        chunk_column[j] = 4 * chunk;
        chunk_offset[j] = (long long)row * n + 4 * chunk;
        chunk_target[j] = row * DECODE_BLOCK_N + 4 * (chunk ^ ((row & 3) << 1));
    }

    // where the next unit to load and the next to compute are: (column block, stage of K), advanced without dividing
    int load_column_block = first_column_block;
    int load_stage = unit_begin - first_column_block * units_per_column;
    // the weights of the next unit into stage index % DECODE_STAGES; returns the unit's stage of K
    auto load_weights = [&](int index) {
        const int column_block = load_column_block;
        const int stage_of_column = load_stage;
        if (++load_stage == units_per_column) {
            load_stage = 0;
            ++load_column_block;
        }
        uint32_t* words = reinterpret_cast<uint32_t*>(shared + (index % DECODE_STAGES) * S::STAGE_BYTES);
        const int rows = 4 * min(SQ, quads - stage_of_column * SQ);
        const int n_block = column_block * DECODE_BLOCK_N;
        const uint32_t* first = codes + (size_t)stage_of_column * S::STAGE_ROWS * n + n_block;
#pragma unroll
        for (int j = 0; j < S::CHUNKS_PER_THREAD; ++j) {
            if (chunk_row[j] < rows && n_block + chunk_column[j] < n) {
                copy_async_16(words + chunk_target[j], first + chunk_offset[j]);
            }
        }
        return stage_of_column;
    };
    // this thread's 16-byte chunks of a stage's activation rows, found once: as a generic loop the copies cost
    // more instructions a stage than the 16-token kernel's conversions and MMAs of a quad
    constexpr int X_CHUNKS = S::STAGE_K / 8;
    constexpr int X_PER_THREAD = (S::TOKENS * X_CHUNKS + DECODE_THREADS - 1) / DECODE_THREADS;
    long long x_offset[X_PER_THREAD];
    int x_target[X_PER_THREAD];
    int x_chunk[X_PER_THREAD];
#pragma unroll
    for (int j = 0; j < X_PER_THREAD; ++j) {
        const int i = threadIdx.x + j * DECODE_THREADS;
        const int token = i / X_CHUNKS;
        x_chunk[j] = token < tokens ? i % X_CHUNKS : X_CHUNKS;  // X_CHUNKS: no copy
        x_offset[j] = token * ldx + 8 * (i % X_CHUNKS);
        x_target[j] = token * S::X_STRIDE + 8 * (i % X_CHUNKS);
    }
    auto load_activations = [&](int index, int stage_of_column) {
        __half* xs = reinterpret_cast<__half*>(shared + (index % DECODE_STAGES) * S::STAGE_BYTES + S::X_OFFSET);
        const int x_chunks = min(SQ, quads - stage_of_column * SQ) * S::QUAD_K / 8;
        const __half* x_first = x + (long long)stage_of_column * S::STAGE_K;
#pragma unroll
        for (int j = 0; j < X_PER_THREAD; ++j) {
            if (x_chunk[j] < x_chunks) {
                copy_async_16(xs + x_target[j], x_first + x_offset[j]);
            }
        }
    };

    // sums[tt][j]: tile j of token tile tt, scaled; group[tt][j]: the current group's unscaled sums of biased codes;
    // offset[tt]: minus the group's bias plus zero point times the activations, the same for every column (c0, c2:
    // token 2t; c1, c3: token 2t + 1)
    float sums[TT][2][4];
    float group[TT][2][4];
    float offset[TT][4];
#pragma unroll
    for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
        for (int c = 0; c < 4; ++c) {
            sums[tt][0][c] = 0.0f;
            sums[tt][1][c] = 0.0f;
            group[tt][0][c] = 0.0f;
            group[tt][1][c] = 0.0f;
            offset[tt][c] = 0.0f;
        }
    }
    int current_group = -1;
    int group_end = 0;  // the first quad past the current group
    uint2 group_scales = make_uint2(0, 0);
    auto close_group = [&]() {
        const float4 scale = fp16x4_to_float4(group_scales);
        const float s[4] = {scale.x, scale.y, scale.z, scale.w};
#pragma unroll
        for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
            for (int j = 0; j < 2; ++j) {
#pragma unroll
                for (int c = 0; c < 4; ++c) {
                    // c0, c1: A row g, column 4g + 2j; c2, c3: row g + 8, column 4g + 2j + 1
                    // exact codes have no offset (adding 0.0f is not a no-op the compiler may drop: -0 + 0 = +0)
                    sums[tt][j][c] = fmaf(EXACT ? group[tt][j][c] : group[tt][j][c] + offset[tt][c], s[2 * j + c / 2], sums[tt][j][c]);
                    group[tt][j][c] = 0.0f;
                }
            }
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                offset[tt][c] = 0.0f;
            }
        }
    };

    // Sums a finished column block over the K warps (in wk order, into warp wk = 0), then writes it: directly when
    // this block streamed all of it, else into the partials.
    auto finish_column_block = [&](int column_block, bool whole, unsigned char* stage_base) {
        if (current_group >= 0) {
            close_group();
            current_group = -1;
        }
        float* exchange = reinterpret_cast<float*>(stage_base);
        if constexpr (DECODE_WARPS_K > 1) {
            __syncthreads();  // every warp is done with the stage's weights
            if (wk > 0) {
#pragma unroll
                for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
                    for (int v = 0; v < 8; ++v) {
                        exchange[(((wk - 1) * DECODE_WARPS_N + wn) * S::VALUES + tt * 8 + v) * 32 + lane] = sums[tt][v / 4][v % 4];
                        sums[tt][v / 4][v % 4] = 0.0f;
                    }
                }
            }
            __syncthreads();
            if (wk == 0) {
                for (int other = 1; other < DECODE_WARPS_K; ++other) {
#pragma unroll
                    for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
                        for (int v = 0; v < 8; ++v) {
                            sums[tt][v / 4][v % 4] += exchange[(((other - 1) * DECODE_WARPS_N + wn) * S::VALUES + tt * 8 + v) * 32 + lane];
                        }
                    }
                }
            }
        }
        const int n_block = column_block * DECODE_BLOCK_N;
        const int lane_column = n_block + wn * 32 + 4 * g;
        const int slot = column_block == first_column_block ? 0 : 1;
        float* own_partials = partials + (size_t)(2 * blockIdx.x + slot) * m * DECODE_BLOCK_N;
        // lane (g, t) of a wk = 0 warp holds tokens 8 tt + 2t + e at columns lane_column + 0..3: tile 0's c(e),
        // c(e + 2), then tile 1's
        if (wk == 0 && lane_column < n) {
            const float4 bias_values = whole && bias != nullptr ? fp16x4_to_float4(__ldg(reinterpret_cast<const uint2*>(bias + lane_column)))
                                                                : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
            for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    const int token = 8 * tt + 2 * t + e;
                    if (token < m) {
                        const float4 values = make_float4(sums[tt][0][e], sums[tt][0][e + 2], sums[tt][1][e], sums[tt][1][e + 2]);
                        if (whole) {
                            store_fp16x4(out + (size_t)token * n + lane_column, values, bias_values);
                        }
                        else {
                            *reinterpret_cast<float4*>(own_partials + (size_t)token * DECODE_BLOCK_N + lane_column - n_block) = values;
                        }
                    }
                }
            }
        }
#pragma unroll
        for (int tt = 0; tt < TT; ++tt) {
#pragma unroll
            for (int v = 0; v < 8; ++v) {
                sums[tt][v / 4][v % 4] = 0.0f;
            }
        }
        if (!whole && !marked) {
            EXLLAMA_MARK(2);
            marked = true;
        }
    };

    // the B fragments of tokens past M read these rows, which no copy writes
    constexpr int ROW_VECTORS = S::X_STRIDE / 8;
    for (int i = threadIdx.x; i < DECODE_STAGES * (S::TOKENS - tokens) * ROW_VECTORS; i += DECODE_THREADS) {
        const int row = i / ROW_VECTORS;
        __half* xs = reinterpret_cast<__half*>(shared + (row % DECODE_STAGES) * S::STAGE_BYTES + S::X_OFFSET);
        reinterpret_cast<uint4*>(xs + (tokens + row / DECODE_STAGES) * S::X_STRIDE)[i % ROW_VECTORS] = make_uint4(0, 0, 0, 0);
    }
    // Consecutive calls overlap (programmatic dependent launch): the next grid may start once every block of this one
    // has; its first weights do not depend on the work before it in the stream, the activations, the output and the
    // workspace do, so it prefetches the former while the previous grid finishes and waits for it before the latter.
    allow_dependent_grid();
    int prologue_stages[DECODE_STAGES - 1];
#pragma unroll
    for (int stage = 0; stage < DECODE_STAGES - 1; ++stage) {
        if (stage < count) {
            prologue_stages[stage] = load_weights(stage);
        }
    }
    wait_for_previous_grid();
#pragma unroll
    for (int stage = 0; stage < DECODE_STAGES - 1; ++stage) {
        if (stage < count) {
            load_activations(stage, prologue_stages[stage]);
        }
        commit_async();  // group 0 holds the first weights of every prologue stage: waiting for it is conservative
    }
    int compute_column_block = first_column_block;
    int compute_stage = unit_begin - first_column_block * units_per_column;
    const int lane_offset = wn * 32 + 4 * g;
    for (int index = 0; index < count; ++index) {
        wait_async<DECODE_STAGES - 2>();
        __syncthreads();
        if (index == 0) {
            EXLLAMA_MARK(1);
        }
        if (index == count - 1) {
            EXLLAMA_MARK(5);
        }
        if (index + DECODE_STAGES - 1 < count) {
            load_activations(index + DECODE_STAGES - 1, load_weights(index + DECODE_STAGES - 1));
        }
        commit_async();

        const int column_block = compute_column_block;
        const int stage_of_column = compute_stage;
        if (++compute_stage == units_per_column) {
            compute_stage = 0;
            ++compute_column_block;
        }
        unsigned char* base = shared + (index % DECODE_STAGES) * S::STAGE_BYTES;
        const uint32_t* words = reinterpret_cast<const uint32_t*>(base);
        const __half* xs = reinterpret_cast<const __half*>(base + S::X_OFFSET);
        const int lane_column = column_block * DECODE_BLOCK_N + lane_offset;
        auto scales_of = [&](int group_index) {
            return lane_column < n ? __ldg(reinterpret_cast<const uint2*>(scales + (size_t)group_index * n + lane_column)) : make_uint2(0, 0);
        };
        const int first_quad = stage_of_column * SQ + wk * S::QUADS_PER_WARP;
        const int quads_here = min(S::QUADS_PER_WARP, quads - first_quad);
        // a warp's quads only move forward within a column block: its group follows without dividing
        if ((stage_of_column == 0 || index == 0) && quads_here > 0) {
            if (current_group >= 0) {
                close_group();
            }
            current_group = first_quad / quads_per_group;
            group_end = (current_group + 1) * quads_per_group;
            group_scales = scales_of(current_group);
        }
        const __half* x_lane = xs + g * S::X_STRIDE + wk * S::QUADS_PER_WARP * S::QUAD_K + (BITS == 4 ? 8 : 4) * t;
        auto advance_group = [&](int quad) {
            close_group();
            // the other warps' quads since this warp's last may hold whole groups
            do {
                ++current_group;
                group_end += quads_per_group;
            } while (quad >= group_end);
            group_scales = scales_of(current_group);
        };
        // the warp's quads in one group (groups of whole warp slices): one check per stage instead of one per quad
        const bool one_group = quads_per_group % S::QUADS_PER_WARP == 0 && quads_here == S::QUADS_PER_WARP;
        if (one_group && first_quad >= group_end) {
            advance_group(first_quad);
        }
#pragma unroll
        for (int u = 0; u < S::QUADS_PER_WARP; ++u) {
            if (!one_group) {
                if (u >= quads_here) {
                    break;
                }
                if (first_quad + u >= group_end) {
                    advance_group(first_quad + u);
                }
            }
            const int local = wk * S::QUADS_PER_WARP + u;
            const uint4 packed = *reinterpret_cast<const uint4*>(words + (4 * local + t) * DECODE_BLOCK_N + 4 * ((wn * 8 + g) ^ (t << 1)));
            const uint32_t word[4] = {packed.x, packed.y, packed.z, packed.w};
            if constexpr (BITS == 4) {
                uint32_t a[4][4];
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    if constexpr (EXACT) {
                        codes_4bit(word[j], a[j]);
                    }
                    else {
                        biased_codes_4bit(word[j], a[j]);
                    }
                }
#pragma unroll
                for (int tt = 0; tt < TT; ++tt) {
                    // tokens past M read as zero (their rows were cleared before the pipeline started)
                    const uint4 b = *reinterpret_cast<const uint4*>(x_lane + 8 * tt * S::X_STRIDE + u * S::QUAD_K);
#pragma unroll
                    for (int j = 0; j < 2; ++j) {
                        mma_16816(group[tt][j], a[2 * j][0], a[2 * j + 1][0], a[2 * j][1], a[2 * j + 1][1], b.x, b.y);
                        mma_16816(group[tt][j], a[2 * j][2], a[2 * j + 1][2], a[2 * j][3], a[2 * j + 1][3], b.z, b.w);
                    }
                    if constexpr (!EXACT) {
                        // pairs 0 and 2 (b.x, b.z) carry bias 1024 + zero point 8, pairs 1 and 3 (b.y, b.w) 64 + 8
                        mma_16816(offset[tt], MINUS_1032, MINUS_1032, MINUS_72, MINUS_72, b.x, b.y);
                        mma_16816(offset[tt], MINUS_1032, MINUS_1032, MINUS_72, MINUS_72, b.z, b.w);
                    }
                }
            }
            else {
                uint32_t a[4][2];
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    biased_codes_8bit(word[j], a[j]);
                }
#pragma unroll
                for (int tt = 0; tt < TT; ++tt) {
                    const uint2 b = *reinterpret_cast<const uint2*>(x_lane + 8 * tt * S::X_STRIDE + u * S::QUAD_K);
#pragma unroll
                    for (int j = 0; j < 2; ++j) {
                        mma_16816(group[tt][j], a[2 * j][0], a[2 * j + 1][0], a[2 * j][1], a[2 * j + 1][1], b.x, b.y);
                    }
                    // every pair carries bias 1024 + zero point 128
                    mma_16816(offset[tt], MINUS_1152, MINUS_1152, MINUS_1152, MINUS_1152, b.x, b.y);
                }
            }
        }
        if (stage_of_column == units_per_column - 1 || index == count - 1) {
            const bool whole = stage_of_column == units_per_column - 1 && column_block * units_per_column >= unit_begin;
            finish_column_block(column_block, whole, base);
        }
    }
    wait_async<0>();
    EXLLAMA_MARK(4);
}



// ---- the tiled kernel: M > 16 on sm_90a ----
//
// Hopper's warpgroup MMA (wgmma) at the tensor-core rate that cuBLAS reaches, with the weights dequantized on the way:
// they enter wgmma.m64nNk16 as A from registers (64 columns of the layer by 16 K per warpgroup), the activations as B
// from shared memory (16 K by up to 256 tokens per instruction). A block is TILED_WARPGROUPS consumer warpgroups side
// by side along N (64 columns each) and one producer warp, over BM tokens. The producer warp streams stages of 64 K
// into a ring of shared-memory stages: the activation tile through a 2-D tensor map (TMA, 128-byte swizzle: wgmma's
// K-major layout, tokens past M filled with zeros), the 8 word rows of the block's columns through a second tensor map
// and the stage's row of scales as a bulk copy, all completing on the stage's "full" mbarrier with the bytes expected.
// The consumers wait on it, dequantize, issue the stage's MMAs and, once the MMAs that read a stage completed, arrive
// on its "empty" mbarrier, which the producer waits on before refilling it. No block-wide barrier in the loop: the
// producer runs up to a ring ahead, the warpgroups drift freely.
//
// Lane (g, t) of warp w builds its A fragment of K step s from word rows 2s and 2s + 1 of columns 16w + 2g and
// 16w + 2g + 1 (A rows g and g + 8), one 8-byte shared-memory load a row: with four 4-byte loads (columns g and g + 8)
// the kernel was 3-7 % slower at 256 tokens and 5-10 % at 128 (H100, 2026-11-22), the consumers' loads sharing the
// shared-memory pipe with TMA and wgmma's reads of the activations. The shuffle puts rows 2t and 2t + 1 of a word
// in nibbles t and t + 4, so (word >> 4t) & 0x000F000F is the lane's pair, exact after the magic-number conversion,
// then multiplied by the column's scale and rounded once (the weights of the dequantize kernel). Groups are a multiple
// of the 64-K stage, so one scale row serves a stage.
//
// The A registers of two K steps alternate, and a warpgroup waits for a step's MMA only after issuing the next
// (wgmma.wait_group 1), so dequantizing overlaps the tensor cores. Tokens past M read as zero and are not
// written.

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define EXLLAMA_HAS_WGMMA 1
#endif

constexpr int TILED_WARPGROUPS = 2;
constexpr int TILED_CONSUMERS = 128 * TILED_WARPGROUPS;
constexpr int TILED_THREADS = TILED_CONSUMERS + 32;  // the consumers, then the producer warp
constexpr int TILED_BLOCK_N = 64 * TILED_WARPGROUPS;
constexpr int TILED_STAGE_K = 64;  // one 128-byte swizzle row of activations per token

template <int BM>
struct TiledShape {
    static_assert(BM == 64 || BM == 128 || BM == 256, "a block's tokens are one wgmma N extent");
    static constexpr int X_BYTES = BM * TILED_STAGE_K * 2;
    static constexpr int W_BYTES = TILED_STAGE_K / 8 * TILED_BLOCK_N * 4;
    static constexpr int S_BYTES = TILED_BLOCK_N * 2;
    static constexpr int STAGE_BYTES = (X_BYTES + W_BYTES + S_BYTES + 1023) / 1024 * 1024;  // swizzle atoms stay 1024-aligned
    // 64 tokens: a ring small enough for two blocks per SM. 128 tokens: one block with 8 stages, about 10 % faster at
    // M = 128 than two blocks of 4 (whose register cap made ptxas serialize the MMAs, C7512) once the producer copied
    // the words through a tensor map (H100, 2026-11-22; two blocks had been faster with the ten-lane producer)
    static constexpr int STAGES = BM == 256 ? 6 : BM == 128 ? 8 : 6;
    static constexpr int BLOCKS_PER_SM = BM == 64 ? 2 : 1;  // TiledPlan.residentBlocks in Java
    static constexpr int BARRIERS = STAGES * STAGE_BYTES;  // full[i] at + 8 i, empty[i] at + 8 (STAGES + i)
    static constexpr int SHARED_BYTES = STAGES * STAGE_BYTES + 16 * STAGES + 1024;  // TiledPlan.sharedBytes in Java
    static_assert(BLOCKS_PER_SM * (SHARED_BYTES + 1024) <= 228 * 1024, "the blocks' shared memory fits an sm_90 multiprocessor");
    static constexpr int VALUES = BM / 2;  // float32 sums per lane
};

#ifdef EXLLAMA_HAS_WGMMA
__device__ __forceinline__ void barrier_init(unsigned barrier, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(barrier), "r"(count) : "memory");
}

// Returns once the barrier's phase of the given parity completed.
__device__ __forceinline__ void barrier_wait(unsigned barrier, unsigned parity) {
    asm volatile(
        "{\n.reg .pred done;\nretry:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra retry;\n}\n" ::"r"(barrier),
        "r"(parity)
        : "memory");
}

__device__ __forceinline__ void barrier_arrive(unsigned barrier) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(barrier) : "memory");
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}

__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}

template <int PENDING>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(PENDING) : "memory");
}

// orders the stage TMA wrote (async proxy) before the words are read and wgmma reads it
__device__ __forceinline__ void fence_async_shared() {
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

// B of wgmma: a K-major tile with 128-byte swizzle, 8-token groups 1024 bytes apart, at a shared-space address
__device__ __forceinline__ uint64_t swizzled_descriptor(unsigned address) {
    return ((uint64_t)(address & 0x3FFFF) >> 4) | (1ull << 16) | ((1024ull >> 4) << 32) | (1ull << 62);
}

__device__ __forceinline__ void wgmma_n64(float (&d)[32], const uint32_t (&a)[4], uint64_t b, int accumulate) {
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
        "}, {%32, %33, %34, %35}, %36, accumulate, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma_n128(float (&d)[64], const uint32_t (&a)[4], uint64_t b, int accumulate) {
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
        "}, {%64, %65, %66, %67}, %68, accumulate, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma_n256(float (&d)[128], const uint32_t (&a)[4], uint64_t b, int accumulate) {
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %133, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
        "}, {%128, %129, %130, %131}, %132, accumulate, 1, 1, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(accumulate));
}

// Keeps the compiler from reading the sums before the wait that completes them.
template <int N>
__device__ __forceinline__ void fence_sums(float (&d)[N]) {
#pragma unroll
    for (int i = 0; i < N; ++i) {
        asm volatile("" : "+f"(d[i])::"memory");
    }
}

__device__ __forceinline__ void barrier_expect(unsigned barrier, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(barrier), "r"(bytes) : "memory");
}

__device__ __forceinline__ void bulk_copy(unsigned target, const void* source, unsigned bytes, unsigned barrier) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(target), "l"(source), "r"(bytes),
                 "r"(barrier)
                 : "memory");
}

__device__ __forceinline__ void tensor_copy(unsigned target, const CUtensorMap* map, int inner, int outer, unsigned barrier) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(target),
                 "l"(reinterpret_cast<uint64_t>(map)), "r"(inner), "r"(outer), "r"(barrier)
                 : "memory");
}

// The producer: one lane announces a stage's bytes on its full barrier and issues its three copies, the 8 word rows of
// the block's columns through their tensor map and the scale row as a bulk copy first (from DRAM; the other order was
// up to 10 % slower at M = 1024 on 8192 x 28672), then the activation tile through its tensor map, which swizzles it;
// the bytes arrive on the full barrier. Ten lanes issuing a bulk copy a word row each kept the producer issuing for
// most of a stage's MMA time (ptxas serializes the copies through the uniform registers), and the consumers waited on
// full barriers for 15-20 % of their time (ncu, H100, 2026-11-22).
template <int BM>
__device__ __forceinline__ void tiled_produce(const CUtensorMap* x_map, const CUtensorMap* w_map, int n, int token0, int column0, int first_stage,
                                              int stages, const __half* scales, int group_size, unsigned ring, unsigned barriers) {
    using S = TiledShape<BM>;
    if (threadIdx.x % 32 != 0) {
        return;
    }
    const int stages_per_group = group_size / TILED_STAGE_K;
    int stage_in_group = first_stage % stages_per_group;
    const __half* s_source = scales + (size_t)(first_stage / stages_per_group) * n + column0;
    int slot = 0;
    unsigned parity = 0;
    for (int s = 0; s < stages; ++s) {
        if (s >= S::STAGES) {
            barrier_wait(barriers + 8 * (S::STAGES + slot), parity ^ 1);
        }
        const unsigned stage = ring + slot * S::STAGE_BYTES;
        const unsigned full = barriers + 8 * slot;
        barrier_expect(full, S::X_BYTES + S::W_BYTES + S::S_BYTES);
        tensor_copy(stage + S::X_BYTES, w_map, column0, (first_stage + s) * (TILED_STAGE_K / 8), full);
        bulk_copy(stage + S::X_BYTES + S::W_BYTES, s_source, S::S_BYTES, full);
        tensor_copy(stage, x_map, (first_stage + s) * TILED_STAGE_K, token0, full);
        if (++stage_in_group == stages_per_group) {
            stage_in_group = 0;
            s_source += n;
        }
        if (++slot == S::STAGES) {
            slot = 0;
            parity ^= 1;
        }
    }
}

// Lane (g, t)'s words of K step s of a stage: rows 2s and 2s + 1 of its columns 2g and 2g + 1 of the warp's 16, one
// 8-byte load a row. Words 0 and 1 are row 2s, words 2 and 3 row 2s + 1.
__device__ __forceinline__ void tiled_load_words(const unsigned char* stage_words, int s, int column, uint32_t (&words)[4]) {
    const uint2* rows = reinterpret_cast<const uint2*>(reinterpret_cast<const uint32_t*>(stage_words) + 2 * s * TILED_BLOCK_N + column);
    const uint2 even = rows[0];
    const uint2 odd = rows[TILED_BLOCK_N / 2];
    words[0] = even.x;
    words[1] = even.y;
    words[2] = odd.x;
    words[3] = odd.y;
}

// The lane's A fragment of one K step: (code - 8) * scale, rounded once. A rows g and g + 8 are the lane's columns
// 2g (words 0 and 2, scale_even) and 2g + 1 (words 1 and 3, scale_odd).
__device__ __forceinline__ void tiled_dequantize(const uint32_t (&words)[4], int t, __half2 scale_even, __half2 scale_odd, uint32_t (&a)[4]) {
#pragma unroll
    for (int row = 0; row < 2; ++row) {
        const __half2 even = __hsub2(as_half2(lop3_and_or(words[2 * row] >> (4 * t), 0x000F000Fu, MAGIC)), as_half2(OFFSET_4BIT));
        const __half2 odd = __hsub2(as_half2(lop3_and_or(words[2 * row + 1] >> (4 * t), 0x000F000Fu, MAGIC)), as_half2(OFFSET_4BIT));
        a[2 * row] = as_bits(__hmul2(even, scale_even));
        a[2 * row + 1] = as_bits(__hmul2(odd, scale_odd));
    }
}

template <int BM>
__device__ __forceinline__ void tiled_mma(float (&sums)[TiledShape<BM>::VALUES], const uint32_t (&a)[4], uint64_t b, int accumulate) {
    if constexpr (BM == 64) {
        wgmma_n64(sums, a, b, accumulate);
    }
    else if constexpr (BM == 128) {
        wgmma_n128(sums, a, b, accumulate);
    }
    else {
        wgmma_n256(sums, a, b, accumulate);
    }
}

// A consumer warpgroup: K step after K step, the lane dequantizes its A fragment while the step before multiplies
// (one step in flight, so two A fragments suffice), having loaded its words before waiting. Once the MMAs of a stage's
// last step completed, every consumer thread arrives on its empty barrier, which orders the thread's own reads of the
// stage before the producer refills it. The first MMA ignores the sums (scale-d 0).
template <int BM>
__device__ __forceinline__ void tiled_consume(const unsigned char* ring, unsigned ring_address, unsigned barriers, int stages,
                                              float (&sums)[TiledShape<BM>::VALUES]) {
    using S = TiledShape<BM>;
    const int lane = threadIdx.x % 32;
    const int t = lane % 4;
    const int column = threadIdx.x / 128 * 64 + (threadIdx.x / 32 % 4) * 16 + 2 * (lane / 4);
    uint32_t a[2][4];
    uint32_t words[4];
    int slot = 0;
    unsigned parity = 0;
    int previous = 0;
    barrier_wait(barriers, 0);
    fence_async_shared();
    tiled_load_words(ring + S::X_BYTES, 0, column, words);
    for (int stage = 0; stage < stages; ++stage) {
        const unsigned char* current = ring + slot * S::STAGE_BYTES;
        const __half2 scales = reinterpret_cast<const __half2*>(current + S::X_BYTES + S::W_BYTES)[column / 2];
        const __half2 scale_even = __low2half2(scales);
        const __half2 scale_odd = __high2half2(scales);
        const uint64_t descriptor = swizzled_descriptor(ring_address + slot * S::STAGE_BYTES);
        int next = slot + 1;
        unsigned next_parity = parity;
        if (next == S::STAGES) {
            next = 0;
            next_parity ^= 1;
        }
#pragma unroll
        for (int s = 0; s < 4; ++s) {
            tiled_dequantize(words, t, scale_even, scale_odd, a[s % 2]);
            fence_sums(sums);
            wgmma_fence();
            // K step s starts 32 bytes into the swizzled rows: the address field counts 16-byte units
            tiled_mma<BM>(sums, a[s % 2], descriptor + 2 * s, stage > 0 || s > 0);
            wgmma_commit();
            fence_sums(sums);
            if (s < 3) {
                tiled_load_words(current + S::X_BYTES, s + 1, column, words);
            }
            else if (stage + 1 < stages) {
                barrier_wait(barriers + 8 * next, next_parity);
                fence_async_shared();
                tiled_load_words(ring + next * S::STAGE_BYTES + S::X_BYTES, 0, column, words);
            }
            wgmma_wait<1>();
            if (s == 0 && stage > 0) {
                barrier_arrive(barriers + 8 * (S::STAGES + previous));  // every consumer thread, after its own reads
            }
        }
        previous = slot;
        slot = next;
        parity = next_parity;
    }
    wgmma_wait<0>();
    fence_sums(sums);
}

#endif

// x_map: the activation [M, K] (ldx % 8 == 0, 16-byte aligned; the host gathers it otherwise) as a tensor map with a
// box of 64 K by BM tokens and 128-byte swizzle; w_map: the codes [K / 8, N] as 32-bit words, a box of TILED_BLOCK_N
// words by 8 rows, no swizzle; K % 64 == 0, N % TILED_BLOCK_N == 0, G % 64 == 0. A tile is BM tokens by a column block;
// tiles are numbered token tiles fastest, so that the blocks sharing a column block's weights run together and read
// them once from DRAM. The grid is one-dimensional: first a block per tile of the first whole_columns column blocks,
// over all of K, writing out; then the tail, the remaining column blocks' tiles split along K, each split of
// stages_per_split stages a block (all tail tiles' first split, then their second, ...), which writes its float32 sums
// to partials[split, M, N - whole_columns * TILED_BLOCK_N] for exllama_reduce to add in split order with the bias.
// Whole waves of whole tiles then a tail spread over the multiprocessors leave fewer idle than whole tiles alone,
// without every tile paying for a split.
template <int BM>
__device__ __forceinline__ void tiled(const CUtensorMap* x_map, const CUtensorMap* w_map, int m, int k, int n,
                                      const __half* __restrict__ scales, int group_size, const __half* __restrict__ bias, __half* __restrict__ out,
                                      int whole_columns, int stages_per_split, float* __restrict__ partials) {
#ifdef EXLLAMA_HAS_WGMMA
    using S = TiledShape<BM>;
    extern __shared__ unsigned char tiled_shared[];
    // the swizzle atoms must be 1024-aligned in the shared window; indexing the array keeps loads in shared space
    const unsigned raw_address = static_cast<unsigned>(__cvta_generic_to_shared(tiled_shared));
    const unsigned padding = (1024 - (raw_address & 1023)) & 1023;
    const unsigned char* ring = tiled_shared + padding;
    const unsigned ring_address = raw_address + padding;
    const unsigned barriers = ring_address + S::BARRIERS;
    const int token_tiles = (m + BM - 1) / BM;
    const int whole_tiles = whole_columns * token_tiles;
    const bool split = (int)blockIdx.x >= whole_tiles;
    int tile = blockIdx.x;
    int first_stage = 0;
    int stages = k / TILED_STAGE_K;
    float* split_sums = nullptr;
    if (split) {
        const int piece = blockIdx.x - whole_tiles;
        const int tail_tiles = (n / TILED_BLOCK_N - whole_columns) * token_tiles;
        tile = whole_tiles + piece % tail_tiles;
        first_stage = piece / tail_tiles * stages_per_split;
        stages = min(stages - first_stage, stages_per_split);
        if (partials != nullptr) {
            split_sums = partials + (size_t)(piece / tail_tiles) * m * (n - whole_columns * TILED_BLOCK_N);
        }
    }
    const int column0 = tile / token_tiles * TILED_BLOCK_N;
    const int token0 = tile % token_tiles * BM;

    if (threadIdx.x == 0) {
        for (int i = 0; i < S::STAGES; ++i) {
            barrier_init(barriers + 8 * i, 1);
            barrier_init(barriers + 8 * (S::STAGES + i), TILED_CONSUMERS);
        }
    }
    __syncthreads();
    if (threadIdx.x >= TILED_CONSUMERS) {
        tiled_produce<BM>(x_map, w_map, n, token0, column0, first_stage, stages, scales, group_size, ring_address, barriers);
        return;
    }
    float sums[S::VALUES];  // the first MMA ignores them (scale-d 0): zeroing them would make ptxas serialize the MMAs
    tiled_consume<BM>(ring, ring_address, barriers, stages, sums);

    // sums[4j + e]: column 16w + 2g (+1 for e >= 2) of the warpgroup's 64, token 8j + 2t (+1 for odd e)
    const int lane = threadIdx.x % 32;
    const int column = column0 + threadIdx.x / 128 * 64 + (threadIdx.x / 32 % 4) * 16 + 2 * (lane / 4);
    if (split_sums != nullptr) {
        const int width = n - whole_columns * TILED_BLOCK_N;
        const int local = column - whole_columns * TILED_BLOCK_N;
#pragma unroll
        for (int j = 0; j < BM / 8; ++j) {
#pragma unroll
            for (int odd = 0; odd < 2; ++odd) {
                const int token = token0 + 8 * j + 2 * (lane % 4) + odd;
                if (token < m) {
                    *reinterpret_cast<float2*>(split_sums + (size_t)token * width + local) = make_float2(sums[4 * j + odd], sums[4 * j + 2 + odd]);
                }
            }
        }
        return;
    }
    const float2 bias_pair = bias == nullptr ? make_float2(0.0f, 0.0f) : __half22float2(reinterpret_cast<const __half2*>(bias)[column / 2]);
#pragma unroll
    for (int j = 0; j < BM / 8; ++j) {
#pragma unroll
        for (int odd = 0; odd < 2; ++odd) {
            const int token = token0 + 8 * j + 2 * (lane % 4) + odd;
            if (token < m) {
                reinterpret_cast<__half2*>(out + (size_t)token * n)[column / 2] =
                        __floats2half2_rn(sums[4 * j + odd] + bias_pair.x, sums[4 * j + 2 + odd] + bias_pair.y);
            }
        }
    }
#else
    __trap();  // the plugin launches it only from the sm_90a image
#endif
}

}  // namespace

#define EXLLAMA_FUSED(NAME, BITS, MT)                                                                                                       \
    extern "C" __global__ void __launch_bounds__(THREADS, 2)                                                                              \
        NAME(const __half* x, long long ldx, int m, int k, int n, const uint32_t* codes, const __half* scales, int group_size, const int* perm, \
             const __half* bias, __half* out, float* partials, int quads_per_split, int x_vector) {                                        \
        fused<BITS, MT>(x, ldx, m, k, n, codes, scales, group_size, perm, bias, out, partials, quads_per_split, x_vector);                   \
    }

EXLLAMA_FUSED(exllama_fused_w4_mt1, 4, 1)
EXLLAMA_FUSED(exllama_fused_w4_mt2, 4, 2)
EXLLAMA_FUSED(exllama_fused_w4_mt4, 4, 4)
EXLLAMA_FUSED(exllama_fused_w8_mt1, 8, 1)
EXLLAMA_FUSED(exllama_fused_w8_mt2, 8, 2)
EXLLAMA_FUSED(exllama_fused_w8_mt4, 8, 4)

// out[m, c..c+8) = sum over splits, in split order, of the partials plus the bias, for the columns c in [column0, N)
// that were split (partials[s, m, c - column0] of [splits, M, N - column0]): one thread per 8 columns.
extern "C" __global__ void exllama_reduce(const float* partials, int splits, int m, int n, int column0, const __half* bias, __half* out) {
    const int width = n - column0;
    const size_t vectors = (size_t)m * width / 8;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= vectors) {
        return;
    }
    const size_t local = 8 * i;
    const int column = column0 + (int)(local % width);
    const size_t element = local / width * n + column;
    float sum[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) {
        sum[e] = 0.0f;
    }
    for (int s = 0; s < splits; ++s) {
        const float4* source = reinterpret_cast<const float4*>(partials + (size_t)s * m * width + local);
        const float4 a = source[0];
        const float4 b = source[1];
        sum[0] += a.x; sum[1] += a.y; sum[2] += a.z; sum[3] += a.w;
        sum[4] += b.x; sum[5] += b.y; sum[6] += b.z; sum[7] += b.w;
    }
    if (bias != nullptr) {
        const uint4 raw = *reinterpret_cast<const uint4*>(bias + column);
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const float2 pair = __half22float2(as_half2(words[e]));
            sum[2 * e] += pair.x;
            sum[2 * e + 1] += pair.y;
        }
    }
    uint4 packed;
    packed.x = as_bits(__floats2half2_rn(sum[0], sum[1]));
    packed.y = as_bits(__floats2half2_rn(sum[2], sum[3]));
    packed.z = as_bits(__floats2half2_rn(sum[4], sum[5]));
    packed.w = as_bits(__floats2half2_rn(sum[6], sum[7]));
    *reinterpret_cast<uint4*>(out + element) = packed;
}

// Grid (ceil(columns / 4 / blockDim.x), min(K / pf, 65535)): W[K, columns] for columns [n0, n0 + columns) of the layer.
extern "C" __global__ void exllama_dequantize_w4(const uint32_t* codes, const __half* scales, int group_size, const int* perm, int k, int n, int n0,
                                                 int columns, __half* w) {
    dequantize<4>(codes, scales, group_size, perm, k, n, n0, columns, w);
}

extern "C" __global__ void exllama_dequantize_w8(const uint32_t* codes, const __half* scales, int group_size, const int* perm, int k, int n, int n0,
                                                 int columns, __half* w) {
    dequantize<8>(codes, scales, group_size, perm, k, n, n0, columns, w);
}

// out[m, n] += bias[n] for a contiguous fp16 out[M, N]: one thread per 8 columns.
extern "C" __global__ void exllama_add_bias(__half* out, int m, int n, const __half* bias) {
    const size_t vectors = (size_t)m * n / 8;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= vectors) {
        return;
    }
    const size_t element = 8 * i;
    const int column = (int)(element % n);
    uint4* target = reinterpret_cast<uint4*>(out + element);
    uint4 values = *target;
    const uint4 add = *reinterpret_cast<const uint4*>(bias + column);
    values.x = as_bits(__hadd2(as_half2(values.x), as_half2(add.x)));
    values.y = as_bits(__hadd2(as_half2(values.y), as_half2(add.y)));
    values.z = as_bits(__hadd2(as_half2(values.z), as_half2(add.z)));
    values.w = as_bits(__hadd2(as_half2(values.w), as_half2(add.w)));
    *target = values;
}

#define EXLLAMA_DECODE(NAME, BITS, TT)                                                                                                        \
    extern "C" __global__ void __launch_bounds__(DECODE_THREADS, 2)                                                                          \
        NAME(const __half* x, long long ldx, int m, int k, int n, const uint32_t* codes, const __half* scales, int group_size, const __half* bias, \
             __half* out, float* partials) {                                                                                                  \
        decode<BITS, TT>(x, ldx, m, k, n, codes, scales, group_size, bias, out, partials);                                                   \
    }

// M <= 8 and M <= 16; dynamic shared memory DecodeShape<BITS, TT>::SHARED_BYTES
EXLLAMA_DECODE(exllama_decode_w4_tt1, 4, 1)
EXLLAMA_DECODE(exllama_decode_w4_tt2, 4, 2)
EXLLAMA_DECODE(exllama_decode_w8_tt1, 8, 1)
EXLLAMA_DECODE(exllama_decode_w8_tt2, 8, 2)

// The column blocks a decode call of decode_blocks blocks split between blocks: out[r, c] = the owners' partial sums
// at (r, c), added in block order, + bias[c]. Grid (column blocks, ceil(M * DECODE_BLOCK_N / 4 / blockDim.x)); one
// thread per 4 columns of a row. Column blocks one block streamed whole were written by the decode kernel.
constexpr int DECODE_REDUCE_THREADS = 128;

extern "C" __global__ void __launch_bounds__(DECODE_REDUCE_THREADS)
    exllama_decode_reduce(const float* __restrict__ partials, int m, int n, int units_per_column, int decode_blocks, const __half* __restrict__ bias,
                          __half* __restrict__ out) {
    allow_dependent_grid();
    const int column_block = blockIdx.x;
    const int units = ((n + DECODE_BLOCK_N - 1) / DECODE_BLOCK_N) * units_per_column;
    const int first = column_block * units_per_column;
    const int first_owner = owner_of(first, units, decode_blocks);
    const int last_owner = owner_of(first + units_per_column - 1, units, decode_blocks);
    const int first_owner_begins = first_unit(first_owner, units, decode_blocks);
    constexpr int VECTORS = DECODE_BLOCK_N / 4;
    const int item = blockIdx.y * blockDim.x + threadIdx.x;
    const int token = item / VECTORS;
    const int offset = 4 * (item - token * VECTORS);
    if (first_owner == last_owner || token >= m || column_block * DECODE_BLOCK_N + offset >= n) {
        return;
    }
    // the partials are complete once the decode kernel is; the next decode call writes them only after waiting for this grid
    wait_for_previous_grid();
    // every owner after the first starts in this column block (slot 0); the first may have started in the one before
    const int first_slot = first_owner_begins / units_per_column == column_block ? 0 : 1;
    auto partial = [&](int owner) {
        const int slot = owner == first_owner ? first_slot : 0;
        return __ldcg(reinterpret_cast<const float4*>(partials + ((size_t)(2 * owner + slot) * m + token) * DECODE_BLOCK_N + offset));
    };
    float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    int owner = first_owner;
    // eight loads in flight before the first add; the adds stay in owner order
    for (; owner + 8 <= last_owner + 1; owner += 8) {
        float4 part[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            part[j] = partial(owner + j);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            sum = add4(sum, part[j]);
        }
    }
    for (; owner <= last_owner; ++owner) {
        sum = add4(sum, partial(owner));
    }
    const int column = column_block * DECODE_BLOCK_N + offset;
    const float4 bias_values = bias != nullptr ? fp16x4_to_float4(__ldg(reinterpret_cast<const uint2*>(bias + column))) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    store_fp16x4(out + (size_t)token * n + column, sum, bias_values);
}

// x_out[r, c] = x[r, perm[c]] (x[r, c] without perm) for r < M, c < K: a contiguous, aligned, permuted copy of the
// activation for the decode kernel under act-order or when x is not 16-byte aligned. One thread per 8 outputs.
extern "C" __global__ void exllama_gather(const __half* x, long long ldx, int m, int k, const int* perm, __half* x_out) {
    const long long vectors = (long long)m * k / 8;
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= vectors) {
        return;
    }
    const long long element = 8 * i;
    const int row = (int)(element / k);
    const int column = (int)(element % k);
    __half values[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) {
        const int source = perm == nullptr ? column + e : __ldg(perm + column + e);
        values[e] = x[(size_t)row * ldx + source];
    }
    uint4 packed;
    memcpy(&packed, values, sizeof(packed));
    *reinterpret_cast<uint4*>(x_out + element) = packed;
}

#define EXLLAMA_TILED(NAME, BM)                                                                                                                \
    extern "C" __global__ void __launch_bounds__(TILED_THREADS, TiledShape<BM>::BLOCKS_PER_SM)                                               \
        NAME(const __grid_constant__ CUtensorMap x_map, const __grid_constant__ CUtensorMap w_map, int m, int k, int n, const __half* scales,      \
             int group_size, const __half* bias, __half* out, int whole_columns, int stages_per_split, float* partials) {                        \
        tiled<BM>(&x_map, &w_map, m, k, n, scales, group_size, bias, out, whole_columns, stages_per_split, partials);                            \
    }

// 4-bit, M > 16 on sm_90a, 64, 128 or 256 tokens per block; dynamic shared memory TiledShape<BM>::SHARED_BYTES
EXLLAMA_TILED(exllama_tiled_w4_bm64, 64)
EXLLAMA_TILED(exllama_tiled_w4_bm128, 128)
EXLLAMA_TILED(exllama_tiled_w4_bm256, 256)
