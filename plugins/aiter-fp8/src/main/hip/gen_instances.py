#!/usr/bin/env python3
"""Build-time generator for libqlinear_aiter_fp8.so (see build-shim.sh and docs/rocm-aiter-shim.md).

Reads aiter's kernels_list (csrc/ck_gemm_a8w8_bpreshuffle/gemm_a8w8_bpreshuffle_common.py, loaded from the checkout
so kernelIds mean exactly what that aiter means by them) and the tuned CSV, and writes into --out:

  qlinear_aiter_fp8_kernels.h     QLINEAR_FOR_EACH_KERNEL(X) and one QLINEAR_GROUP_<g>(X) per compiled object
  qlinear_aiter_fp8_instances.inc KernelConfig<id> : Tile<...> for every compiled kernelId
  groups.txt                      "<g> <instance name>" per object, for build-shim.sh
  kernels.list                    the compiled kernelIds, one per line, ascending

Only the Python standard library is used: no torch, no pandas.
"""
import argparse
import csv
import importlib.util
import os
import sys

ARCHS = ("gfx942", "gfx950")
# aiter's chip_info._LEGACY_CU_NUM_TO_GFX: CSVs that predate the gfx column were tuned on these.
LEGACY_CU_NUM_TO_GFX = {80: "gfx942", 304: "gfx942", 256: "gfx950"}
FIELDS = (
    "BLOCK_SIZE", "MPerBLOCK", "NPerBLOCK", "KPerBLOCK", "AK1", "BK1", "MPerXDL", "NPerXDL",
    "WAVE_MAP_M", "WAVE_MAP_N", "ABLOCK_TRANSFER", "BBLOCK_TRANSFER",
    "CSHUFFLE_MX_PER_WAVE_PERSHUFFLE", "CSHUFFLE_NX_PER_WAVE_PERSHUFFLE",
    "CBLOCK_TRANSFER", "CBLOCK_SPV", "PIPELINE_Sched", "PIPELINE_VERSION",
)
MAX_SPLIT_K = 30  # matches kMaxSplitK in the shim


def die(message):
    sys.exit(f"gen_instances.py: error: {message}")


def load_kernels(aiter):
    """kernelId -> kernelInstance."""
    path = os.path.join(aiter, "csrc", "ck_gemm_a8w8_bpreshuffle", "gemm_a8w8_bpreshuffle_common.py")
    if not os.path.isfile(path):
        die(f"missing {path}")
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("gemm_a8w8_bpreshuffle_common", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - any import failure is fatal and must name the file
        die(f"cannot load {path}: {e!r}")
    kernels = getattr(module, "kernels_list", None)
    if isinstance(kernels, (list, tuple)):
        kernels = dict(enumerate(kernels))
    if not isinstance(kernels, dict) or not kernels:
        die(f"{path} has no kernels_list")
    for kid, k in kernels.items():
        missing = [f for f in FIELDS if not hasattr(k, f)]
        if missing:
            die(f"kernels_list[{kid}] lacks {missing}; this aiter's kernelInstance changed shape")
        if k.PIPELINE_Sched not in ("Intrawave", "Interwave") or int(k.PIPELINE_VERSION) not in (1, 2, 3, 4, 5):
            die(f"kernels_list[{kid}] has pipeline {k.PIPELINE_Sched} v{k.PIPELINE_VERSION}")
    return path, kernels


def csv_kernel_ids(csv_path, kernels):
    """kernelIds of the CSV's ck rows tuned for gfx942/gfx950, checked against kernels_list."""
    ids, bad = set(), []
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    for line, row in enumerate(rows, start=2):
        if (row.get("libtype") or "").strip() != "ck":
            continue
        gfx = (row.get("gfx") or "").strip()
        if not gfx:
            try:
                gfx = LEGACY_CU_NUM_TO_GFX.get(int(row.get("cu_num") or -1), "")
            except ValueError:
                gfx = ""
        if gfx not in ARCHS:
            continue
        try:
            kid = int(row["kernelId"])
            split_k = int(row.get("splitK") or 0)
        except (KeyError, ValueError):
            bad.append(f"line {line}: kernelId/splitK not integers: {row}")
            continue
        if kid not in kernels:
            bad.append(f"line {line}: kernelId {kid} is not in kernels_list (size {len(kernels)})")
            continue
        name = (row.get("kernelName") or "").strip()
        if name and name != kernels[kid].name:
            bad.append(f"line {line}: kernelName {name} but kernels_list[{kid}] is {kernels[kid].name}")
            continue
        if not 0 <= split_k <= MAX_SPLIT_K:
            bad.append(f"line {line}: splitK {split_k} outside [0, {MAX_SPLIT_K}] (KBatch = 1 << splitK)")
            continue
        ids.add(kid)
    if bad:
        die(f"{csv_path} does not match this aiter's kernels_list:\n  " + "\n  ".join(bad))
    return ids


def seq(values):
    return "S<" + ", ".join(str(int(v)) for v in values) + ">"


def tile(k):
    return (
        f"Tile<{k.BLOCK_SIZE}, {k.MPerBLOCK}, {k.NPerBLOCK}, {k.KPerBLOCK}, {k.AK1}, {k.BK1}, "
        f"{k.MPerXDL}, {k.NPerXDL}, {k.WAVE_MAP_M}, {k.WAVE_MAP_N}, "
        f"{seq(k.ABLOCK_TRANSFER)}, {seq(k.BBLOCK_TRANSFER)}, "
        f"{k.CSHUFFLE_MX_PER_WAVE_PERSHUFFLE}, {k.CSHUFFLE_NX_PER_WAVE_PERSHUFFLE}, "
        f"{seq(k.CBLOCK_TRANSFER)}, {seq(k.CBLOCK_SPV)}, "
        f"ck::BlockGemmPipelineScheduler::{k.PIPELINE_Sched}, ck::BlockGemmPipelineVersion::v{int(k.PIPELINE_VERSION)}>"
    )


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aiter", required=True, help="aiter source checkout")
    parser.add_argument("--csv", required=True, help="a8w8_bpreshuffle tuned CSV")
    parser.add_argument("--out", required=True, help="directory for the generated files")
    args = parser.parse_args()

    common_path, kernels = load_kernels(args.aiter)
    if not os.path.isfile(args.csv):
        die(f"missing {args.csv}")
    from_csv = csv_kernel_ids(args.csv, kernels)
    # qlinear runs a shape only where a tuned row names the kernel, so untuned instances would never be called
    ids = sorted(from_csv)
    if not ids:
        die(f"{args.csv} has no fp8 rows of libtype ck for {'/'.join(ARCHS)}; tune the shapes you serve with aiter's "
            "csrc/ck_gemm_a8w8_bpreshuffle/gemm_a8w8_bpreshuffle_tune.py --libtype ck and pass its output as QLINEAR_CSV")

    # One object per distinct instance: kernelIds with identical parameters share their CK kernels.
    groups = {}
    for kid in ids:
        groups.setdefault(kernels[kid].name, []).append(kid)
    names = sorted(groups, key=lambda name: groups[name][0])

    os.makedirs(args.out, exist_ok=True)
    header = [
        "// Generated by gen_instances.py; do not edit.",
        f"// kernels_list: {common_path}",
        f"// tuned CSV:    {args.csv}",
        f"// ck kernelIds from the CSV: {ids}",
        "#pragma once",
        "#define QLINEAR_FOR_EACH_KERNEL(X) " + " ".join(f"X({kid})" for kid in ids),
    ]
    for g, name in enumerate(names):
        header.append(f"#define QLINEAR_GROUP_{g}(X) " + " ".join(f"X({kid})" for kid in groups[name]))
    write(os.path.join(args.out, "qlinear_aiter_fp8_kernels.h"), "\n".join(header) + "\n")

    inc = ["// Generated by gen_instances.py; do not edit. Included inside namespace qlinear."]
    for kid in ids:
        k = kernels[kid]
        inc.append(f"// kernelId {kid}: {k.name}")
        inc.append(f"template <> struct KernelConfig<{kid}> : {tile(k)} {{}};")
    write(os.path.join(args.out, "qlinear_aiter_fp8_instances.inc"), "\n".join(inc) + "\n")

    write(os.path.join(args.out, "groups.txt"), "".join(f"{g} {name}\n" for g, name in enumerate(names)))
    write(os.path.join(args.out, "kernels.list"), "".join(f"{kid}\n" for kid in ids))
    print(f"gen_instances.py: {len(ids)} kernelIds in {len(names)} objects per arch")
    for kid in ids:
        print(f"  {kid:4d} {kernels[kid].name}")


if __name__ == "__main__":
    main()
