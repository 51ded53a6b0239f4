// The marlin plugin's kernels: the repack of GPTQ words into the marlin layout, the decode kernel (M <= 16) and the
// GEMM kernel (more rows) that stream the repacked words once on tensor cores, the sums of their partial results
// (the decode kernel's shared column blocks, the GEMM kernel's K splits), the act-order gather, and the
// dequantization and bias of the large-M path.
//
// The marlin layout (MarlinKernel's javadoc and core's MarlinLayout define it): int32 codes [K/16, 2N], where the word of
// lane i of 16-column sub-tile j of 64-column chunk c in 16-row tile kt holds the B fragment of mma.m16n8k16 for that
// lane: rows 2t, 2t + 1, 2t + 8, 2t + 9 (t = i % 4) of columns 16j + i/4 and 16j + 8 + i/4, nibble
// p = 2h + kh + 4 (k % 2) for column half h and row half kh. Scales [groups, N] in the activation type, each 64-column
// run transposed 8 x 8 (one group: 32-column runs, see single_scale_position); zero points [groups, N/8] transposed the same way,
// each word the 8 zero points of one lane, nibble j + 4h for sub-tile j and column half h.
//
// Every entry point is extern "C" with plain arguments (pointers, int32, int64), matching KernelArguments.Kind.

#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

namespace {

constexpr int WARPS = 8;
constexpr int THREADS = 32 * WARPS;
constexpr int BLOCK_N = 64;                 // four 16-column sub-tiles, warp w takes sub-tile w % 4
constexpr int STAGE_K = 128;                // eight 16-row tiles; warps w and w + 4 take the even and the odd ones
constexpr int STAGE_TILES = STAGE_K / 16;
constexpr int WORDS_PER_TILE = 2 * BLOCK_N; // one 16-row tile of a 64-column chunk: 128 words, 512 bytes
constexpr int STAGE_WORD_BYTES = STAGE_TILES * WORDS_PER_TILE * 4;  // 4 KB: one 16-byte copy per thread

template <typename T>
struct Numbers;

// fp16: OR-ing a code below 1024 into the mantissa of 1024 adds it exactly.
template <>
struct Numbers<__half> {
    using Pair = __half2;
    static constexpr uint32_t MAGIC = 0x64006400u;   // (1024, 1024)
    static constexpr uint32_t BIASED = 0x64086408u;  // (1032, 1032): 1024 + the uint4b8 zero point
    // the odd nibble in place: OR-ing 16 code into the mantissa of 64 (unit 1/16) adds the code, no shift
    static constexpr int ODD_RIGHT = 0;
    static constexpr int ODD_SHIFT = 4;
    static constexpr uint32_t ODD_MASK = 0x00F000F0u;
    static constexpr uint32_t ODD_MAGIC = 0x54005400u;   // (64, 64)
    static constexpr uint32_t ODD_BIASED = 0x54805480u;  // (72, 72): 64 + 8, the unit being 1/16
};

// bf16: 128 has 7 explicit mantissa bits below it, enough for a 4-bit code.
template <>
struct Numbers<__nv_bfloat16> {
    using Pair = __nv_bfloat162;
    static constexpr uint32_t MAGIC = 0x43004300u;   // (128, 128)
    static constexpr uint32_t BIASED = 0x43084308u;  // (136, 136)
    // 7 mantissa bits leave no room for the in-place trick: the odd nibble is shifted down
    static constexpr int ODD_RIGHT = 4;
    static constexpr int ODD_SHIFT = 0;
    static constexpr uint32_t ODD_MASK = 0x000F000Fu;
    static constexpr uint32_t ODD_MAGIC = 0x43004300u;
    static constexpr uint32_t ODD_BIASED = 0x43084308u;
};

template <typename P>
__device__ __forceinline__ P as_pair(uint32_t bits) {
    P value;
    memcpy(&value, &bits, sizeof(value));
    return value;
}

template <typename P>
__device__ __forceinline__ uint32_t as_bits(P value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

__device__ __forceinline__ uint32_t lop3_and_or(uint32_t a, uint32_t mask, uint32_t bits) {
    uint32_t d;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(d) : "r"(a), "r"(mask), "r"(bits));
    return d;
}

template <typename T>
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);

template <>
__device__ __forceinline__ void mma_16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&a)[4], unsigned address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3])
                 : "r"(address));
}

// log2 of the group size: below one group it is 32, 64 or 128 rows (MarlinKernel declares no others), so a row's group
// is a shift, not an integer division (20-odd instructions each, and the decode kernel did four a stage)
__device__ __forceinline__ int group_shift_of(int group_size) {
    return __ffs(group_size) - 1;
}

// 16 bytes global -> shared, asynchronously; bytes past `valid` (0 or 16) are zero-filled. Weights skip L1.
__device__ __forceinline__ void copy_16(unsigned target, const void* source, int valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(target), "l"(source), "r"(valid) : "memory");
}

__device__ __forceinline__ void commit_copies() {
    asm volatile("cp.async.commit_group;" ::: "memory");
}

template <int PENDING>
__device__ __forceinline__ void wait_copies() {
    asm volatile("cp.async.wait_group %0;" ::"n"(PENDING) : "memory");
}

// The position of column c's scale in its row of a one-group layout: 32-column runs, new 8a + u takes old 2a + J[u].
__host__ __device__ constexpr int single_scale_position(int c) {
    // old position o = 2a + J[u] with J = [0, 1, 8, 9, 16, 17, 24, 25]: a = (o % 8) / 2, u = 2 (o / 8) + o % 2
    return (c / 32) * 32 + 8 * ((c % 8) / 2) + 2 * ((c % 32) / 8) + c % 2;
}

// The lane's half pair of scales for columns 16j + g (low) and 16j + 8 + g (high) of a 64-column run, grouped layout:
// old position 8b + a moves to 8a + b, so columns 16j + g and 16j + 8 + g (b = 2j, 2j + 1; a = g) sit side by side.
__device__ __forceinline__ int grouped_scale_position(int j, int g) {
    return 8 * g + 2 * j;
}

// Shared memory of one pipeline stage, in bytes: the words, the activation rows (16 MB rows of 128 halves, chunks of
// 16 bytes XOR-swizzled by row so ldmatrix reads without bank conflicts), the stage's scale rows and zero-point rows.
template <int MB>
struct Stage {
    static constexpr int ROWS = 16 * MB;
    static constexpr int X_BYTES = ROWS * STAGE_K * 2;
    static constexpr int MAX_GROUPS = STAGE_K / 32;                      // groups of 32 rows: four a stage
    static constexpr int S_BYTES = MAX_GROUPS * BLOCK_N * 2;              // 128 bytes a group row
    static constexpr int Z_BYTES = MAX_GROUPS * BLOCK_N / 2;              // 32 bytes a group row
    static constexpr int BYTES = STAGE_WORD_BYTES + X_BYTES + S_BYTES + Z_BYTES;
    // the entry points are MB = 4 only (16 and 32 rows go to the decode kernel; their blocks had 6 and 5 stages, 4 and 3
    // blocks a multiprocessor, until 876cc12)
    static_assert(MB == 4, "the GEMM kernel ships 64-row blocks");
    static constexpr int STAGES = 4;
    static constexpr int SHARED = STAGES * BYTES;  // MarlinPlan.SHARED_BYTES in Java
    static constexpr int BLOCKS_PER_SM = 2;       // MarlinPlan.RESIDENT_BLOCKS in Java
    static_assert(BLOCKS_PER_SM * (SHARED + 1024) <= 228 * 1024, "the blocks' shared memory fits an sm_90 multiprocessor");
};

// One block: 64 columns by 16 MB rows of tokens over a range of whole stages of K. Warp w multiplies sub-tile w % 4
// on the stage's even (w < 4) or odd 16-row tiles; the two halves are added through shared memory at the end.
// Grouped scales (and zero points) multiply the weights before the MMA, rounded once in the activation type, as
// the reference's dequantized weights are; with one group the stage reads group row 0.
template <typename T, bool ZERO_POINTS, int MB>
__device__ __forceinline__ void gemm(const T* __restrict__ x, long long ldx, int m, int k, int n, const uint32_t* __restrict__ codes,
                                     const T* __restrict__ scales, const uint32_t* __restrict__ zeros, int group_size,
                                     const T* __restrict__ bias, T* __restrict__ out, float* __restrict__ partials, int stages_per_split) {
    using N = Numbers<T>;
    using P = typename N::Pair;
    using S = Stage<MB>;
    extern __shared__ __align__(16) unsigned char shared[];
    const unsigned base = static_cast<unsigned>(__cvta_generic_to_shared(shared));

    const int column_blocks = n / BLOCK_N;
    const int column0 = (blockIdx.x % column_blocks) * BLOCK_N;
    const int split = blockIdx.x / column_blocks;
    const int token0 = blockIdx.y * S::ROWS;
    const int total_stages = k / STAGE_K;
    const int first_stage = split * stages_per_split;
    const int stages = min(stages_per_split, total_stages - first_stage);
    const bool one_group = group_size >= k;
    const int groups_per_stage = one_group ? 1 : max(1, STAGE_K / group_size);
    const int group_shift = group_shift_of(group_size);

    const int thread = threadIdx.x;
    const int warp = thread / 32;
    const int lane = thread % 32;
    const int g = lane / 4;
    const int j = warp % 4;
    const int parity = warp / 4;

    // this thread's copies: word chunk `thread` of the stage (tile thread / 32, 16 bytes thread % 32 of its 512)
    const uint32_t* word_source = codes + (size_t)(first_stage * STAGE_TILES + thread / 32) * 2 * n + 2 * column0 + (thread % 32) * 4;
    const size_t word_step = (size_t)STAGE_TILES * 2 * n;

    auto load_stage = [&](int s, int slot) {
        const unsigned stage = base + slot * S::BYTES;
        const int kstage = first_stage + s;
        copy_16(stage + thread * 16, word_source + s * word_step, 16);
        // activations: ROWS x 16 chunks of 16 bytes
#pragma unroll
        for (int item = thread; item < S::ROWS * 16; item += THREADS) {
            const int row = item / 16;
            const int chunk = item % 16;
            const int token = token0 + row;
            const T* source = x + (size_t)min(token, m - 1) * ldx + kstage * STAGE_K + chunk * 8;
            copy_16(stage + STAGE_WORD_BYTES + row * 256 + ((chunk ^ (row % 8)) * 16), source, token < m ? 16 : 0);
        }
        const int group0 = one_group ? 0 : (kstage * STAGE_K) >> group_shift;
        if (thread < 8 * groups_per_stage) {
            const int row = thread / 8;
            copy_16(stage + STAGE_WORD_BYTES + S::X_BYTES + row * 128 + (thread % 8) * 16,
                    scales + (size_t)(group0 + row) * n + column0 + (thread % 8) * 8, 16);
        }
        if (ZERO_POINTS && thread >= 64 && thread < 64 + 2 * groups_per_stage) {
            const int row = (thread - 64) / 2;
            copy_16(stage + STAGE_WORD_BYTES + S::X_BYTES + S::S_BYTES + row * 32 + (thread % 2) * 16,
                    zeros + (size_t)(group0 + row) * (n / 8) + column0 / 8 + (thread % 2) * 4, 16);
        }
    };

    float sums[MB][2][4];
#pragma unroll
    for (int b = 0; b < MB; ++b)
#pragma unroll
        for (int h = 0; h < 2; ++h)
#pragma unroll
            for (int e = 0; e < 4; ++e) sums[b][h][e] = 0.0f;

#pragma unroll
    for (int s = 0; s < S::STAGES - 1; ++s) {
        if (s < stages) load_stage(s, s);
        commit_copies();
    }

    // ldmatrix addresses: lane l supplies row (l % 8) + 8 ((l / 8) % 2) of the m-block, 8-half chunk (l / 16) of the k16 slice
    const int a_row = (lane % 8) + 8 * ((lane / 8) % 2);
    const int a_half = lane / 16;

    for (int s = 0; s < stages; ++s) {
        wait_copies<S::STAGES - 2>();
        __syncthreads();
        // refill the slot freed by the stage before this one
        const int ahead = s + S::STAGES - 1;
        if (ahead < stages) load_stage(ahead, ahead % S::STAGES);
        commit_copies();

        const int slot = s % S::STAGES;
        const unsigned char* stage = shared + slot * S::BYTES;
        const unsigned stage_address = base + slot * S::BYTES;
        const uint32_t* words = reinterpret_cast<const uint32_t*>(stage);
        const unsigned char* scale_rows = stage + STAGE_WORD_BYTES + S::X_BYTES;
        const unsigned char* zero_rows = scale_rows + S::S_BYTES;

        // the scales and zero points of one group row, as the pairs the B fragments take: [h] for column half h,
        // zero[kh][h] the code bias plus the zero point for row half kh
        P scale[2], zero[2][2];
        auto group_pairs = [&](int group_row) {
            if (one_group) {
                const T* row = reinterpret_cast<const T*>(scale_rows);
                const T low = row[single_scale_position(16 * j + g)];
                const T high = row[single_scale_position(16 * j + 8 + g)];
                scale[0] = P(low, low);
                scale[1] = P(high, high);
            }
            else {
                const P both = as_pair<P>(reinterpret_cast<const uint32_t*>(scale_rows + group_row * 128)[grouped_scale_position(j, g) / 2]);
                scale[0] = P(both.x, both.x);
                scale[1] = P(both.y, both.y);
            }
            if constexpr (ZERO_POINTS) {
                const uint32_t zero_word = reinterpret_cast<const uint32_t*>(zero_rows + group_row * 32)[g] >> (4 * j);
                const P even = as_pair<P>(lop3_and_or(zero_word, 0x000F000Fu, N::MAGIC));
                const P odd = as_pair<P>(lop3_and_or(zero_word << N::ODD_SHIFT, N::ODD_MASK, N::ODD_MAGIC));
                zero[0][0] = P(even.x, even.x);
                zero[0][1] = P(even.y, even.y);
                zero[1][0] = P(odd.x, odd.x);
                zero[1][1] = P(odd.y, odd.y);
            }
            else {
                zero[0][0] = zero[0][1] = as_pair<P>(N::BIASED);
                zero[1][0] = zero[1][1] = as_pair<P>(N::ODD_BIASED);
            }
        };
        // groups of at least a stage: one group row serves the stage
        const bool stage_group = one_group || group_size >= STAGE_K;
        if (stage_group) {
            group_pairs(0);
        }

#pragma unroll
        for (int tt = 0; tt < STAGE_TILES / 2; ++tt) {
            const int tile = 2 * tt + parity;
            if (!stage_group) {
                group_pairs((tile * 16) >> group_shift);
            }
            const uint32_t word = words[tile * WORDS_PER_TILE + 32 * j + lane];
            // B fragments: column half h, row half kh at nibbles 2h + kh (even row) and 2h + kh + 4 (odd row); the
            // odd row half's pair comes without a shift where the type allows (fp16: 64 + code)
            uint32_t b[2][2];
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const uint32_t shifted = word >> (8 * h);
                const P even_rows = as_pair<P>(lop3_and_or(shifted, 0x000F000Fu, N::MAGIC));
                const P odd_rows = as_pair<P>(lop3_and_or(shifted >> N::ODD_RIGHT, N::ODD_MASK, N::ODD_MAGIC));
                b[h][0] = as_bits(__hmul2(__hsub2(even_rows, zero[0][h]), scale[h]));
                b[h][1] = as_bits(__hmul2(__hsub2(odd_rows, zero[1][h]), scale[h]));
            }
#pragma unroll
            for (int mb = 0; mb < MB; ++mb) {
                const int row = 16 * mb + a_row;
                const int chunk = 2 * tile + a_half;
                uint32_t a[4];
                ldmatrix_x4(a, stage_address + STAGE_WORD_BYTES + row * 256 + ((chunk ^ (row % 8)) * 16));
                mma_16816<T>(sums[mb][0], a, b[0][0], b[0][1]);
                mma_16816<T>(sums[mb][1], a, b[1][0], b[1][1]);
            }
        }
    }
    wait_copies<0>();
    __syncthreads();

    // the odd tiles' sums join the even ones' through shared memory
    float* exchange = reinterpret_cast<float*>(shared);
    if (parity == 1) {
#pragma unroll
        for (int mb = 0; mb < MB; ++mb)
#pragma unroll
            for (int h = 0; h < 2; ++h)
#pragma unroll
                for (int e = 0; e < 4; ++e) exchange[((((warp - 4) * MB + mb) * 2 + h) * 4 + e) * 32 + lane] = sums[mb][h][e];
    }
    __syncthreads();
    if (parity == 1) {
        return;
    }
#pragma unroll
    for (int mb = 0; mb < MB; ++mb)
#pragma unroll
        for (int h = 0; h < 2; ++h)
#pragma unroll
            for (int e = 0; e < 4; ++e) sums[mb][h][e] += exchange[(((warp * MB + mb) * 2 + h) * 4 + e) * 32 + lane];

    // c0, c1: row g, columns 2t, 2t + 1 of the 8-column tile; c2, c3: row g + 8
    const int t = lane % 4;
#pragma unroll
    for (int mb = 0; mb < MB; ++mb) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int column = column0 + 16 * j + 8 * h + 2 * t;
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int token = token0 + 16 * mb + g + 8 * half;
                if (token >= m) {
                    continue;
                }
                const float v0 = sums[mb][h][2 * half];
                const float v1 = sums[mb][h][2 * half + 1];
                if (partials != nullptr) {
                    *reinterpret_cast<float2*>(partials + ((size_t)split * m + token) * n + column) = make_float2(v0, v1);
                }
                else {
                    float b0 = 0.0f, b1 = 0.0f;
                    if (bias != nullptr) {
                        b0 = static_cast<float>(bias[column]);
                        b1 = static_cast<float>(bias[column + 1]);
                    }
                    P result;
                    result.x = T(v0 + b0);
                    result.y = T(v1 + b1);
                    *reinterpret_cast<P*>(out + (size_t)token * n + column) = result;
                }
            }
        }
    }
}

template <typename T>
__device__ __forceinline__ void reduce(const float* __restrict__ partials, int splits, int m, int n, const T* __restrict__ bias, T* __restrict__ out) {
    const size_t quad = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    const size_t elements = (size_t)m * n;
    if (quad * 4 >= elements) {
        return;
    }
    float4 total = reinterpret_cast<const float4*>(partials)[quad];
    for (int s = 1; s < splits; ++s) {
        const float4 next = reinterpret_cast<const float4*>(partials + (size_t)s * elements)[quad];
        total.x += next.x;
        total.y += next.y;
        total.z += next.z;
        total.w += next.w;
    }
    const int column = (int)(quad * 4 % n);
    if (bias != nullptr) {
        total.x += static_cast<float>(bias[column]);
        total.y += static_cast<float>(bias[column + 1]);
        total.z += static_cast<float>(bias[column + 2]);
        total.w += static_cast<float>(bias[column + 3]);
    }
    T* target = out + quad * 4;
    target[0] = T(total.x);
    target[1] = T(total.y);
    target[2] = T(total.z);
    target[3] = T(total.w);
}

// W[k, n] = (code - zero) * scale in the activation type, rounded once, row-major [K, N] for the dense GEMM; row k of
// the marlin layout is permuted row k (act-order gathers the activation instead). A block of DEQUANTIZE_THREADS
// threads takes one 16 x 64 tile (a word each), lays its values out in shared memory and writes the tile's 16 rows of
// 128 bytes whole: storing from the words' fragment order wrote 2 bytes at a time and ran at a third of the copy rate.
constexpr int DEQUANTIZE_THREADS = 128;

template <typename T, bool ZERO_POINTS>
__device__ __forceinline__ void dequantize(const uint32_t* __restrict__ codes, const T* __restrict__ scales, const uint32_t* __restrict__ zeros,
                                           int group_size, int k, int n, T* __restrict__ w) {
    using N = Numbers<T>;
    using P = typename N::Pair;
    __shared__ __align__(16) T tile[16][64];
    const int chunks = n / 64;
    const int kt = blockIdx.x / chunks;
    const int chunk = blockIdx.x % chunks;
    const int j = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int t = lane % 4;
    const int g = lane / 4;
    const uint32_t bits = codes[(size_t)kt * 2 * n + chunk * 128 + threadIdx.x];
    const bool one_group = group_size >= k;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int column = chunk * 64 + 16 * j + 8 * h + g;
#pragma unroll
        for (int kh = 0; kh < 2; ++kh) {
            const int row = 2 * t + 8 * kh;
            const int group = one_group ? 0 : (kt * 16 + row) >> group_shift_of(group_size);
            const T scale = one_group ? scales[single_scale_position(column)]
                                      : scales[(size_t)group * n + chunk * 64 + grouped_scale_position(j, g) + h];
            P zero = as_pair<P>(N::BIASED);
            if constexpr (ZERO_POINTS) {
                const uint32_t zero_word = zeros[(size_t)group * (n / 8) + chunk * 8 + g];
                const P both = as_pair<P>(lop3_and_or(zero_word >> (4 * j), 0x000F000Fu, N::MAGIC));
                zero = h == 0 ? P(both.x, both.x) : P(both.y, both.y);
            }
            const P codes_plus = as_pair<P>(lop3_and_or(bits >> (4 * (2 * h + kh)), 0x000F000Fu, N::MAGIC));
            const P weights = __hmul2(__hsub2(codes_plus, zero), P(scale, scale));
            tile[row][column - chunk * 64] = weights.x;
            tile[row + 1][column - chunk * 64] = weights.y;
        }
    }
    __syncthreads();
    const int row = threadIdx.x / 8;
    const int piece = threadIdx.x % 8;
    *reinterpret_cast<uint4*>(w + (size_t)(kt * 16 + row) * n + chunk * 64 + piece * 8) = *reinterpret_cast<const uint4*>(&tile[row][piece * 8]);
}

// ---- the decode kernel: M <= 16 ----
//
// A marlin word is also the A fragment of mma.m16n8k16 for 16 columns (rows g and g + 8 of A are columns 16j + g and
// 16j + 8 + g; K pairs 2t, 2t + 8): with the weights as A and up to 8 tokens as B, one MMA serves a word at M <= 8.
// The codes enter as exact biased integers, one LOP3 a pair (fp16: 1024 + code for rows 0-7 of a tile, 64 + code for
// rows 8-15, read in place; bf16: 128 + code); one more MMA per tile with a constant A (the code bias plus the zero
// point 8) yields the bias times the activations, subtracted from the group's float32 sums before the group's scale
// multiplies them (zero points: a second MMA with A = 1 yields the activation sums that z multiplies). At 16 tokens,
// where those MMAs double, the codes enter less the bias and zero point instead (see EXACT in decode).
//
// A block is 8 warps over 256 columns: warp (wn, wk) takes 64-column chunk wn and tiles [4 wk, 4 wk + 4) of each
// 128-row stage, the words coming through a cp.async ring of DECODE_STAGES stages. The grid is persistent and the work
// is split stream-K: the layer is a sequence of units (column block, stage of K), column block by column block, and
// block b streams units [b T / B, (b + 1) T / B), so every block moves the same bytes with one pipeline fill. A column
// block one block covers whole is written directly; one shared by several blocks gets their float32 sums in partials
// (slot 0 for a block's first column block, 1 for its last), which marlin_decode_reduce, launched next, adds in block
// order plus the bias: results do not depend on timing. On sm_90 both launches may overlap the work ahead of them
// (programmatic dependent launch): a block prefetches its first weights, then waits for that work before it reads
// the activations or writes.
#ifndef MARLIN_DECODE_STAGES
#define MARLIN_DECODE_STAGES 3
#endif
#ifndef MARLIN_DECODE_BLOCKS_PER_SM
#define MARLIN_DECODE_BLOCKS_PER_SM 2
#endif
// 0: the 16-token kernels take biased codes and the bias MMAs too (the harness's A/B of the exact codes)
#ifndef MARLIN_DECODE_EXACT
#define MARLIN_DECODE_EXACT 1
#endif
constexpr int DECODE_THREADS = 256;
constexpr int DECODE_WARPS_N = 4;                          // a 64-column chunk each
constexpr int DECODE_WARPS_K = 2;                          // half a stage's tiles each
constexpr int DECODE_N = 64 * DECODE_WARPS_N;              // 256 columns a block
constexpr int DECODE_STAGE_K = 128;
constexpr int DECODE_TILES = DECODE_STAGE_K / 16;
constexpr int DECODE_WARP_TILES = DECODE_TILES / DECODE_WARPS_K;
constexpr int DECODE_STAGES = MARLIN_DECODE_STAGES;        // DecodePlan.STAGES in Java
constexpr int DECODE_BLOCKS_PER_SM = MARLIN_DECODE_BLOCKS_PER_SM;  // DecodePlan.BLOCKS_PER_MULTIPROCESSOR in Java

// One stage: the words of 8 tiles by 256 columns (2 KB a tile, as in global memory), then 8 TT activation rows of
// 128 halves (16-byte chunks XOR-swizzled by row, so ldmatrix reads without bank conflicts).
template <int TT>
struct DecodeStage {
    static constexpr int W_BYTES = DECODE_TILES * 2 * DECODE_N * 4;
    static constexpr int X_BYTES = 8 * TT * DECODE_STAGE_K * 2;
    static constexpr int BYTES = W_BYTES + X_BYTES;
    static constexpr int SHARED = DECODE_STAGES * BYTES;  // DecodePlan.sharedBytes in Java
    static constexpr int VALUES = 4 * TT * 4;             // sums a lane
    static_assert(DECODE_WARPS_N * VALUES * 32 * 4 <= W_BYTES, "the K warps exchange their sums in a stage's words");
    static_assert(DECODE_BLOCKS_PER_SM * (SHARED + 1024) <= 228 * 1024, "the blocks' shared memory fits an sm_90 multiprocessor");
};

template <typename T>
struct Biased;

template <>
struct Biased<__half> {
    // rows 0-7 of a tile: 1024 + code; rows 8-15: 64 + code, the nibble ORed in place into 64's mantissa (unit 1/16)
    __device__ static __forceinline__ void codes(uint32_t word, uint32_t (&a)[4]) {
        const uint32_t high = word >> 8;
        a[0] = lop3_and_or(word, 0x000F000Fu, 0x64006400u);
        a[1] = lop3_and_or(high, 0x000F000Fu, 0x64006400u);
        a[2] = lop3_and_or(word, 0x00F000F0u, 0x54005400u);
        a[3] = lop3_and_or(high, 0x00F000F0u, 0x54005400u);
    }
    static constexpr uint32_t LOW_BIAS = 0x64006400u, HIGH_BIAS = 0x54005400u;        // 1024, 64
    static constexpr uint32_t LOW_BIAS_8 = 0x64086408u, HIGH_BIAS_8 = 0x54805480u;    // 1032, 72
    static constexpr uint32_t ONE = 0x3C003C00u;
};

template <>
struct Biased<__nv_bfloat16> {
    __device__ static __forceinline__ void codes(uint32_t word, uint32_t (&a)[4]) {
        a[0] = lop3_and_or(word, 0x000F000Fu, 0x43004300u);
        a[1] = lop3_and_or(word >> 8, 0x000F000Fu, 0x43004300u);
        a[2] = lop3_and_or(word >> 4, 0x000F000Fu, 0x43004300u);
        a[3] = lop3_and_or(word >> 12, 0x000F000Fu, 0x43004300u);
    }
    static constexpr uint32_t LOW_BIAS = 0x43004300u, HIGH_BIAS = 0x43004300u;        // 128
    static constexpr uint32_t LOW_BIAS_8 = 0x43084308u, HIGH_BIAS_8 = 0x43084308u;    // 136
    static constexpr uint32_t ONE = 0x3F803F80u;
};

__device__ __forceinline__ void ldmatrix_x2(uint32_t& r0, uint32_t& r1, unsigned address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];" : "=r"(r0), "=r"(r1) : "r"(address));
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

// -DMARLIN_DECODE_TIMELINE (the harness's timeline mode): thread 0 of every decode and decode-reduce block takes the next
// record of a ring and writes %globaltimer at its start (0), after waiting for the previous grid (1), when its first
// stage arrived (2), when its last stage arrived (3) and at its end (4).
#ifdef MARLIN_DECODE_TIMELINE
struct TimelineRecord {
    unsigned long long at[5];
    int block, kind;
};
constexpr unsigned TIMELINE_RECORDS = 8192;
__device__ TimelineRecord marlin_decode_timeline[TIMELINE_RECORDS];
__device__ unsigned marlin_decode_timeline_next;
__device__ __forceinline__ unsigned long long timeline_now() {
    unsigned long long now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    return now;
}
#define MARLIN_TIMELINE_BEGIN(KIND)                                                               \
    unsigned timeline_record_ = 0;                                                                \
    if (threadIdx.x == 0) {                                                                       \
        timeline_record_ = atomicAdd(&marlin_decode_timeline_next, 1u) % TIMELINE_RECORDS;        \
        marlin_decode_timeline[timeline_record_] = TimelineRecord{{timeline_now(), 0, 0, 0, 0}, (int)blockIdx.x, KIND}; \
    }
#define MARLIN_TIMELINE_MARK(I)                                                 \
    do {                                                                        \
        if (threadIdx.x == 0) marlin_decode_timeline[timeline_record_].at[I] = timeline_now(); \
    } while (0)
#else
#define MARLIN_TIMELINE_BEGIN(KIND)
#define MARLIN_TIMELINE_MARK(I) \
    do {                        \
    } while (0)
#endif

// x is [M <= 8 TT, ldx], 16-byte aligned with ldx % 8 == 0 (the host gathers it otherwise); partials holds
// 2 gridDim.x M DECODE_N floats.
template <typename T, bool ZERO_POINTS, int TT>
__device__ __forceinline__ void decode(const T* __restrict__ x, long long ldx, int m, int k, int n, const uint32_t* __restrict__ codes,
                                       const T* __restrict__ scales, const uint32_t* __restrict__ zeros, int group_size,
                                       const T* __restrict__ bias, T* __restrict__ out, float* __restrict__ partials) {
    using B = Biased<T>;
    using P = typename Numbers<T>::Pair;
    using S = DecodeStage<TT>;
    // 16 tokens: the codes less the zero point, exactly (one more FP16/BF16 instruction a pair), instead of the bias
    // MMA (and the activation-sum MMA of zero points) per tile and token tile
    constexpr bool EXACT = TT == 2 && MARLIN_DECODE_EXACT;
    extern __shared__ __align__(16) unsigned char shared[];
    const unsigned base = static_cast<unsigned>(__cvta_generic_to_shared(shared));
    MARLIN_TIMELINE_BEGIN(0)

    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int wn = warp % DECODE_WARPS_N;
    const int wk = warp / DECODE_WARPS_N;
    const int g = lane / 4;
    const int t = lane % 4;
    const int chunks = n / 64;
    const int units_per_column = k / DECODE_STAGE_K;
    const int units = (chunks + DECODE_WARPS_N - 1) / DECODE_WARPS_N * units_per_column;
    const int unit_begin = first_unit(blockIdx.x, units, gridDim.x);
    const int count = first_unit(blockIdx.x + 1, units, gridDim.x) - unit_begin;
    const int first_column_block = unit_begin / units_per_column;
    const int tokens = min(m, 8 * TT);
    const bool one_group = group_size >= k;
    const bool two_groups = !one_group && group_size < DECODE_WARP_TILES * 16;  // groups of 32 rows
    const size_t row_words = (size_t)2 * n;

    // this thread's 16-byte pieces of a stage's words: piece thread + 256 i is tile 2 i + thread / 128, bytes
    // 16 (thread % 128) of the tile's 2 KB, which belong to chunk (thread % 128) / 32 of the column block
    const int piece = threadIdx.x % 128;
    const uint32_t* piece_source = codes + (size_t)(threadIdx.x / 128) * row_words + 4 * piece;
    int load_column_block = first_column_block;
    int load_stage = unit_begin - first_column_block * units_per_column;
    // the words of the next unit into slot index % DECODE_STAGES; returns the unit's stage of K
    auto load_weights = [&](int index) {
        const int column_block = load_column_block;
        const int stage = load_stage;
        if (++load_stage == units_per_column) {
            load_stage = 0;
            ++load_column_block;
        }
        if (DECODE_WARPS_N * column_block + piece / 32 < chunks) {
            const unsigned target = base + (index % DECODE_STAGES) * S::BYTES + threadIdx.x * 16;
            const uint32_t* source = piece_source + (size_t)stage * DECODE_TILES * row_words + 2 * DECODE_N * column_block;
#pragma unroll
            for (int i = 0; i < DECODE_TILES / 2; ++i) {
                copy_16(target + i * DECODE_THREADS * 16, source + 2 * i * row_words, 16);
            }
        }
        return stage;
    };
    // this thread's 16-byte chunk of a stage's activation rows (16 chunks a row, at most 16 rows: one a thread), found
    // once rather than by a loop each stage
    static_assert(16 * 8 * TT <= DECODE_THREADS, "a thread copies at most one chunk of a stage's activations");
    const bool copies_activations = threadIdx.x < tokens * 16;
    const int x_row = threadIdx.x / 16, x_chunk = threadIdx.x % 16;
    const T* const x_source = x + (size_t)x_row * ldx + x_chunk * 8;
    const unsigned x_target = S::W_BYTES + x_row * 256 + ((x_chunk ^ (x_row % 8)) * 16);
    auto load_activations = [&](int index, int stage) {
        if (copies_activations) {
            copy_16(base + (index % DECODE_STAGES) * S::BYTES + x_target, x_source + stage * DECODE_STAGE_K, 16);
        }
    };

    float sums[4][TT][4], group_sums[4][TT][4], bias_sums[TT][4], x_sums[TT][4];
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int q = 0; q < TT; ++q)
#pragma unroll
            for (int e = 0; e < 4; ++e) sums[j][q][e] = group_sums[j][q][e] = 0.0f;
#pragma unroll
    for (int q = 0; q < TT; ++q)
#pragma unroll
        for (int e = 0; e < 4; ++e) bias_sums[q][e] = x_sums[q][e] = 0.0f;

    const uint32_t bias_a[4] = {ZERO_POINTS ? B::LOW_BIAS : B::LOW_BIAS_8, ZERO_POINTS ? B::LOW_BIAS : B::LOW_BIAS_8,
                                ZERO_POINTS ? B::HIGH_BIAS : B::HIGH_BIAS_8, ZERO_POINTS ? B::HIGH_BIAS : B::HIGH_BIAS_8};
    const uint32_t ones_a[4] = {B::ONE, B::ONE, B::ONE, B::ONE};
    // EXACT with zero points: what fragment register h of sub-tile j less, the code bias plus the zero point of its
    // column (h = 0, 2: column 16j + g; 1, 3: 16j + 8 + g), in both halves
    uint32_t subtrahends[4][4];
    auto set_subtrahends = [&](uint32_t zero_word) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const uint32_t both = (zero_word >> (4 * j)) & 0x000F000Fu;
            const uint32_t low = __byte_perm(both, 0u, 0x1010u);
            const uint32_t high = __byte_perm(both, 0u, 0x3232u);
            subtrahends[j][0] = low | B::LOW_BIAS;
            subtrahends[j][1] = high | B::LOW_BIAS;
            subtrahends[j][2] = (low << Numbers<T>::ODD_SHIFT) | B::HIGH_BIAS;
            subtrahends[j][3] = (high << Numbers<T>::ODD_SHIFT) | B::HIGH_BIAS;
        }
    };

    // The scales of a group as the lane takes them: word j holds columns 16j + g (low) and 16j + 8 + g (high) of the
    // warp's chunk; and the lane's zero-point word (nibble j: column 16j + g, nibble j + 4: 16j + 8 + g).
    auto group_scales = [&](int group, int chunk) {
        if (one_group) {
            const T* row = scales + 64 * chunk;
            uint32_t words[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                words[j] = as_bits(P(row[single_scale_position(16 * j + g)], row[single_scale_position(16 * j + 8 + g)]));
            }
            return make_uint4(words[0], words[1], words[2], words[3]);
        }
        return __ldg(reinterpret_cast<const uint4*>(scales + (size_t)group * n + 64 * chunk + 8 * g));
    };
    auto group_zeros = [&](int group, int chunk) {
        return ZERO_POINTS ? __ldg(zeros + (size_t)group * (n / 8) + 8 * chunk + g) : 0u;
    };
    // the group's sums, less the code bias (and zero point) times the activations, scaled into the totals
    auto close_group = [&](uint4 scale_words, uint32_t zero_word) {
        const uint32_t words[4] = {scale_words.x, scale_words.y, scale_words.z, scale_words.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const P pair = as_pair<P>(words[j]);
            const float scale[2] = {static_cast<float>(pair.x), static_cast<float>(pair.y)};
            const float zero[2] = {(float)((zero_word >> (4 * j)) & 0xF), (float)((zero_word >> (4 * j + 16)) & 0xF)};
#pragma unroll
            for (int q = 0; q < TT; ++q) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float corrected = group_sums[j][q][e];
                    if constexpr (!EXACT) {
                        corrected -= bias_sums[q][e];
                        if constexpr (ZERO_POINTS) corrected -= zero[e / 2] * x_sums[q][e];
                    }
                    sums[j][q][e] = fmaf(scale[e / 2], corrected, sums[j][q][e]);
                    group_sums[j][q][e] = 0.0f;
                }
            }
        }
#pragma unroll
        for (int q = 0; q < TT; ++q)
#pragma unroll
            for (int e = 0; e < 4; ++e) bias_sums[q][e] = x_sums[q][e] = 0.0f;
    };

    // Adds a finished column block's sums over the K warps (into wk = 0, through the words of the stage just
    // computed) and writes them: to the output when this block streamed all of it, else to its partials slot.
    auto finish_column_block = [&](int column_block, bool whole, unsigned char* stage) {
        float* exchange = reinterpret_cast<float*>(stage);
        __syncthreads();  // every warp is done with the stage's words
        if (wk == 1) {
#pragma unroll
            for (int j = 0; j < 4; ++j)
#pragma unroll
                for (int q = 0; q < TT; ++q)
#pragma unroll
                    for (int e = 0; e < 4; ++e) exchange[((wn * 4 + j) * TT * 4 + q * 4 + e) * 32 + lane] = sums[j][q][e];
        }
        __syncthreads();
        const int chunk = DECODE_WARPS_N * column_block + wn;
        if (wk == 0 && chunk < chunks) {
            float* own = partials + (size_t)(2 * blockIdx.x + (column_block == first_column_block ? 0 : 1)) * m * DECODE_N;
            // c0, c1: column 16j + g, tokens 8q + 2t, 8q + 2t + 1; c2, c3: column 16j + 8 + g
#pragma unroll
            for (int j = 0; j < 4; ++j) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int column = 64 * chunk + 16 * j + 8 * (e / 2) + g;
                    const float bias_value = whole && bias != nullptr ? static_cast<float>(bias[column]) : 0.0f;
#pragma unroll
                    for (int q = 0; q < TT; ++q) {
                        const int token = 8 * q + 2 * t + e % 2;
                        const float value = sums[j][q][e] + exchange[((wn * 4 + j) * TT * 4 + q * 4 + e) * 32 + lane];
                        if (token < m) {
                            if (whole) {
                                out[(size_t)token * n + column] = T(value + bias_value);
                            }
                            else {
                                own[(size_t)token * DECODE_N + column - DECODE_N * column_block] = value;
                            }
                        }
                    }
                }
            }
        }
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int q = 0; q < TT; ++q)
#pragma unroll
                for (int e = 0; e < 4; ++e) sums[j][q][e] = 0.0f;
    };

    // the B fragments of tokens past M read these rows, which no copy writes
    for (int i = threadIdx.x; i < DECODE_STAGES * (8 * TT - tokens) * 16; i += DECODE_THREADS) {
        const int slot = i % DECODE_STAGES;
        const int rest = i / DECODE_STAGES;
        *reinterpret_cast<uint4*>(shared + slot * S::BYTES + S::W_BYTES + (tokens + rest / 16) * 256 + (rest % 16) * 16) = make_uint4(0, 0, 0, 0);
    }
    // The weights do not depend on the work ahead in the stream; the activations, the output and the partials do.
    allow_dependent_grid();
    int prologue_stages[DECODE_STAGES - 1];
#pragma unroll
    for (int s = 0; s < DECODE_STAGES - 1; ++s) {
        if (s < count) prologue_stages[s] = load_weights(s);
    }
    wait_for_previous_grid();
    MARLIN_TIMELINE_MARK(1);
#pragma unroll
    for (int s = 0; s < DECODE_STAGES - 1; ++s) {
        if (s < count) load_activations(s, prologue_stages[s]);
        commit_copies();  // group 0 holds the first weights of every prologue stage: waiting for it is conservative
    }

    // ldmatrix: lane l addresses token (l % 8) + 8 (l / 16) at k half (l / 8) % 2 of the tile
    const int b_row = (lane % 8) + 8 * (lane / 16);
    const int b_half = (lane / 8) % 2;
    int column_block = first_column_block;
    int stage = unit_begin - first_column_block * units_per_column;
    uint4 scale_words[2] = {make_uint4(0, 0, 0, 0), make_uint4(0, 0, 0, 0)};
    uint32_t zero_words[2] = {0u, 0u};
    for (int index = 0; index < count; ++index) {
        wait_copies<DECODE_STAGES - 2>();
        __syncthreads();
        if (index == 0) MARLIN_TIMELINE_MARK(2);
        if (index == count - 1) MARLIN_TIMELINE_MARK(3);
        if (index + DECODE_STAGES - 1 < count) {
            load_activations(index + DECODE_STAGES - 1, load_weights(index + DECODE_STAGES - 1));
        }
        commit_copies();

        const int chunk = DECODE_WARPS_N * column_block + wn;
        const int slot = index % DECODE_STAGES;
        unsigned char* stage_bytes = shared + slot * S::BYTES;
        if (chunk < chunks) {
            // groups of 32 rows: two in the warp's 64 rows; one group: its scales serve the whole column block
            const int first_group = one_group ? 0 : (stage * DECODE_STAGE_K + wk * DECODE_WARP_TILES * 16) >> group_shift_of(group_size);
            if (!one_group || stage == 0 || index == 0) {
                scale_words[0] = group_scales(first_group, chunk);
                zero_words[0] = group_zeros(first_group, chunk);
                if (two_groups) {
                    scale_words[1] = group_scales(first_group + 1, chunk);
                    zero_words[1] = group_zeros(first_group + 1, chunk);
                }
            }
            const unsigned x_address = base + slot * S::BYTES + S::W_BYTES;
            const uint32_t* words = reinterpret_cast<const uint32_t*>(stage_bytes) + 2 * 64 * wn + lane;
#pragma unroll
            for (int i = 0; i < DECODE_WARP_TILES; ++i) {
                const int tile = wk * DECODE_WARP_TILES + i;
                uint32_t b[TT][2];
                const int x_chunk = 2 * tile + b_half;
                if constexpr (EXACT && ZERO_POINTS) {
                    if (i == 0 || (two_groups && i == 2)) set_subtrahends(two_groups && i >= 2 ? zero_words[1] : zero_words[0]);
                }
                if constexpr (TT == 2) {
                    uint32_t r[4];
                    ldmatrix_x4(r, x_address + b_row * 256 + ((x_chunk ^ (b_row % 8)) * 16));
                    b[0][0] = r[0];
                    b[0][1] = r[1];
                    b[TT - 1][0] = r[2];
                    b[TT - 1][1] = r[3];
                }
                else {
                    ldmatrix_x2(b[0][0], b[0][1], x_address + b_row * 256 + ((x_chunk ^ (b_row % 8)) * 16));
                }
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    uint32_t a[4];
                    B::codes(words[tile * 2 * DECODE_N + 32 * j], a);
                    if constexpr (EXACT) {
#pragma unroll
                        for (int h = 0; h < 4; ++h) a[h] = as_bits(__hsub2(as_pair<P>(a[h]), as_pair<P>(ZERO_POINTS ? subtrahends[j][h] : bias_a[h])));
                    }
#pragma unroll
                    for (int q = 0; q < TT; ++q) mma_16816<T>(group_sums[j][q], a, b[q][0], b[q][1]);
                }
                if constexpr (!EXACT) {
#pragma unroll
                    for (int q = 0; q < TT; ++q) {
                        mma_16816<T>(bias_sums[q], bias_a, b[q][0], b[q][1]);
                        if constexpr (ZERO_POINTS) mma_16816<T>(x_sums[q], ones_a, b[q][0], b[q][1]);
                    }
                }
                // a group ends here, or the warp's share of the stage does
                if (i == DECODE_WARP_TILES - 1) {
                    close_group(two_groups ? scale_words[1] : scale_words[0], two_groups ? zero_words[1] : zero_words[0]);
                }
                else if (!one_group && (((i + 1) * 16) & (group_size - 1)) == 0) {
                    close_group(scale_words[0], zero_words[0]);
                }
            }
        }
        const int this_column_block = column_block;
        const int this_stage = stage;
        if (++stage == units_per_column) {
            stage = 0;
            ++column_block;
        }
        if (this_stage == units_per_column - 1 || index == count - 1) {
            const bool whole = this_stage == units_per_column - 1 && this_column_block * units_per_column >= unit_begin;
            finish_column_block(this_column_block, whole, stage_bytes);
        }
    }
    wait_copies<0>();
    MARLIN_TIMELINE_MARK(4);
}

// The column blocks the decode kernel's blocks shared: their partial sums added in block order, plus the bias. Block
// (c, y) takes column block c; thread item y * 128 + threadIdx.x takes WIDTH columns of one token: 2 up to 8 rows, so
// that at M = 1 every thread of the block has columns to add (the sum is a chain of L2 round trips, not a stream),
// else 4 (fewer blocks waiting beside the next call).
constexpr int DECODE_REDUCE_THREADS = 128;  // DecodePlan.REDUCE_THREADS in Java
constexpr int DECODE_REDUCE_IN_FLIGHT = 16;

template <typename T, int WIDTH>
__device__ __forceinline__ void decode_reduce(const float* __restrict__ partials, int m, int n, int units_per_column, int decode_blocks,
                                              const T* __restrict__ bias, T* __restrict__ out) {
    using V = typename std::conditional<WIDTH == 2, float2, float4>::type;
    MARLIN_TIMELINE_BEGIN(1)
    allow_dependent_grid();
    const int column_block = blockIdx.x;
    const int units = (n + DECODE_N - 1) / DECODE_N * units_per_column;
    const int first = column_block * units_per_column;
    const int first_owner = owner_of(first, units, decode_blocks);
    const int last_owner = owner_of(first + units_per_column - 1, units, decode_blocks);
    constexpr int VECTORS = DECODE_N / WIDTH;
    const int item = blockIdx.y * blockDim.x + threadIdx.x;
    const int token = item / VECTORS;
    const int offset = WIDTH * (item % VECTORS);
    const int column = column_block * DECODE_N + offset;
    if (first_owner == last_owner || token >= m || column >= n) {
        return;
    }
    // the partials are complete once the decode kernel is; the next decode call writes them only after waiting for this grid
    wait_for_previous_grid();
    MARLIN_TIMELINE_MARK(1);
    // every owner after the first starts in this column block (slot 0); the first may have started in the one before
    const int first_slot = first_unit(first_owner, units, decode_blocks) / units_per_column == column_block ? 0 : 1;
    auto partial = [&](int owner) {
        const int slot = owner == first_owner ? first_slot : 0;
        return __ldcg(reinterpret_cast<const V*>(partials + ((size_t)(2 * owner + slot) * m + token) * DECODE_N + offset));
    };
    float sum[WIDTH] = {};
    auto add = [&](const V& part) {
        const float* values = reinterpret_cast<const float*>(&part);
#pragma unroll
        for (int e = 0; e < WIDTH; ++e) sum[e] += values[e];
    };
    // DECODE_REDUCE_IN_FLIGHT loads before the first add; the adds stay in owner order
    int owner = first_owner;
    for (; owner + DECODE_REDUCE_IN_FLIGHT <= last_owner + 1; owner += DECODE_REDUCE_IN_FLIGHT) {
        V part[DECODE_REDUCE_IN_FLIGHT];
#pragma unroll
        for (int j = 0; j < DECODE_REDUCE_IN_FLIGHT; ++j) part[j] = partial(owner + j);
#pragma unroll
        for (int j = 0; j < DECODE_REDUCE_IN_FLIGHT; ++j) add(part[j]);
    }
    V part[DECODE_REDUCE_IN_FLIGHT];
#pragma unroll
    for (int j = 0; j < DECODE_REDUCE_IN_FLIGHT; ++j) {
        if (owner + j <= last_owner) part[j] = partial(owner + j);
    }
#pragma unroll
    for (int j = 0; j < DECODE_REDUCE_IN_FLIGHT; ++j) {
        if (owner + j <= last_owner) add(part[j]);
    }
    using P = typename Numbers<T>::Pair;
#pragma unroll
    for (int e = 0; e < WIDTH; e += 2) {
        P result;
        result.x = T(sum[e] + (bias != nullptr ? static_cast<float>(bias[column + e]) : 0.0f));
        result.y = T(sum[e + 1] + (bias != nullptr ? static_cast<float>(bias[column + e + 1]) : 0.0f));
        *reinterpret_cast<P*>(out + (size_t)token * n + column + e) = result;
    }
    MARLIN_TIMELINE_MARK(4);
}


// ---- the Hopper GEMM kernel: M > 16 on sm_90a ----
//
// The decode kernel's orientation on warpgroup MMAs: out^T = W^T x^T with the weights as wgmma's A operand from
// registers and the activations as its B operand from shared memory. A marlin word is the A fragment of one warp's 16
// columns by 16 rows of K (see the decode kernel), so warp j of a warpgroup dequantizes the word of sub-tile j ((code -
// zero) * scale, rounded once in the activation type, as the reference's weights are) and the warpgroup's four warps
// form the m64 of wgmma.m64nBTk16: a 64-column chunk by BT tokens. A block is two warpgroups (128 columns) by BT tokens
// over a range of whole stages of 128 rows of K, plus a producer warp that feeds a ring of stages: the activations by
// the tensor memory accelerator (two 64-row slices of K, 128-byte swizzled as wgmma's K-major layout takes them, rows
// past M read as zeros), the words and scales through tensor maps as well below 256 tokens (words [K / 16, 2N] in boxes
// of the block's 256 words by a stage's 8 tiles, scales [groups, N] in boxes of 128 by the stage's group rows), as bulk
// copies at 256, the zero points as bulk copies, all counted on the stage's full barrier; the consumers free a slot on
// its empty barrier once its MMAs are done. A word is dequantized while the MMA before it runs (a fragment set a tile,
// wgmma.wait_group HOPPER_IN_FLIGHT). Blocks take token tiles fastest, so that those sharing a column block's words run
// together and read them once from DRAM. K is split as the GEMM kernel splits it, the float32 partial sums added by
// marlin_reduce. The sums leave through shared memory so that each row is written whole. Measured on an H100:
// docs/perf/raw/marlin-hopper-kernel-h100-2026-11-22.txt.
constexpr int HOPPER_CONSUMERS = 256;                  // two warpgroups
constexpr int HOPPER_THREADS = HOPPER_CONSUMERS + 32;  // and the producer warp that feeds the ring
constexpr int HOPPER_N = 128;                      // two warpgroups, a 64-column chunk each
#ifndef MARLIN_HOPPER_STAGE_K
#define MARLIN_HOPPER_STAGE_K 128
#endif
#ifndef MARLIN_HOPPER_IN_FLIGHT
#define MARLIN_HOPPER_IN_FLIGHT 1
#endif
constexpr int HOPPER_STAGE_K = MARLIN_HOPPER_STAGE_K;   // whole 128-byte swizzle rows (64 halves) of activations
constexpr int HOPPER_SLICES = HOPPER_STAGE_K / 64;      // swizzled [BT][64] activation slices a stage
constexpr int HOPPER_TILES = HOPPER_STAGE_K / 16;
constexpr int HOPPER_IN_FLIGHT = MARLIN_HOPPER_IN_FLIGHT;  // MMAs a warpgroup leaves running while it dequantizes
static_assert(HOPPER_IN_FLIGHT >= 1 && HOPPER_IN_FLIGHT < HOPPER_TILES, "fragment sets: one a tile of a stage");
constexpr int HOPPER_TILE_WORDS = 2 * HOPPER_N;    // one 16-row tile of the block's two chunks: 1 KB
constexpr int HOPPER_OUT_STRIDE = HOPPER_N + 4;    // floats a row of the epilogue tile: conflict-free fragment stores

#ifndef MARLIN_HOPPER_MAPPED_MAX_TOKENS
#define MARLIN_HOPPER_MAPPED_MAX_TOKENS 128  // the largest block height whose producer copies words and scales through maps
#endif
#ifndef MARLIN_HOPPER_STAGES_64
#define MARLIN_HOPPER_STAGES_64 4
#endif
#ifndef MARLIN_HOPPER_STAGES_128
#define MARLIN_HOPPER_STAGES_128 4
#endif
#ifndef MARLIN_HOPPER_STAGES_256
#define MARLIN_HOPPER_STAGES_256 3
#endif

template <int BT>
struct HopperStage {
    static_assert(BT == 64 || BT == 128 || BT == 256, "the Hopper kernel ships 64, 128 and 256 tokens a block");
    static constexpr int X_BYTES = HOPPER_SLICES * BT * 128;          // slices of BT rows of 64 halves, a 1 KB swizzle atom per 8 rows
    static constexpr int W_BYTES = HOPPER_TILES * HOPPER_TILE_WORDS * 4;
    static constexpr int MAX_GROUPS = HOPPER_STAGE_K / 32;            // groups of 32 rows
    static constexpr int S_BYTES = MAX_GROUPS * HOPPER_N * 2;         // group rows of 128 scales
    static constexpr int Z_BYTES = MAX_GROUPS * HOPPER_N / 2;         // and of 128 4-bit zero points
    static constexpr int BYTES = (X_BYTES + W_BYTES + S_BYTES + Z_BYTES + 1023) / 1024 * 1024;
    static constexpr int STAGES = BT == 64 ? MARLIN_HOPPER_STAGES_64 : BT == 128 ? MARLIN_HOPPER_STAGES_128 : MARLIN_HOPPER_STAGES_256;
    static_assert(STAGES >= 3, "a slot is refilled two stages after it was read");
    static constexpr int SHARED = STAGES * BYTES + 16 * STAGES + 1024;  // + the ring's full and empty barriers, + its alignment to 1 KB
    static constexpr int BLOCKS_PER_SM = 2 * (SHARED + 1024) <= 228 * 1024 ? 2 : 1;
    // the words and scales through their tensor maps, one copy each a stage, below 256 tokens: a bulk copy a word tile
    // and scale row (a lane each, which ptxas serializes) kept the producer issuing for most of a stage there (2-5 % at
    // M = 64), while at 256 tokens the maps were never faster (1-4 % slower on constant data, within the runs' spread
    // on random data; H100, 2026-11-22, docs/perf/raw/marlin-hopper-tensor-maps-h100-2026-11-22.txt)
    static constexpr bool MAPPED = BT <= MARLIN_HOPPER_MAPPED_MAX_TOKENS;
    static_assert(BT * HOPPER_OUT_STRIDE * 4 <= STAGES * BYTES, "the epilogue tile fits the ring");
    static_assert(BLOCKS_PER_SM * (SHARED + 1024) <= 228 * 1024, "the blocks' shared memory fits an sm_90 multiprocessor");
};

// the sm_90a image only: the other images trap in hopper_gemm
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// wgmma's shared memory descriptor of a K-major operand in 128-byte swizzle: 8-row groups 1 KB apart.
__device__ __forceinline__ uint64_t swizzled_descriptor(unsigned address) {
    return (uint64_t)((address & 0x3FFFF) >> 4) | ((uint64_t)1 << 16) | ((uint64_t)(1024 >> 4) << 32) | ((uint64_t)1 << 62);
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

// orders the stage the copies wrote (async proxy) before the words are read and wgmma reads it
__device__ __forceinline__ void fence_async_shared() {
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

__device__ __forceinline__ void barrier_init(unsigned barrier, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(barrier), "r"(count) : "memory");
}

__device__ __forceinline__ void barrier_arrive(unsigned barrier) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(barrier) : "memory");
}

// arrives on the barrier and adds `bytes` to the transfer its phase waits for
__device__ __forceinline__ void barrier_expect(unsigned barrier, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(barrier), "r"(bytes) : "memory");
}

// `bytes` (a multiple of 16, both ends 16-byte aligned) global -> shared, counted on the barrier
__device__ __forceinline__ void bulk_copy(unsigned target, const void* source, unsigned bytes, unsigned barrier) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(target), "l"(source), "r"(bytes),
                 "r"(barrier)
                 : "memory");
}

// the box at (inner, outer) of a 2-D tensor map, swizzled as the map says, counted on the barrier
__device__ __forceinline__ void tensor_copy(unsigned target, const CUtensorMap* map, int inner, int outer, unsigned barrier) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(target),
                 "l"(reinterpret_cast<uint64_t>(map)), "r"(inner), "r"(outer), "r"(barrier)
                 : "memory");
}

__device__ __forceinline__ void barrier_wait(unsigned barrier, int parity) {
    asm volatile(
        "{\n.reg .pred done;\n"
        "WAIT_%=:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra WAIT_%=;\n}\n" ::"r"(barrier), "r"(parity) : "memory");
}

// the consumers' own barrier, which the producer warp does not join
__device__ __forceinline__ void consumers_sync() {
    asm volatile("bar.sync 1, %0;" ::"n"(HOPPER_CONSUMERS) : "memory");
}


template <int R>
__device__ __forceinline__ void keep_registers(float (&d)[R]) {
#pragma unroll
    for (int i = 0; i < R; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// D[64 x BT] += A[64 x 16] (registers) * B[16 x BT] (shared memory, K-major)
template <typename T, int BT>
__device__ __forceinline__ void wgmma_rs(float (&d)[BT / 2], const uint32_t (&a)[4], uint64_t b);


// one specialization a shape and type; the accumulator's N / 2 registers spelled out
#define MARLIN_WGMMA_RS_N64(T, PTX_TYPE) \
    template <> \
    __device__ __forceinline__ void wgmma_rs<T, 64>(float (&d)[32], const uint32_t (&a)[4], uint64_t b) { \
        asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n" \
        "wgmma.mma_async.sync.aligned.m64n64k16.f32." PTX_TYPE "." PTX_TYPE " " \
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15," \
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, " \
        "{%32, %33, %34, %35}, %36, p, 1, 1, 0;\n}\n" \
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]) \
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1)); \
    }

#define MARLIN_WGMMA_RS_N128(T, PTX_TYPE) \
    template <> \
    __device__ __forceinline__ void wgmma_rs<T, 128>(float (&d)[64], const uint32_t (&a)[4], uint64_t b) { \
        asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n" \
        "wgmma.mma_async.sync.aligned.m64n128k16.f32." PTX_TYPE "." PTX_TYPE " " \
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15," \
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31," \
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47," \
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, " \
        "{%64, %65, %66, %67}, %68, p, 1, 1, 0;\n}\n" \
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]) \
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1)); \
    }

#define MARLIN_WGMMA_RS_N256(T, PTX_TYPE) \
    template <> \
    __device__ __forceinline__ void wgmma_rs<T, 256>(float (&d)[128], const uint32_t (&a)[4], uint64_t b) { \
        asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %133, 0;\n" \
        "wgmma.mma_async.sync.aligned.m64n256k16.f32." PTX_TYPE "." PTX_TYPE " " \
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15," \
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31," \
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47," \
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63," \
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79," \
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95," \
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111," \
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, " \
        "{%128, %129, %130, %131}, %132, p, 1, 1, 0;\n}\n" \
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), \
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), \
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), \
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), \
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), \
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), \
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), \
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), \
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127]) \
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1)); \
    }

MARLIN_WGMMA_RS_N64(__half, "f16")
MARLIN_WGMMA_RS_N64(__nv_bfloat16, "bf16")
MARLIN_WGMMA_RS_N128(__half, "f16")
MARLIN_WGMMA_RS_N128(__nv_bfloat16, "bf16")
MARLIN_WGMMA_RS_N256(__half, "f16")
MARLIN_WGMMA_RS_N256(__nv_bfloat16, "bf16")

#endif

template <typename T, bool ZERO_POINTS, int BT>
__device__ __forceinline__ void hopper_gemm(const CUtensorMap* x_map, const CUtensorMap* w_map, const CUtensorMap* s_map, int m, int k, int n,
                                            const uint32_t* __restrict__ codes, const T* __restrict__ scales, const uint32_t* __restrict__ zeros,
                                            int group_size, const T* __restrict__ bias, T* __restrict__ out, float* __restrict__ partials,
                                            int stages_per_split) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    using N = Numbers<T>;
    using P = typename N::Pair;
    using S = HopperStage<BT>;
    extern __shared__ unsigned char hopper_shared[];
    const unsigned raw = static_cast<unsigned>(__cvta_generic_to_shared(hopper_shared));
    const unsigned base = (raw + 1023) & ~1023u;
    unsigned char* const shared = hopper_shared + (base - raw);
    const unsigned full_barriers = base + S::STAGES * S::BYTES;  // full[i] at + 8 i, empty[i] at + 8 (STAGES + i)
    const unsigned empty_barriers = full_barriers + 8 * S::STAGES;

    // token tiles fastest: the blocks that share a column block's words run together and read them once from DRAM
    const int column_blocks = (n + HOPPER_N - 1) / HOPPER_N;
    const int column0 = (blockIdx.y % column_blocks) * HOPPER_N;
    const int split = blockIdx.y / column_blocks;
    const int token0 = blockIdx.x * BT;
    const int total_stages = k / HOPPER_STAGE_K;
    const int first_stage = split * stages_per_split;
    const int stages = min(stages_per_split, total_stages - first_stage);
    const bool one_group = group_size >= k;
    const int groups_per_stage = one_group ? 1 : max(1, HOPPER_STAGE_K / group_size);
    const int chunks = min(2, (n - column0) / 64);  // 1 in the last column block when N % 128 == 64

    const int thread = threadIdx.x;
    const int chunk = thread / 128;        // the warpgroup's 64 columns
    const int j = (thread % 128) / 32;     // the warp's 16-column sub-tile
    const int lane = thread % 32;
    const int g = lane / 4;
    const int t = lane % 4;
    const bool active = chunk < chunks;

    if (thread == 0) {
        for (int i = 0; i < S::STAGES; ++i) {
            barrier_init(full_barriers + 8 * i, 1);
            barrier_init(empty_barriers + 8 * i, HOPPER_CONSUMERS);
        }
    }
    __syncthreads();

    if (thread >= HOPPER_CONSUMERS) {
        // the producer warp: lane 0 announces the stage's bytes, copies the stage's 8 word tiles and its scale rows
        // through the tensor maps, then the two activation slices (rows past M read as zeros); lanes 1-4 copy the
        // zero-point rows as bulk copies; all counted on the full barrier. At 256 tokens lanes 2-9 copy a word tile
        // and lanes 10-13 a scale row each as bulk copies instead (see HopperStage::MAPPED).
        const unsigned bytes = HOPPER_SLICES * BT * 128 + (ZERO_POINTS ? chunks * groups_per_stage * 32 : 0)
                + (S::MAPPED ? HOPPER_TILES * 1024 + groups_per_stage * 256 : chunks * (HOPPER_TILES * 512 + groups_per_stage * 128));
        for (int s = 0; s < stages; ++s) {
            const int slot = s % S::STAGES;
            if (s >= S::STAGES) {
                barrier_wait(empty_barriers + 8 * slot, (s / S::STAGES - 1) & 1);
            }
            const unsigned stage = base + slot * S::BYTES;
            const unsigned full = full_barriers + 8 * slot;
            const int kstage = first_stage + s;
            const int group0 = one_group ? 0 : (kstage * HOPPER_STAGE_K) >> group_shift_of(group_size);
            if (lane == 0) {
                barrier_expect(full, bytes);
                if constexpr (S::MAPPED) {
                    tensor_copy(stage + S::X_BYTES, w_map, 2 * column0, kstage * HOPPER_TILES, full);
                    tensor_copy(stage + S::X_BYTES + S::W_BYTES, s_map, column0, group0, full);
                }
#pragma unroll
                for (int slice = 0; slice < HOPPER_SLICES; ++slice) {
                    tensor_copy(stage + slice * BT * 128, x_map, kstage * HOPPER_STAGE_K + 64 * slice, token0, full);
                }
            }
            __syncwarp();
            if (ZERO_POINTS && lane >= 1 && lane <= groups_per_stage) {
                const int row = lane - 1;
                bulk_copy(stage + S::X_BYTES + S::W_BYTES + S::S_BYTES + row * 64, zeros + (size_t)(group0 + row) * (n / 8) + column0 / 8, chunks * 32, full);
            }
            if constexpr (!S::MAPPED) {
                if (lane >= 2 && lane < 2 + HOPPER_TILES) {
                    const int tile = lane - 2;
                    bulk_copy(stage + S::X_BYTES + tile * 1024, codes + ((size_t)kstage * HOPPER_TILES + tile) * 2 * n + 2 * column0, chunks * 512, full);
                }
                else if (lane >= 2 + HOPPER_TILES && lane < 2 + HOPPER_TILES + groups_per_stage) {
                    const int row = lane - 2 - HOPPER_TILES;
                    bulk_copy(stage + S::X_BYTES + S::W_BYTES + row * 256, scales + (size_t)(group0 + row) * n + column0, chunks * 128, full);
                }
            }
        }
        return;
    }

    float sums[BT / 2];
#pragma unroll
    for (int i = 0; i < BT / 2; ++i) sums[i] = 0.0f;

    uint32_t a[HOPPER_TILES][4];
    for (int s = 0; s < stages; ++s) {
        const int slot = s % S::STAGES;
        barrier_wait(full_barriers + 8 * slot, (s / S::STAGES) & 1);
        fence_async_shared();
        if (!active) {
            if (s > 0) barrier_arrive(empty_barriers + 8 * ((s - 1) % S::STAGES));
            continue;
        }
        const unsigned stage_address = base + slot * S::BYTES;
        const unsigned char* stage = shared + slot * S::BYTES;
        const uint32_t* words = reinterpret_cast<const uint32_t*>(stage + S::X_BYTES);
        const unsigned char* scale_rows = stage + S::X_BYTES + S::W_BYTES;
        const unsigned char* zero_rows = scale_rows + S::S_BYTES;
        const uint64_t descriptor = swizzled_descriptor(stage_address);

        P scale[2], zero[2][2];
        auto group_pairs = [&](int group_row) {
            if (one_group) {
                const T* row = reinterpret_cast<const T*>(scale_rows);
                const T low = row[single_scale_position(64 * chunk + 16 * j + g)];
                const T high = row[single_scale_position(64 * chunk + 16 * j + 8 + g)];
                scale[0] = P(low, low);
                scale[1] = P(high, high);
            }
            else {
                const P both = as_pair<P>(reinterpret_cast<const uint32_t*>(scale_rows + group_row * 256 + chunk * 128)[grouped_scale_position(j, g) / 2]);
                scale[0] = P(both.x, both.x);
                scale[1] = P(both.y, both.y);
            }
            if constexpr (ZERO_POINTS) {
                const uint32_t zero_word = reinterpret_cast<const uint32_t*>(zero_rows + group_row * 64)[8 * chunk + g] >> (4 * j);
                const P even = as_pair<P>(lop3_and_or(zero_word, 0x000F000Fu, N::MAGIC));
                const P odd = as_pair<P>(lop3_and_or(zero_word << N::ODD_SHIFT, N::ODD_MASK, N::ODD_MAGIC));
                zero[0][0] = P(even.x, even.x);
                zero[0][1] = P(even.y, even.y);
                zero[1][0] = P(odd.x, odd.x);
                zero[1][1] = P(odd.y, odd.y);
            }
            else {
                zero[0][0] = zero[0][1] = as_pair<P>(N::BIASED);
                zero[1][0] = zero[1][1] = as_pair<P>(N::ODD_BIASED);
            }
        };
        const bool stage_group = one_group || group_size >= HOPPER_STAGE_K;
        if (stage_group) {
            group_pairs(0);
        }
#pragma unroll
        for (int tile = 0; tile < HOPPER_TILES; ++tile) {
            if (!stage_group) {
                group_pairs((tile * 16) >> group_shift_of(group_size));
            }
            const uint32_t word = words[tile * HOPPER_TILE_WORDS + 128 * chunk + 32 * j + lane];
            uint32_t (&fragment)[4] = a[tile];
            // A fragment: a0 / a1 rows g / g + 8 (column halves 0 / 1) of K pairs 2t; a2 / a3 the same of 2t + 8
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const uint32_t shifted = word >> (8 * h);
                const P even_rows = as_pair<P>(lop3_and_or(shifted, 0x000F000Fu, N::MAGIC));
                const P odd_rows = as_pair<P>(lop3_and_or(shifted >> N::ODD_RIGHT, N::ODD_MASK, N::ODD_MAGIC));
                fragment[h] = as_bits(__hmul2(__hsub2(even_rows, zero[0][h]), scale[h]));
                fragment[2 + h] = as_bits(__hmul2(__hsub2(odd_rows, zero[1][h]), scale[h]));
            }
            wgmma_fence();
            keep_registers(sums);
            // + a slice's bytes every 64 rows of K, + 32 bytes a 16-row step within the slice
            wgmma_rs<T, BT>(sums, fragment, descriptor + (tile / 4) * (BT * 128 >> 4) + 2 * (tile % 4));
            wgmma_commit();
            keep_registers(sums);
            wgmma_wait<HOPPER_IN_FLIGHT>();
            if (tile == HOPPER_IN_FLIGHT - 1 && s > 0) {
                // the stage before's MMAs are done: every consumer thread frees its slot after its own reads
                barrier_arrive(empty_barriers + 8 * ((s - 1) % S::STAGES));
            }
        }
    }
    wgmma_wait<0>();
    keep_registers(sums);
    consumers_sync();

    // the sums through shared memory, [token][column], then whole rows out
    float* tile = reinterpret_cast<float*>(shared);
    if (active) {
#pragma unroll
        for (int i = 0; i < BT / 2; ++i) {
            const int column = 64 * chunk + 16 * j + g + 8 * ((i / 2) % 2);
            const int token = 8 * (i / 4) + 2 * t + i % 2;
            tile[token * HOPPER_OUT_STRIDE + column] = sums[i];
        }
    }
    consumers_sync();
    const int quads = chunks * 16;
    for (int item = thread; item < BT * 32; item += HOPPER_CONSUMERS) {
        const int row = item / 32;
        const int quad = item % 32;
        const int token = token0 + row;
        if (token >= m || quad >= quads) {
            continue;
        }
        const float4 v = *reinterpret_cast<const float4*>(tile + row * HOPPER_OUT_STRIDE + 4 * quad);
        const int column = column0 + 4 * quad;
        if (partials != nullptr) {
            *reinterpret_cast<float4*>(partials + ((size_t)split * m + token) * n + column) = v;
        }
        else {
            float b[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            if (bias != nullptr) {
#pragma unroll
                for (int e = 0; e < 4; ++e) b[e] = static_cast<float>(bias[column + e]);
            }
            P low, high;
            low.x = T(v.x + b[0]);
            low.y = T(v.y + b[1]);
            high.x = T(v.z + b[2]);
            high.y = T(v.w + b[3]);
            // pairs: the output is only 4-byte aligned (MarlinLauncher)
            P* target = reinterpret_cast<P*>(out + (size_t)token * n + column);
            target[0] = low;
            target[1] = high;
        }
    }
#else
    __trap();  // the sm_90a image only: MarlinPlan never picks this kernel elsewhere
#endif
}

}  // namespace

// The repack: one thread per output word; gptq holds the codes as int32 [K/8, N], row 8w + i of column c at bits 4i of
// word (w, c); perm (or null) maps permuted row r to source row perm[r].
extern "C" __global__ void marlin_repack_w4(const uint32_t* __restrict__ gptq, const int* __restrict__ perm, int k, int n, uint32_t* __restrict__ out) {
    const size_t word = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (word >= (size_t)(k / 16) * 2 * n) {
        return;
    }
    const int kt = (int)(word / (2 * n));
    const int w_in_row = (int)(word % (2 * n));
    const int chunk = w_in_row / 128;
    const int j = (w_in_row % 128) / 32;
    const int lane = w_in_row % 32;
    uint32_t packed = 0;
#pragma unroll
    for (int p = 0; p < 8; ++p) {
        const int h = (p % 4) / 2;
        const int kh = p % 2;
        const int odd = p / 4;
        const int row = kt * 16 + 2 * (lane % 4) + odd + 8 * kh;
        const int column = chunk * 64 + 16 * j + 8 * h + lane / 4;
        const int source = perm != nullptr ? perm[row] : row;
        const uint32_t code = (gptq[(size_t)(source / 8) * n + column] >> (4 * (source % 8))) & 0xFu;
        packed |= code << (4 * p);
    }
    out[word] = packed;
}

#define MARLIN_GEMM(NAME, T, ZP, MB)                                                                                                     \
    extern "C" __global__ void __launch_bounds__(THREADS, Stage<MB>::BLOCKS_PER_SM) NAME(const T* x, long long ldx, int m, int k, int n, const uint32_t* codes,     \
                                                               const T* scales, const uint32_t* zeros, int group_size, const T* bias,    \
                                                               T* out, float* partials, int stages_per_split) {                         \
        gemm<T, ZP, MB>(x, ldx, m, k, n, codes, scales, zeros, group_size, bias, out, partials, stages_per_split);                       \
    }

// Above 16 rows (the decode kernel takes up to 16), 64 tokens a block: fewer row blocks re-read the weights.
MARLIN_GEMM(marlin_gemm_f16_mb4, __half, false, 4)
MARLIN_GEMM(marlin_gemm_f16_zp_mb4, __half, true, 4)
MARLIN_GEMM(marlin_gemm_bf16_mb4, __nv_bfloat16, false, 4)
MARLIN_GEMM(marlin_gemm_bf16_zp_mb4, __nv_bfloat16, true, 4)

// Above 16 rows on sm_90a: 64, 128 or 256 tokens a block (MarlinPlan picks; the other images trap).
#define MARLIN_HOPPER(NAME, T, ZP, BT)                                                                                                   \
    extern "C" __global__ void __launch_bounds__(HOPPER_THREADS, HopperStage<BT>::BLOCKS_PER_SM) NAME(                                   \
            const __grid_constant__ CUtensorMap x_map, const __grid_constant__ CUtensorMap w_map, const __grid_constant__ CUtensorMap s_map, \
            int m, int k, int n, const uint32_t* codes, const T* scales, const uint32_t* zeros, int group_size, const T* bias, T* out,      \
            float* partials, int stages_per_split) {                                                                                      \
        hopper_gemm<T, ZP, BT>(&x_map, &w_map, &s_map, m, k, n, codes, scales, zeros, group_size, bias, out, partials, stages_per_split); \
    }

MARLIN_HOPPER(marlin_hopper_f16_t64, __half, false, 64)
MARLIN_HOPPER(marlin_hopper_f16_t128, __half, false, 128)
MARLIN_HOPPER(marlin_hopper_f16_t256, __half, false, 256)
MARLIN_HOPPER(marlin_hopper_f16_zp_t64, __half, true, 64)
MARLIN_HOPPER(marlin_hopper_f16_zp_t128, __half, true, 128)
MARLIN_HOPPER(marlin_hopper_f16_zp_t256, __half, true, 256)
MARLIN_HOPPER(marlin_hopper_bf16_t64, __nv_bfloat16, false, 64)
MARLIN_HOPPER(marlin_hopper_bf16_t128, __nv_bfloat16, false, 128)
MARLIN_HOPPER(marlin_hopper_bf16_t256, __nv_bfloat16, false, 256)
MARLIN_HOPPER(marlin_hopper_bf16_zp_t64, __nv_bfloat16, true, 64)
MARLIN_HOPPER(marlin_hopper_bf16_zp_t128, __nv_bfloat16, true, 128)
MARLIN_HOPPER(marlin_hopper_bf16_zp_t256, __nv_bfloat16, true, 256)

extern "C" __global__ void marlin_reduce_f16(const float* partials, int splits, int m, int n, const __half* bias, __half* out) {
    reduce<__half>(partials, splits, m, n, bias, out);
}

extern "C" __global__ void marlin_reduce_bf16(const float* partials, int splits, int m, int n, const __nv_bfloat16* bias, __nv_bfloat16* out) {
    reduce<__nv_bfloat16>(partials, splits, m, n, bias, out);
}

#define MARLIN_DEQUANTIZE(NAME, T, ZP)                                                                                                   \
    extern "C" __global__ void __launch_bounds__(DEQUANTIZE_THREADS) NAME(const uint32_t* codes, const T* scales, const uint32_t* zeros, int group_size, int k, int n, T* w) { \
        dequantize<T, ZP>(codes, scales, zeros, group_size, k, n, w);                                                                    \
    }

MARLIN_DEQUANTIZE(marlin_dequantize_f16, __half, false)
MARLIN_DEQUANTIZE(marlin_dequantize_f16_zp, __half, true)
MARLIN_DEQUANTIZE(marlin_dequantize_bf16, __nv_bfloat16, false)
MARLIN_DEQUANTIZE(marlin_dequantize_bf16_zp, __nv_bfloat16, true)

// x_out[r, c] = x[r, perm[c]]: the activation columns in the weights' permuted row order (act-order), contiguous.
extern "C" __global__ void marlin_gather_f16(const __half* x, long long ldx, int m, int k, const int* perm, __half* x_out) {
    const size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index < (size_t)m * k) {
        const int row = (int)(index / k);
        const int column = (int)(index % k);
        x_out[index] = x[(size_t)row * ldx + perm[column]];
    }
}

extern "C" __global__ void marlin_gather_bf16(const __nv_bfloat16* x, long long ldx, int m, int k, const int* perm, __nv_bfloat16* x_out) {
    const size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index < (size_t)m * k) {
        const int row = (int)(index / k);
        const int column = (int)(index % k);
        x_out[index] = x[(size_t)row * ldx + perm[column]];
    }
}

// out[r, c] += bias[c], after the dense GEMM of the large-M path.
extern "C" __global__ void marlin_add_bias_f16(__half* out, int m, int n, const __half* bias) {
    const size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index < (size_t)m * n) {
        out[index] = __float2half_rn(__half2float(out[index]) + __half2float(bias[index % n]));
    }
}

extern "C" __global__ void marlin_add_bias_bf16(__nv_bfloat16* out, int m, int n, const __nv_bfloat16* bias) {
    const size_t index = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (index < (size_t)m * n) {
        out[index] = __float2bfloat16_rn(__bfloat162float(out[index]) + __bfloat162float(bias[index % n]));
    }
}

#define MARLIN_DECODE(NAME, T, ZP, TT)                                                                                                   \
    extern "C" __global__ void __launch_bounds__(DECODE_THREADS, DECODE_BLOCKS_PER_SM) NAME(                                             \
            const T* x, long long ldx, int m, int k, int n, const uint32_t* codes, const T* scales, const uint32_t* zeros, int group_size, \
            const T* bias, T* out, float* partials) {                                                                                     \
        decode<T, ZP, TT>(x, ldx, m, k, n, codes, scales, zeros, group_size, bias, out, partials);                                       \
    }

MARLIN_DECODE(marlin_decode_f16_tt1, __half, false, 1)
MARLIN_DECODE(marlin_decode_f16_tt2, __half, false, 2)
MARLIN_DECODE(marlin_decode_f16_zp_tt1, __half, true, 1)
MARLIN_DECODE(marlin_decode_f16_zp_tt2, __half, true, 2)
MARLIN_DECODE(marlin_decode_bf16_tt1, __nv_bfloat16, false, 1)
MARLIN_DECODE(marlin_decode_bf16_tt2, __nv_bfloat16, false, 2)
MARLIN_DECODE(marlin_decode_bf16_zp_tt1, __nv_bfloat16, true, 1)
MARLIN_DECODE(marlin_decode_bf16_zp_tt2, __nv_bfloat16, true, 2)

// Grid (column blocks, ceil(M * 256 / (2 up to 8 rows, else 4) / 128)), 128 threads.
extern "C" __global__ void marlin_decode_reduce_f16(const float* partials, int m, int n, int units_per_column, int decode_blocks, const __half* bias,
                                                    __half* out) {
    if (m <= 8) decode_reduce<__half, 2>(partials, m, n, units_per_column, decode_blocks, bias, out);
    else decode_reduce<__half, 4>(partials, m, n, units_per_column, decode_blocks, bias, out);
}

extern "C" __global__ void marlin_decode_reduce_bf16(const float* partials, int m, int n, int units_per_column, int decode_blocks,
                                                     const __nv_bfloat16* bias, __nv_bfloat16* out) {
    if (m <= 8) decode_reduce<__nv_bfloat16, 2>(partials, m, n, units_per_column, decode_blocks, bias, out);
    else decode_reduce<__nv_bfloat16, 4>(partials, m, n, units_per_column, decode_blocks, bias, out);
}
