"""The kernel variants the triton-w4a16 plugin ships; its Java variant table (TritonW4a16Variants) names the same.

Name: w4a16_<act>_<sym|zp>_m<BLOCK_M>n<BLOCK_N>k<BLOCK_K>, and w4a16_reduce_<act>.
"""
from collections import namedtuple

from w4a16 import w4a16_gemm, w4a16_gemv, w4a16_reduce

RESOURCE_DIR = "dev/qlinear/tritonw4a16/triton"
SOURCES = ["w4a16.py", "variants.py"]

# CDNA targets; RDNA would need wave32 images. Not tuned on an AMD GPU (none was at hand).
TARGETS = ["cuda:80", "cuda:90", "hip:gfx90a", "hip:gfx942", "hip:gfx950"]
# Stages that fit 64 KiB of LDS (gfx90a, gfx942) with every tile.
HIP_STAGES = 2

Variant = namedtuple("Variant", "name kernel signature constexprs num_warps num_stages min_capability divisibility hip_num_stages",
                     defaults=(HIP_STAGES,))

# What the host guarantees (N % 8 and K % 8 declared, 16-byte aligned rows, groups and splits whole tiles).
GEMM_DIVISIBILITY = {"N": 8, "K": 8, "stride_xm": 8, "stride_om": 8, "group_size": 8, "k_per_split": 16}
REDUCE_DIVISIBILITY = {"N": 8, "stride_om": 8}

ACTIVATIONS = {"f16": "*fp16", "bf16": "*bf16"}
# (BLOCK_M, BLOCK_N, warps, stages) by M: <= 16 (split-K), <= 64, <= 256, larger; each with BLOCK_K 64, and 32 for
# groups of 32. Chosen on an H100 on 2026-11-22 (docs/perf/raw/triton-sweep-h100-2026-11-22.txt).
TIERS = [(16, 128, 4, 3), (64, 128, 4, 3), (128, 128, 8, 4), (256, 128, 8, 3)]
TILES = [(block_m, block_n, block_k, warps, stages) for block_m, block_n, warps, stages in TIERS for block_k in (32, 64)]
# M = 1 (w4a16_gemv): 128 columns a program, BLOCK_K 128, or the group size when smaller. Chosen on an H100 on
# 2026-11-22 (docs/perf/raw/triton-w4a16-gemv-h100-2026-11-22.txt).
GEMV_TILES = [(1, 128, block_k, 4, 3) for block_k in (32, 64, 128)]


def gemm(act, zero_points, tile):
    block_m, block_n, block_k, warps, stages = tile
    pointer = ACTIVATIONS[act]
    signature = {"x_ptr": pointer, "codes_ptr": "*i32", "scales_ptr": pointer, "zeros_ptr": "*u8", "bias_ptr": pointer,
                 "out_ptr": pointer, "partials_ptr": "*fp32", "M": "i32", "N": "i32", "K": "i32", "stride_xm": "i32",
                 "stride_om": "i32", "group_size": "i32", "k_per_split": "i32", "has_bias": "i32",
                 "BLOCK_M": "constexpr", "BLOCK_N": "constexpr", "BLOCK_K": "constexpr", "HAS_ZP": "constexpr"}
    constexprs = {"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k, "HAS_ZP": zero_points}
    name = f"w4a16_{act}_{'zp' if zero_points else 'sym'}_m{block_m}n{block_n}k{block_k}"
    return Variant(name, w4a16_gemv if block_m == 1 else w4a16_gemm, signature, constexprs, warps, stages, 80, GEMM_DIVISIBILITY)


def reduce(act):
    pointer = ACTIVATIONS[act]
    signature = {"partials_ptr": "*fp32", "bias_ptr": pointer, "out_ptr": pointer, "M": "i32", "N": "i32", "stride_om": "i32",
                 "splits": "i32", "has_bias": "i32", "BLOCK": "constexpr"}
    return Variant(f"w4a16_reduce_{act}", w4a16_reduce, signature, {"BLOCK": 1024}, 4, 1, 80, REDUCE_DIVISIBILITY)


VARIANTS = ([gemm(act, zp, tile) for act in ACTIVATIONS for zp in (False, True) for tile in GEMV_TILES + TILES]
            + [reduce(act) for act in ACTIVATIONS])
