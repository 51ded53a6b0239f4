/*
 * The C ABI between qlinear's aiter-fp8 plugin and libqlinear_aiter_fp8.so, the shim built on a ROCm host by
 * build-shim.sh. Every entry point has the host calling convention of qlinear's SPI (HostLibrary):
 *
 *     int32_t entry(const void* arguments, void* stream);
 *
 * arguments points at the struct below that belongs to the entry point, laid out as a C compiler lays it out;
 * stream is a hipStream_t. The return value is a hipError_t, 0 for success. Nothing here allocates or synchronizes.
 * A test of the plugin compiles this header and compares every offset with the plugin's argument signatures.
 */
#ifndef QLINEAR_AITER_FP8_H
#define QLINEAR_AITER_FP8_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Per-token dynamic quantization of bf16 activations (KERNELS.md 2.4):
 * s[m] = max(amax(x[m, :]) / fp8_max, 1 / (fp8_max * 512)), xq[m, k] = round_nearest_even(x[m, k] / s[m]),
 * saturated to +-fp8_max, where fp8_max is 448 (e4m3fn) or 240 (e4m3fnuz). */
typedef struct qlinear_aiter_quantize_args {
    const void* x;        /* bf16 [m, k], row m at x + m * x_row_stride elements */
    void* xq;             /* fp8 [m, k], contiguous */
    float* x_scale;       /* fp32 [m] */
    int32_t m;
    int32_t k;
    int64_t x_row_stride; /* elements */
    int32_t fnuz;         /* 1: e4m3fnuz (gfx942), 0: e4m3fn (gfx950) */
} qlinear_aiter_quantize_args;

/* y = (x_scale[m] * w_scale[n] * sum_k xq[m, k] * wq[n, k]) in bf16, through aiter's CK instance kernel_id
 * (the kernelId column of aiter's a8w8_bpreshuffle tuned-GEMM CSV, libtype ck) with the CSV's splitK. */
typedef struct qlinear_aiter_gemm_args {
    const void* xq;       /* fp8 [m, k], contiguous */
    const void* wq;       /* fp8 [n, k], pre-shuffled into aiter's (16, 16) layout */
    const float* x_scale; /* fp32 [m] */
    const float* w_scale; /* fp32 [n] */
    void* y;              /* bf16 [m, n], contiguous */
    int32_t m;
    int32_t n;
    int32_t k;
    int32_t kernel_id;
    int32_t split_k;
} qlinear_aiter_gemm_args;

/* y[m, n] = bf16(float(y[m, n]) + float(bias[n])): aiter's pre-shuffled GEMM fuses no bias. */
typedef struct qlinear_aiter_bias_args {
    void* y;              /* bf16 [m, n], contiguous */
    const void* bias;     /* bf16 [n] */
    int32_t m;
    int32_t n;
} qlinear_aiter_bias_args;

int32_t qlinear_aiter_fp8_quantize(const void* arguments, void* stream);
int32_t qlinear_aiter_fp8_gemm(const void* arguments, void* stream);
int32_t qlinear_aiter_fp8_add_bias(const void* arguments, void* stream);

#ifdef __cplusplus
}
#endif

#endif
