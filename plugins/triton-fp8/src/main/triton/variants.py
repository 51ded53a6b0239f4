"""The kernel variants the triton-fp8 plugin ships; its Java variant table (TritonFp8Variants) names the same.

Names: fp8_quantize_<input>, fp8_gemm_<output>_m<BLOCK_M>n<BLOCK_N>k<BLOCK_K>, fp8_reduce_<output>.
"""
from collections import namedtuple

from fp8 import fp8_gemm, fp8_quantize_rows, fp8_reduce

RESOURCE_DIR = "dev/qlinear/tritonfp8/triton"
SOURCES = ["fp8.py", "variants.py"]
# FP8 tensor cores start at sm_89; the sm_89 PTX also runs on newer devices. MI300 (gfx942) multiplies e4m3fnuz.
# No gfx950 (MI350, e4m3fn): Triton 3.6 fails to lower the e4m3fn conversion of fp8_quantize_rows for it.
TARGETS = ["cuda:89", "cuda:90", "hip:gfx942"]
E4M3FN_TARGETS = ("cuda:89", "cuda:90")
E4M3FNUZ_TARGETS = ("hip:gfx942",)

Variant = namedtuple("Variant", "name kernel signature constexprs num_warps num_stages min_capability divisibility targets")

# What the host guarantees (N % 16 and K % 16 declared, 16-byte aligned rows, splits whole tiles).
QUANTIZE_DIVISIBILITY = {"K": 16, "stride_xm": 8}
GEMM_DIVISIBILITY = {"N": 16, "K": 16, "stride_om": 8, "k_per_split": 16}
REDUCE_DIVISIBILITY = {"N": 16, "stride_om": 8}

SIXTEEN_BIT = {"f16": "*fp16", "bf16": "*bf16"}
# (name infix, Triton pointer type, largest finite value, targets)
E4M3FN = ("", "*fp8e4nv", 448.0, E4M3FN_TARGETS)
E4M3FNUZ = ("fnuz_", "*fp8e4b8", 240.0, E4M3FNUZ_TARGETS)
# (BLOCK_M, BLOCK_N, BLOCK_K, warps, stages) by M: <= 16 (split-K), <= 64, <= 256, larger. Chosen on an H100 on
# 2026-11-22 (docs/perf/raw/triton-sweep-h100-2026-11-22.txt).
TILES = [(16, 64, 128, 4, 4), (64, 128, 128, 4, 4), (128, 128, 128, 8, 4), (256, 128, 128, 8, 3)]
# The same tiles with as many stages as MI300's 64 KiB of LDS hold; not tuned on an MI300 (none was at hand).
FNUZ_STAGES = {16: 2, 64: 2, 128: 1, 256: 1}


def quantize(fp8, act):
    infix, fp8_pointer, fp8_max, targets = fp8
    signature = {"x_ptr": SIXTEEN_BIT[act], "q_ptr": fp8_pointer, "scales_ptr": "*fp32", "static_scale_ptr": "*fp32", "K": "i32",
                 "stride_xm": "i32", "static_scale": "i32", "BLOCK_K": "constexpr", "FP8_MAX": "constexpr", "MIN_SCALE": "constexpr"}
    constexprs = {"BLOCK_K": 1024, "FP8_MAX": fp8_max, "MIN_SCALE": 1.0 / (fp8_max * 512.0)}
    return Variant(f"fp8_quantize_{infix}{act}", fp8_quantize_rows, signature, constexprs, 4, 1, 89, QUANTIZE_DIVISIBILITY, targets)


def gemm(fp8, out, tile):
    infix, fp8_pointer, _, targets = fp8
    block_m, block_n, block_k, warps, stages = tile
    if fp8 is E4M3FNUZ:
        stages = FNUZ_STAGES[block_m]
    signature = {"a_ptr": fp8_pointer, "w_ptr": fp8_pointer, "a_scales_ptr": "*fp32", "w_scales_ptr": "*fp32", "bias_ptr": SIXTEEN_BIT[out],
                 "out_ptr": SIXTEEN_BIT[out], "partials_ptr": "*fp32", "M": "i32", "N": "i32", "K": "i32", "stride_om": "i32",
                 "k_per_split": "i32", "w_scale_per_channel": "i32", "has_bias": "i32",
                 "BLOCK_M": "constexpr", "BLOCK_N": "constexpr", "BLOCK_K": "constexpr", "GROUP_M": "constexpr", "PROMOTE_K": "constexpr"}
    constexprs = {"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k, "GROUP_M": 8, "PROMOTE_K": block_k}
    return Variant(f"fp8_gemm_{infix}{out}_m{block_m}n{block_n}k{block_k}", fp8_gemm, signature, constexprs, warps, stages, 89, GEMM_DIVISIBILITY,
                   targets)


def reduce(out):
    signature = {"partials_ptr": "*fp32", "a_scales_ptr": "*fp32", "w_scales_ptr": "*fp32", "bias_ptr": SIXTEEN_BIT[out], "out_ptr": SIXTEEN_BIT[out],
                 "M": "i32", "N": "i32", "stride_om": "i32", "splits": "i32", "w_scale_per_channel": "i32", "has_bias": "i32", "BLOCK": "constexpr"}
    return Variant(f"fp8_reduce_{out}", fp8_reduce, signature, {"BLOCK": 1024}, 4, 1, 89, REDUCE_DIVISIBILITY, None)


VARIANTS = ([quantize(fp8, act) for fp8 in (E4M3FN, E4M3FNUZ) for act in SIXTEEN_BIT]
            + [gemm(fp8, out, tile) for fp8 in (E4M3FN, E4M3FNUZ) for out in SIXTEEN_BIT for tile in TILES]
            + [reduce(out) for out in SIXTEEN_BIT])
