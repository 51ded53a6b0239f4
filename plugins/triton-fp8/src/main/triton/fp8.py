"""FP8 W8A8 GEMM with per-token (or per-tensor) activation and per-channel (or per-tensor) weight scales.

y[m, n] = s_a[m] * s_w[n] * sum_k A_q[m, k] * W_q[n, k] + bias[n], accumulated in fp32, rounded once to the output
type. variants.py states which integer parameters are multiples of 16 or 8 (N, K, row strides, split length): the
images are compiled for that, so tiles are copied 16 bytes at a time, and the host refuses launches that break it.
The weight stays in the checkpoint's [N, K] layout (K contiguous): that is the K-major B operand the FP8 tensor
core instructions read.
"""
import triton
import triton.language as tl


@triton.jit(do_not_specialize=["static_scale"])
def fp8_quantize_rows(x_ptr, q_ptr, scales_ptr, static_scale_ptr, K, stride_xm, static_scale,
                      BLOCK_K: tl.constexpr, FP8_MAX: tl.constexpr, MIN_SCALE: tl.constexpr):
    """One row per program: s = max(amax / FP8_MAX, MIN_SCALE) (or the static scale), q = saturate(x / s), rounded
    to nearest even. Writes q[M, K] contiguous and s[M] in fp32."""
    m = tl.program_id(0).to(tl.int64)
    row = x_ptr + m * stride_xm
    if static_scale != 0:
        scale = tl.load(static_scale_ptr)
    else:
        amax = tl.zeros((BLOCK_K,), dtype=tl.float32)
        for k0 in range(0, K, BLOCK_K):
            offs = k0 + tl.arange(0, BLOCK_K)
            x = tl.load(row + offs, mask=offs < K, other=0.0).to(tl.float32)
            amax = tl.maximum(amax, tl.abs(x))
        # divisions rounded once, as the reference divides (Triton's "/" is an approximate fp32 division)
        scale = tl.maximum(tl.math.div_rn(tl.max(amax, axis=0), FP8_MAX), MIN_SCALE)
    tl.store(scales_ptr + m, scale)
    for k0 in range(0, K, BLOCK_K):
        offs = k0 + tl.arange(0, BLOCK_K)
        x = tl.load(row + offs, mask=offs < K, other=0.0).to(tl.float32)
        q = tl.clamp(tl.math.div_rn(x, scale), -FP8_MAX, FP8_MAX)
        tl.store(q_ptr + m * K + offs, q.to(q_ptr.dtype.element_ty), mask=offs < K)


@triton.jit(do_not_specialize=["M", "w_scale_per_channel", "has_bias"])
def fp8_gemm(a_ptr, w_ptr, a_scales_ptr, w_scales_ptr, bias_ptr, out_ptr, partials_ptr,
             M, N, K, stride_om, k_per_split, w_scale_per_channel, has_bias,
             BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr, PROMOTE_K: tl.constexpr):
    """One BLOCK_M x BLOCK_N tile over one K split (grid: tiles, splits). Tiles are visited in groups of GROUP_M
    rows of tiles so that neighbouring programs share weight columns in L2. With several splits the fp32 partial
    sums go to partials[split, M, N] (unscaled) and fp8_reduce finishes them in split order."""
    pid = tl.program_id(0)
    pid_k = tl.program_id(1)
    splits = tl.num_programs(1)
    tiles_m = tl.cdiv(M, BLOCK_M)
    tiles_n = tl.cdiv(N, BLOCK_N)
    per_group = GROUP_M * tiles_n
    first_m = (pid // per_group) * GROUP_M
    group_rows = tl.minimum(tiles_m - first_m, GROUP_M)
    pid_m = first_m + (pid % per_group) % group_rows
    pid_n = (pid % per_group) // group_rows

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_m = offs_m < M
    mask_n = offs_n < N
    a_rows = a_ptr + offs_m.to(tl.int64)[:, None] * K
    w_cols = w_ptr + offs_n.to(tl.int64)[None, :] * K

    k_start = pid_k * k_per_split
    k_end = tl.minimum(k_start + k_per_split, K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(k_start, k_end, BLOCK_K):
        offs_k = k0 + tl.arange(0, BLOCK_K)
        mask_k = offs_k < k_end
        a = tl.load(a_rows + offs_k[None, :], mask=mask_m[:, None] & mask_k[None, :], other=0.0)
        w = tl.load(w_cols + offs_k[:, None], mask=mask_k[:, None] & mask_n[None, :], other=0.0)
        # Hopper's FP8 MMA adds in reduced precision: fold its sums into the fp32 accumulator every PROMOTE_K
        # elements of K, as torch._scaled_mm without fast accumulation does (Triton would let it run over all of K)
        acc = tl.dot(a, w, acc, max_num_imprecise_acc=PROMOTE_K)

    mask = mask_m[:, None] & mask_n[None, :]
    if splits == 1:
        a_scale = tl.load(a_scales_ptr + offs_m, mask=mask_m, other=0.0)
        if w_scale_per_channel != 0:
            w_scale = tl.load(w_scales_ptr + offs_n, mask=mask_n, other=0.0)
        else:
            w_scale = tl.load(w_scales_ptr + offs_n * 0)
        acc = acc * a_scale[:, None] * w_scale[None, :]
        if has_bias != 0:
            acc += tl.load(bias_ptr + offs_n, mask=mask_n, other=0.0).to(tl.float32)[None, :]
        out = out_ptr + offs_m.to(tl.int64)[:, None] * stride_om + offs_n[None, :]
        tl.store(out, acc.to(out_ptr.dtype.element_ty), mask=mask)
    else:
        part = partials_ptr + (pid_k * M + offs_m).to(tl.int64)[:, None] * N + offs_n[None, :]
        tl.store(part, acc, mask=mask)


@triton.jit(do_not_specialize=["M", "splits", "w_scale_per_channel", "has_bias"])
def fp8_reduce(partials_ptr, a_scales_ptr, w_scales_ptr, bias_ptr, out_ptr, M, N, stride_om, splits, w_scale_per_channel, has_bias,
               BLOCK: tl.constexpr):
    """out = s_a[m] * s_w[n] * (sum over splits of partials[split, M, N], in split order) + bias, rounded once."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    total = M.to(tl.int64) * N
    mask = offs < total
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for split in range(0, splits):
        acc += tl.load(partials_ptr + split * total + offs, mask=mask, other=0.0)
    m = offs // N
    n = offs % N
    a_scale = tl.load(a_scales_ptr + m, mask=mask, other=0.0)
    if w_scale_per_channel != 0:
        w_scale = tl.load(w_scales_ptr + n, mask=mask, other=0.0)
    else:
        w_scale = tl.load(w_scales_ptr + n * 0, mask=mask, other=0.0)
    acc = acc * a_scale * w_scale
    if has_bias != 0:
        acc += tl.load(bias_ptr + n, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + m * stride_om + n, acc.to(out_ptr.dtype.element_ty), mask=mask)
