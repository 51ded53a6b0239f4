/*
 * libqlinear_aiter_fp8.so: the C ABI of qlinear_aiter_fp8.h over aiter's pre-shuffled FP8 GEMM (CK device op
 * DeviceGemmMultiD_Xdl_CShuffle_V3_BPreshuffle, configured as aiter's csrc/ck_gemm_a8w8_bpreshuffle does), plus our
 * own per-token quantization and bias kernels. No Python or torch at run time. docs/rocm-aiter-shim.md has the facts
 * this file relies on and what is still unverified.
 *
 * build-shim.sh compiles this one file in two roles:
 *   - default: the three ABI entry points, our kernels, the kernel_id switch (all archs in one object);
 *   - QLINEAR_CK_PART: one group of aiter CK instances for one arch. Each arch gets its own objects because CK picks
 *     the fp8 encoding of ck::f8_t for a whole translation unit (CK_USE_FNUZ_FP8 on gfx942, CK_USE_OCP_FP8 on
 *     gfx950); both passes of one compile must agree, so one arch per compile.
 */
#include <hip/hip_runtime.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

// The entry points stay visible while the rest of the library is built with -fvisibility=hidden.
#pragma GCC visibility push(default)
#include "qlinear_aiter_fp8.h"
#pragma GCC visibility pop

#include "qlinear_aiter_fp8_kernels.h" // generated: QLINEAR_FOR_EACH_KERNEL and the per-object groups

namespace qlinear {

// Defined (explicitly instantiated) only in the QLINEAR_CK_PART objects; Gfx is 942 or 950.
template <int Gfx, int KernelId>
int32_t ck_gemm(const qlinear_aiter_gemm_args& a, hipStream_t stream);

// CK sizes offsets with 32-bit index_t, so every operand must stay below 2^31 elements.
constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;

// aiter turns the CSV's splitK into KBatch = 1 << splitK; beyond 30 the shift overflows index_t.
constexpr int32_t kMaxSplitK = 30;

} // namespace qlinear

#ifdef QLINEAR_CK_PART
// ---------------------------------------------------------------------------------------------------------------------
// CK instances for one arch. build-shim.sh defines QLINEAR_GFX (942 or 950), QLINEAR_CK_GROUP (a generated
// QLINEAR_GROUP_<n> macro naming the kernel ids of this object) and CK_USE_FNUZ_FP8=1 or CK_USE_OCP_FP8=1.
// ---------------------------------------------------------------------------------------------------------------------
#include "ck/ck.hpp"
#include "ck/stream_config.hpp"
#include "ck/tensor_operation/gpu/device/gemm_specialization.hpp"
#include "ck/tensor_operation/gpu/device/impl/device_gemm_multiple_d_xdl_cshuffle_v3_b_preshuffle.hpp"
#include "ck/tensor_operation/gpu/element/element_wise_operation.hpp"
#include "ck/tensor_operation/gpu/element/unary_element_wise_operation.hpp"
#include "ck/utility/blkgemmpipe_scheduler.hpp"

#if !defined(QLINEAR_GFX) || !defined(QLINEAR_CK_GROUP)
#error "QLINEAR_CK_PART needs QLINEAR_GFX and QLINEAR_CK_GROUP (set by build-shim.sh)"
#endif

// The weights and activations were encoded for the device's native fp8; a CK build with the other encoding would
// still compile, so refuse it here.
#if QLINEAR_GFX == 942
static_assert(std::is_same_v<ck::f8_t, ck::f8_fnuz_t>, "gfx942 needs ck::f8_t = e4m3fnuz (-DCK_USE_FNUZ_FP8=1)");
#elif QLINEAR_GFX == 950
static_assert(std::is_same_v<ck::f8_t, ck::f8_ocp_t>, "gfx950 needs ck::f8_t = OCP e4m3fn (-DCK_USE_OCP_FP8=1)");
#else
#error "QLINEAR_GFX must be 942 or 950"
#endif

namespace qlinear {

namespace ckdev = ck::tensor_operation::device;
using Row         = ck::tensor_layout::gemm::RowMajor;
using Col         = ck::tensor_layout::gemm::ColumnMajor;
using PassThrough = ck::tensor_operation::element_wise::PassThrough;
using F8          = ck::f8_t;
template <ck::index_t... Is>
using S = ck::Sequence<Is...>;

// y = acc * d0 * d1, with D0 = w_scale (row-major, stride 0: one value per n) and D1 = x_scale (column-major,
// stride 0: one value per m), multiplied in the order aiter's MultiplyMultiply uses, then rounded by CK's
// type_convert to the output type.
struct RowColScale
{
    template <typename E, typename C, typename D0, typename D1>
    __host__ __device__ constexpr void operator()(E& e, const C& c, const D0& d0, const D1& d1) const
    {
        const float v = ck::type_convert<float>(c) * ck::type_convert<float>(d0) * ck::type_convert<float>(d1);
        e             = ck::type_convert<E>(v);
    }
};

// One row of aiter's kernels_list (gemm_a8w8_bpreshuffle_common.py), mapped onto the device op the way aiter's
// DeviceGemmHelperF8Flatmm does: A row-major, B column-major and pre-shuffled, two fp32 Ds, bf16 E, fp32 accumulate
// and C-shuffle, source access S<1,0,2> on dim 2 with AK1/BK1-wide vectors, no LDS padding, compute type fp8.
template <ck::index_t BlockSize,
          ck::index_t MPerBlock_,
          ck::index_t NPerBlock_,
          ck::index_t KPerBlock_,
          ck::index_t AK1,
          ck::index_t BK1,
          ck::index_t MPerXdl,
          ck::index_t NPerXdl,
          ck::index_t MXdlPerWave,
          ck::index_t NXdlPerWave,
          typename AThreadClusterK0MK1,
          typename BThreadClusterK0NK1,
          ck::index_t CShuffleMXdlPerWavePerShuffle,
          ck::index_t CShuffleNXdlPerWavePerShuffle,
          typename CShuffleThreadCluster,
          typename CShuffleScalarPerVectors,
          ck::BlockGemmPipelineScheduler Scheduler,
          ck::BlockGemmPipelineVersion Version>
struct Tile
{
    static constexpr int32_t MPerBlock = MPerBlock_;
    static constexpr int32_t NPerBlock = NPerBlock_;
    static constexpr int32_t KPerBlock = KPerBlock_;

    template <ckdev::GemmSpecialization Spec>
    using Op = ckdev::DeviceGemmMultiD_Xdl_CShuffle_V3_BPreshuffle<Row,
                                                                   Col,
                                                                   ck::Tuple<Row, Col>,
                                                                   Row,
                                                                   F8,
                                                                   F8,
                                                                   ck::Tuple<float, float>,
                                                                   ck::bhalf_t,
                                                                   float,
                                                                   float,
                                                                   PassThrough,
                                                                   PassThrough,
                                                                   RowColScale,
                                                                   Spec,
                                                                   BlockSize,
                                                                   MPerBlock_,
                                                                   NPerBlock_,
                                                                   KPerBlock_,
                                                                   AK1,
                                                                   BK1,
                                                                   MPerXdl,
                                                                   NPerXdl,
                                                                   MXdlPerWave,
                                                                   NXdlPerWave,
                                                                   AThreadClusterK0MK1,
                                                                   S<1, 0, 2>,
                                                                   S<1, 0, 2>,
                                                                   2,
                                                                   AK1,
                                                                   AK1,
                                                                   false,
                                                                   BThreadClusterK0NK1,
                                                                   S<1, 0, 2>,
                                                                   S<1, 0, 2>,
                                                                   2,
                                                                   BK1,
                                                                   BK1,
                                                                   false,
                                                                   CShuffleMXdlPerWavePerShuffle,
                                                                   CShuffleNXdlPerWavePerShuffle,
                                                                   CShuffleThreadCluster,
                                                                   CShuffleScalarPerVectors,
                                                                   Scheduler,
                                                                   Version,
                                                                   F8>;
};

template <int KernelId>
struct KernelConfig; // specialised by the generated table below

#include "qlinear_aiter_fp8_instances.inc" // generated: KernelConfig<id> : Tile<...> for every compiled id

template <typename Op>
int32_t run(const qlinear_aiter_gemm_args& a, hipStream_t stream)
{
    Op op;
    // Strides as aiter passes them for contiguous tensors: A and B by K (B keeps its [N, K] shape after the
    // shuffle), E by N, both Ds 0 (broadcast along the other dimension).
    auto arg = op.MakeArgument(a.xq,
                               a.wq,
                               std::array<const void*, 2>{a.w_scale, a.x_scale},
                               a.y,
                               a.m,
                               a.n,
                               a.k,
                               a.k,
                               a.k,
                               std::array<ck::index_t, 2>{0, 0},
                               a.n,
                               ck::index_t{1} << a.split_k,
                               PassThrough{},
                               PassThrough{},
                               RowColScale{});
    if(!op.IsSupportedArgument(arg))
        return hipErrorNotSupported;
    // Launch errors come back as exceptions from CK's hip_check_error; the ABI entry maps them.
    op.MakeInvoker().Run(arg, StreamConfig{stream});
    return hipSuccess;
}

template <int Gfx, int KernelId>
int32_t ck_gemm(const qlinear_aiter_gemm_args& a, hipStream_t stream)
{
    static_assert(Gfx == QLINEAR_GFX, "instance compiled for another arch");
    using T = KernelConfig<KernelId>;
    // aiter's generated instance pads (MNKPadding) when any dimension is off the tile, else uses Default.
    const bool pad = a.m % T::MPerBlock != 0 || a.n % T::NPerBlock != 0 || a.k % T::KPerBlock != 0;
    if(pad)
        return run<typename T::template Op<ckdev::GemmSpecialization::MNKPadding>>(a, stream);
    return run<typename T::template Op<ckdev::GemmSpecialization::Default>>(a, stream);
}

#define QLINEAR_INSTANTIATE(id) \
    template int32_t ck_gemm<QLINEAR_GFX, id>(const qlinear_aiter_gemm_args&, hipStream_t);
QLINEAR_CK_GROUP(QLINEAR_INSTANTIATE)
#undef QLINEAR_INSTANTIATE

} // namespace qlinear

#else // !QLINEAR_CK_PART
// ---------------------------------------------------------------------------------------------------------------------
// ABI entry points, our own kernels and the kernel_id dispatch.
// ---------------------------------------------------------------------------------------------------------------------
namespace qlinear {

// The dispatch below names only the arches that build-shim.sh compiled instances for.
#if QLINEAR_HAVE_GFX942
#define QLINEAR_EXTERN_942(id) extern template int32_t ck_gemm<942, id>(const qlinear_aiter_gemm_args&, hipStream_t);
QLINEAR_FOR_EACH_KERNEL(QLINEAR_EXTERN_942)
#undef QLINEAR_EXTERN_942
#endif
#if QLINEAR_HAVE_GFX950
#define QLINEAR_EXTERN_950(id) extern template int32_t ck_gemm<950, id>(const qlinear_aiter_gemm_args&, hipStream_t);
QLINEAR_FOR_EACH_KERNEL(QLINEAR_EXTERN_950)
#undef QLINEAR_EXTERN_950
#endif

// Kernels keep external linkage (hidden by -fvisibility=hidden) rather than living in an anonymous namespace.
constexpr int kQuantizeThreads = 256;

__device__ inline float bf16_to_float(uint16_t h) { return __uint_as_float(static_cast<uint32_t>(h) << 16); }

// Round to nearest even; NaN stays a quiet NaN of the same sign.
__device__ inline uint16_t float_to_bf16(float f)
{
    uint32_t u = __float_as_uint(f);
    if((u & 0x7fffffffu) > 0x7f800000u)
        return static_cast<uint16_t>((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

// fp32 -> e4m3fn (bias 7, max 448, NaN 0x7f/0xff, signed zero) or e4m3fnuz (bias 8, max 240, NaN 0x80, no
// negative zero): saturate to +-max, then round to nearest even. Our own encoder rather than the hardware
// conversion builtins, whose rounding and saturation we have not established.
template <bool Fnuz>
__device__ inline uint8_t float_to_e4m3(float v)
{
    constexpr int kBias  = Fnuz ? 8 : 7;
    constexpr float kMax = Fnuz ? 240.0f : 448.0f;
    const uint32_t sign  = (__float_as_uint(v) >> 24) & 0x80u;
    if(__builtin_isnan(v))
        return Fnuz ? 0x80u : static_cast<uint8_t>(sign | 0x7fu);
    const float a     = fminf(fabsf(v), kMax); // the clamp also maps +-inf to +-max
    const uint32_t ab = __float_as_uint(a);
    const int e       = static_cast<int>(ab >> 23) - 127; // -127 for zero and fp32 subnormals
    uint32_t code;
    if(e < 1 - kBias)
    {
        // Below the smallest normal the step is 2^(-kBias-2): count steps, ties to even. The scaling by a power of
        // two is exact; a count of 8 is the smallest normal, whose code is also 8.
        code = static_cast<uint32_t>(__builtin_rintf(a * static_cast<float>(1 << (kBias + 2))));
    }
    else
    {
        const uint32_t man = ab & 0x7fffffu;
        uint32_t q         = man >> 20; // keep 3 of 23 mantissa bits
        const uint32_t rem = man & 0xfffffu;
        if(rem > 0x80000u || (rem == 0x80000u && (q & 1u)))
            ++q;
        code = (static_cast<uint32_t>(e + kBias) << 3) + q; // q == 8 carries into the exponent
    }
    if(code == 0)
        return Fnuz ? 0x00u : static_cast<uint8_t>(sign); // fnuz has no -0
    return static_cast<uint8_t>(sign | code);
}

// One block per row: block-wide amax, then x / s with IEEE fp32 division (this object is built with
// -fhip-fp32-correctly-rounded-divide-sqrt and without denormal flushing), then our encoder.
template <bool Fnuz>
__global__ void __launch_bounds__(kQuantizeThreads) quantize_rows(const uint16_t* __restrict__ x,
                                                                  uint8_t* __restrict__ xq,
                                                                  float* __restrict__ x_scale,
                                                                  int32_t k,
                                                                  int64_t x_row_stride)
{
    __shared__ float partial[kQuantizeThreads];
    const int64_t row  = blockIdx.x;
    const uint16_t* xr = x + row * x_row_stride;
    const int tid      = threadIdx.x;

    float amax = 0.0f;
    for(int32_t i = tid; i < k; i += kQuantizeThreads)
        amax = fmaxf(amax, fabsf(bf16_to_float(xr[i])));
    partial[tid] = amax;
    __syncthreads();
    for(int width = kQuantizeThreads / 2; width > 0; width /= 2)
    {
        if(tid < width)
            partial[tid] = fmaxf(partial[tid], partial[tid + width]);
        __syncthreads();
    }

    constexpr float kFp8Max = Fnuz ? 240.0f : 448.0f;
    const float scale       = fmaxf(partial[0] / kFp8Max, 1.0f / (kFp8Max * 512.0f));
    if(tid == 0)
        x_scale[row] = scale;

    uint8_t* qr = xq + row * k;
    for(int32_t i = tid; i < k; i += kQuantizeThreads)
        qr[i] = float_to_e4m3<Fnuz>(bf16_to_float(xr[i]) / scale);
}

__global__ void add_bias_rows(uint16_t* __restrict__ y, const uint16_t* __restrict__ bias, int64_t total, int32_t n)
{
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for(int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step)
        y[i] = float_to_bf16(bf16_to_float(y[i]) + bf16_to_float(bias[i % n]));
}

namespace {

// 942 or 950 for the current device, -1 for any other arch, 0 when HIP cannot tell. gcnArchName is cached per
// device because hipGetDeviceProperties is too slow for every call.
int current_gfx()
{
    constexpr int kCachedDevices = 64;
    static std::atomic<int> cache[kCachedDevices];
    int device = 0;
    if(hipGetDevice(&device) != hipSuccess)
        return 0;
    const bool cacheable = device >= 0 && device < kCachedDevices;
    if(cacheable)
    {
        if(const int gfx = cache[device].load(std::memory_order_relaxed))
            return gfx;
    }
    hipDeviceProp_t prop;
    if(hipGetDeviceProperties(&prop, device) != hipSuccess)
        return 0;
    int gfx = -1;
    if(std::strncmp(prop.gcnArchName, "gfx942", 6) == 0)
        gfx = 942;
    else if(std::strncmp(prop.gcnArchName, "gfx950", 6) == 0)
        gfx = 950;
    if(cacheable)
        cache[device].store(gfx, std::memory_order_relaxed);
    return gfx;
}

bool known_kernel(int32_t kernel_id)
{
    switch(kernel_id)
    {
#define QLINEAR_KNOWN(id) \
    case id: return true;
        QLINEAR_FOR_EACH_KERNEL(QLINEAR_KNOWN)
#undef QLINEAR_KNOWN
    default: return false;
    }
}

template <int Gfx>
int32_t dispatch(const qlinear_aiter_gemm_args& a, hipStream_t stream)
{
    switch(a.kernel_id)
    {
#define QLINEAR_CASE(id) \
    case id: return ck_gemm<Gfx, id>(a, stream);
        QLINEAR_FOR_EACH_KERNEL(QLINEAR_CASE)
#undef QLINEAR_CASE
    default: return hipErrorInvalidValue;
    }
}

// C++ exceptions must not cross the C ABI.
template <typename F>
int32_t guarded(F&& body) noexcept
{
    try
    {
        return body();
    }
    catch(const std::bad_alloc&)
    {
        return hipErrorOutOfMemory;
    }
    catch(...)
    {
        return hipErrorUnknown;
    }
}

} // namespace
} // namespace qlinear

extern "C" int32_t qlinear_aiter_fp8_quantize(const void* arguments, void* stream)
{
    return qlinear::guarded([&]() -> int32_t {
        if(arguments == nullptr)
            return hipErrorInvalidValue;
        const auto& a = *static_cast<const qlinear_aiter_quantize_args*>(arguments);
        if(a.m < 0 || a.k < 0 || (a.fnuz != 0 && a.fnuz != 1) || (a.m > 1 && a.x_row_stride < a.k))
            return hipErrorInvalidValue;
        if(a.m == 0)
            return hipSuccess;
        if(a.x_scale == nullptr || (a.k > 0 && (a.x == nullptr || a.xq == nullptr)))
            return hipErrorInvalidValue;
        const auto s  = static_cast<hipStream_t>(stream);
        const auto* x = static_cast<const uint16_t*>(a.x);
        auto* xq      = static_cast<uint8_t*>(a.xq);
        const dim3 grid(static_cast<uint32_t>(a.m));
        const dim3 block(qlinear::kQuantizeThreads);
        if(a.fnuz)
            hipLaunchKernelGGL(qlinear::quantize_rows<true>, grid, block, 0, s, x, xq, a.x_scale, a.k, a.x_row_stride);
        else
            hipLaunchKernelGGL(qlinear::quantize_rows<false>, grid, block, 0, s, x, xq, a.x_scale, a.k, a.x_row_stride);
        return hipGetLastError();
    });
}

extern "C" int32_t qlinear_aiter_fp8_gemm(const void* arguments, void* stream)
{
    return qlinear::guarded([&]() -> int32_t {
        if(arguments == nullptr)
            return hipErrorInvalidValue;
        const auto& a = *static_cast<const qlinear_aiter_gemm_args*>(arguments);
        if(!qlinear::known_kernel(a.kernel_id) || a.m < 0 || a.n < 0 || a.k < 0 || a.split_k < 0 ||
           a.split_k > qlinear::kMaxSplitK)
            return hipErrorInvalidValue;
        if(a.m == 0 || a.n == 0)
            return hipSuccess;
        if(a.y == nullptr || (a.k > 0 && (a.xq == nullptr || a.wq == nullptr || a.x_scale == nullptr ||
                                          a.w_scale == nullptr)))
            return hipErrorInvalidValue;
        const int64_t m = a.m, n = a.n, k = a.k;
        if(m * k > qlinear::kMaxElements || n * k > qlinear::kMaxElements || m * n > qlinear::kMaxElements)
            return hipErrorNotSupported;
        const auto s = static_cast<hipStream_t>(stream);
        if(a.k == 0) // an empty sum; CK has no instance for it
            return hipMemsetAsync(a.y, 0, static_cast<size_t>(m * n) * sizeof(uint16_t), s);
        switch(qlinear::current_gfx())
        {
#if QLINEAR_HAVE_GFX942
        case 942: return qlinear::dispatch<942>(a, s);
#endif
#if QLINEAR_HAVE_GFX950
        case 950: return qlinear::dispatch<950>(a, s);
#endif
        case 0: return hipErrorInvalidDevice;
        default: return hipErrorNoBinaryForGpu;
        }
    });
}

extern "C" int32_t qlinear_aiter_fp8_add_bias(const void* arguments, void* stream)
{
    return qlinear::guarded([&]() -> int32_t {
        if(arguments == nullptr)
            return hipErrorInvalidValue;
        const auto& a = *static_cast<const qlinear_aiter_bias_args*>(arguments);
        if(a.m < 0 || a.n < 0)
            return hipErrorInvalidValue;
        const int64_t total = static_cast<int64_t>(a.m) * a.n;
        if(total == 0)
            return hipSuccess;
        if(a.y == nullptr || a.bias == nullptr)
            return hipErrorInvalidValue;
        constexpr int kThreads  = 256;
        constexpr int64_t kGrid = 65536; // grid-stride beyond this
        const int64_t blocks    = (total + kThreads - 1) / kThreads;
        const dim3 grid(static_cast<uint32_t>(blocks < kGrid ? blocks : kGrid));
        hipLaunchKernelGGL(qlinear::add_bias_rows,
                           grid,
                           dim3(kThreads),
                           0,
                           static_cast<hipStream_t>(stream),
                           static_cast<uint16_t*>(a.y),
                           static_cast<const uint16_t*>(a.bias),
                           total,
                           a.n);
        return hipGetLastError();
    });
}

#endif // QLINEAR_CK_PART
