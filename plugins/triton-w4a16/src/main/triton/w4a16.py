"""W4A16 GEMM: y[M, N] = x[M, K] . W[K, N] (+ bias), W dequantized from 4-bit codes in the tile.

Prepared layout (qlinear "triton-w4a16-kn8"):
  codes   int32 [ceil(K/8), N]: word (r, n) holds the codes of rows k = 8r .. 8r+7 of column n, row 8r+i at bits 4i.
          Columns are contiguous, so a tile of BLOCK_K/8 word rows by BLOCK_N columns is BLOCK_K/8 runs of 4*BLOCK_N
          bytes: every byte loaded is used, whatever BLOCK_N the variant has.
  scales  activation dtype [ceil(K/G), N], one row per group (one row when channelwise; the last group may be short).
  zeros   uint8 [ceil(K/G), N] raw zero points (uint4 only); uint4b8 subtracts 8.
W[k, n] = (q[k, n] - z[k/G, n]) * s[k/G, n], formed in the activation dtype as the reference does.

variants.py states which integer parameters are multiples of 8 or 16 (N, K, row strides, group size, split length):
the images are compiled for that, which lets loads and stores move 16 bytes at a time, and the host refuses launches
that break it. A K tile must never straddle a group: the host keeps G % BLOCK_K == 0 (channelwise: G = K) and k_per_split a
multiple of BLOCK_K.
"""
import triton
import triton.language as tl


@triton.jit(do_not_specialize=["M", "has_bias"])
def w4a16_gemm(x_ptr, codes_ptr, scales_ptr, zeros_ptr, bias_ptr, out_ptr, partials_ptr,
               M, N, K, stride_xm, stride_om, group_size, k_per_split, has_bias,
               BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, HAS_ZP: tl.constexpr):
    """One BLOCK_M x BLOCK_N output tile over one K split (grid: N tiles, splits, M tiles).

    With one split the tile is finished here (bias in fp32, one rounding). With several, each writes its fp32
    partial sums to partials[split, M, N] and w4a16_reduce adds them in split order, so results never depend on
    timing.
    """
    pid_n = tl.program_id(0)
    pid_k = tl.program_id(1)
    pid_m = tl.program_id(2)
    splits = tl.num_programs(1)

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_m = offs_m < M
    mask_n = offs_n < N
    # 1024.0 in fp16, 128.0 in bf16: floats whose last mantissa bits hold a 4-bit code exactly
    MAGIC: tl.constexpr = 0x4300 if x_ptr.dtype.element_ty == tl.bfloat16 else 0x6400
    MAGIC_VALUE: tl.constexpr = 128.0 if x_ptr.dtype.element_ty == tl.bfloat16 else 1024.0
    rows_x = x_ptr + offs_m.to(tl.int64)[:, None] * stride_xm
    word_rows = (K + 7) // 8
    shifts = tl.arange(0, 8) * 4

    k_start = pid_k * k_per_split
    k_end = tl.minimum(k_start + k_per_split, K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(k_start, k_end, BLOCK_K):
        offs_k = k0 + tl.arange(0, BLOCK_K)
        x = tl.load(rows_x + offs_k[None, :], mask=mask_m[:, None] & (offs_k[None, :] < k_end), other=0.0)
        offs_r = k0 // 8 + tl.arange(0, BLOCK_K // 8)
        words = tl.load(codes_ptr + offs_r.to(tl.int64)[:, None] * N + offs_n[None, :],
                        mask=(offs_r[:, None] < word_rows) & mask_n[None, :], other=0)
        q = tl.reshape((words[:, None, :] >> shifts[None, :, None]) & 0xF, (BLOCK_K, BLOCK_N))
        group = k0 // group_size
        s = tl.load(scales_ptr + group * N + offs_n, mask=mask_n, other=0.0)
        # q - z formed without int-to-float conversions (a quarter-rate instruction): MAGIC | q is the 16-bit float
        # MAGIC_VALUE + q, exact, and so is MAGIC_VALUE + z; their difference is q - z exactly
        w = (q | MAGIC).to(tl.int16).to(x.dtype, bitcast=True)
        if HAS_ZP:
            z = tl.load(zeros_ptr + group * N + offs_n, mask=mask_n, other=0).to(tl.int32)
            w = w - (z | MAGIC).to(tl.int16).to(x.dtype, bitcast=True)[None, :]
        else:
            w = w - (MAGIC_VALUE + 8.0)
        acc = tl.dot(x, w * s[None, :], acc)

    mask = mask_m[:, None] & mask_n[None, :]
    if splits == 1:
        if has_bias != 0:
            acc += tl.load(bias_ptr + offs_n, mask=mask_n, other=0.0).to(tl.float32)[None, :]
        out = out_ptr + offs_m.to(tl.int64)[:, None] * stride_om + offs_n[None, :]
        tl.store(out, acc.to(out_ptr.dtype.element_ty), mask=mask)
    else:
        part = partials_ptr + (pid_k * M + offs_m).to(tl.int64)[:, None] * N + offs_n[None, :]
        tl.store(part, acc, mask=mask)


@triton.jit(do_not_specialize=["M", "has_bias"])
def w4a16_gemv(x_ptr, codes_ptr, scales_ptr, zeros_ptr, bias_ptr, out_ptr, partials_ptr,
               M, N, K, stride_xm, stride_om, group_size, k_per_split, has_bias,
               BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, HAS_ZP: tl.constexpr):
    """w4a16_gemm's contract for one row a program (BLOCK_M = 1; grid: N tiles, splits, M): the dot products are
    summed in registers rather than on tensor cores, so the dequantized tile never goes through shared memory, which
    is what holds the tiled kernel's decode back. W is formed as in w4a16_gemm, (q - z) * s in the activation dtype."""
    pid_n = tl.program_id(0)
    pid_k = tl.program_id(1)
    m = tl.program_id(2)
    splits = tl.num_programs(1)

    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_n = offs_n < N
    MAGIC: tl.constexpr = 0x4300 if x_ptr.dtype.element_ty == tl.bfloat16 else 0x6400
    MAGIC_VALUE: tl.constexpr = 128.0 if x_ptr.dtype.element_ty == tl.bfloat16 else 1024.0
    row_x = x_ptr + m.to(tl.int64) * stride_xm
    word_rows = (K + 7) // 8
    shifts = tl.arange(0, 8) * 4

    k_start = pid_k * k_per_split
    k_end = tl.minimum(k_start + k_per_split, K)
    acc = tl.zeros((BLOCK_N,), dtype=tl.float32)
    for k0 in range(k_start, k_end, BLOCK_K):
        offs_r = k0 // 8 + tl.arange(0, BLOCK_K // 8)
        words = tl.load(codes_ptr + offs_r.to(tl.int64)[:, None] * N + offs_n[None, :],
                        mask=(offs_r[:, None] < word_rows) & mask_n[None, :], other=0)
        offs_k = k0 + tl.arange(0, BLOCK_K)
        x = tl.load(row_x + offs_k, mask=offs_k < k_end, other=0.0)
        q = (words[:, None, :] >> shifts[None, :, None]) & 0xF
        group = k0 // group_size
        s = tl.load(scales_ptr + group * N + offs_n, mask=mask_n, other=0.0)
        w = (q | MAGIC).to(tl.int16).to(x.dtype, bitcast=True)
        if HAS_ZP:
            z = tl.load(zeros_ptr + group * N + offs_n, mask=mask_n, other=0).to(tl.int32)
            w = w - (z | MAGIC).to(tl.int16).to(x.dtype, bitcast=True)[None, None, :]
        else:
            w = w - (MAGIC_VALUE + 8.0)
        w = w * s[None, None, :]
        x8 = tl.reshape(x, (BLOCK_K // 8, 8)).to(tl.float32)
        acc += tl.sum(tl.sum(w.to(tl.float32) * x8[:, :, None], axis=1), axis=0)

    if splits == 1:
        if has_bias != 0:
            acc += tl.load(bias_ptr + offs_n, mask=mask_n, other=0.0).to(tl.float32)
        tl.store(out_ptr + m.to(tl.int64) * stride_om + offs_n, acc.to(out_ptr.dtype.element_ty), mask=mask_n)
    else:
        tl.store(partials_ptr + (pid_k * M + m).to(tl.int64) * N + offs_n, acc, mask=mask_n)


@triton.jit(do_not_specialize=["M", "splits", "has_bias"])
def w4a16_reduce(partials_ptr, bias_ptr, out_ptr, M, N, stride_om, splits, has_bias, BLOCK: tl.constexpr):
    """out = sum over splits of partials[split, M, N] (in split order) + bias, rounded once."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    total = M.to(tl.int64) * N
    mask = offs < total
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for split in range(0, splits):
        acc += tl.load(partials_ptr + split * total + offs, mask=mask, other=0.0)
    m = offs // N
    n = offs % N
    if has_bias != 0:
        acc += tl.load(bias_ptr + n, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + m * stride_om + n, acc.to(out_ptr.dtype.element_ty), mask=mask)
