#!/usr/bin/env python3
"""Compiles a plugin's Triton kernels ahead of time into kernel images for its jar.

    python3 plugins/triton-aot.py plugins/triton-w4a16 [--target cuda:80 --target cuda:90 | --target hip:gfx942]

The plugin's src/main/triton/variants.py names its kernels: RESOURCE_DIR (where in the jar the images go, under
src/main/resources), SOURCES (the files the kernels are built from), optionally TARGETS (default cuda:80 and cuda:90) and VARIANTS, each a Variant(name, kernel,
signature, constexprs, num_warps, num_stages, min_capability, divisibility[, targets][, hip_num_stages]); a variant
with targets is compiled only for those it names, such as ("hip:gfx942",), and hip_num_stages replaces num_stages
for ROCm targets, whose LDS is smaller than an NVIDIA multiprocessor's shared memory. For every variant and target this writes, into the resource folder:

  NAME.TARGET.cubin  machine code: sm_80 (runs on 8.x), sm_90a (9.0 only), ...   (CUDA)
  NAME.TARGET.ptx    PTX, compute_80: the driver compiles it for 8.0 and newer     (CUDA, with --ptx-from)
  NAME.TARGET.hsaco  a code object for one gfx architecture                          (ROCm)
  NAME.TARGET.json   the manifest: the entry point, every launch parameter in order including the two scratch
                     pointers Triton appends, warps, stages, shared memory, constexprs, Triton version, and the
                     SHA-256 of every source, which the plugin's tests recompute to catch stale images
  images.list        one line per image: NAME TARGET

It needs Triton 3.6 (pip install triton==3.6.0) and no GPU: targets are named, not detected. The pip wheel carries
the AMD backend with its own LLVM and linker, so hip:gfx942 and hip:gfx950 code objects are built here too.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

# line tables would double the images; the bundle has no room for them
os.environ.setdefault("TRITON_DISABLE_LINE_INFO", "1")

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

DEFAULT_TARGETS = ["cuda:80", "cuda:90"]
POINTER_ALIGNMENT = 16
# LDS per workgroup: a code object asking for more does not launch
HIP_SHARED_LIMIT = {"gfx90a": 64 * 1024, "gfx942": 64 * 1024, "gfx950": 160 * 1024}


def load_variants(triton_dir: Path):
    sys.path.insert(0, str(triton_dir))
    spec = importlib.util.spec_from_file_location("variants", triton_dir / "variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_target(text: str) -> GPUTarget:
    backend, _, arch = text.partition(":")
    if backend == "cuda":
        return GPUTarget("cuda", int(arch), 32)
    if backend == "hip":
        return GPUTarget("hip", arch, 64)
    raise SystemExit(f"target '{text}' must be cuda:<capability> such as cuda:90, or hip:<gfx arch> such as hip:gfx942")


def target_names(target: GPUTarget, ptx_from: set):
    """The image names a compilation gives: SASS for the architecture, plus PTX where asked for."""
    if target.backend == "hip":
        return [(target.arch, "hsaco")]
    names = [(f"sm_{target.arch}a" if target.arch >= 90 else f"sm_{target.arch}", "cubin")]
    if target.arch in ptx_from:
        names.append((f"compute_{target.arch}", "ptx"))
    return names


def divisibility(variant):
    """Every parameter the image may assume a multiple of: pointers 16-byte aligned (as Triton assumes for aligned
    tensors when it compiles just in time), integers as the variant states. The host checks each before a launch."""
    pointers = {name: POINTER_ALIGNMENT for name, kind in variant.signature.items() if kind.startswith("*")}
    unknown = set(variant.divisibility) - set(variant.signature)
    if unknown:
        raise SystemExit(f"{variant.name}: divisibility names {sorted(unknown)}, which the signature lacks")
    return {**pointers, **variant.divisibility}


def divisibility_attrs(variant):
    names = list(variant.signature)
    return {(names.index(name),): [["tt.divisibility", value]] for name, value in divisibility(variant).items()}


def parameters(variant, metadata):
    listed = [{"name": name, "type": kind} for name, kind in variant.signature.items() if kind != "constexpr"]
    # Triton 3.6 appends a global and a profile scratch pointer to every kernel it compiles.
    listed.append({"name": "global_scratch", "type": "*i8", "appended": True})
    listed.append({"name": "profile_scratch", "type": "*i8", "appended": True})
    return listed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plugin", type=Path, help="the plugin's folder, such as plugins/triton-w4a16")
    parser.add_argument("--target", action="append", help="cuda:<capability> or hip:<gfx arch>; default the plugin's TARGETS")
    parser.add_argument("--ptx-from", action="append", type=int, default=None,
                        help="CUDA capabilities whose PTX is shipped as the fallback for newer devices; default the lowest CUDA target")
    args = parser.parse_args()

    triton_dir = args.plugin / "src" / "main" / "triton"
    module = load_variants(triton_dir)
    out = args.plugin / "src" / "main" / "resources" / module.RESOURCE_DIR
    out.mkdir(parents=True, exist_ok=True)
    targets = [parse_target(text) for text in (args.target or getattr(module, "TARGETS", DEFAULT_TARGETS))]
    cuda_archs = sorted(t.arch for t in targets if t.backend == "cuda")
    ptx_from = set(args.ptx_from) if args.ptx_from else set(cuda_archs[:1])
    sources = {name: sha256(triton_dir / name) for name in module.SOURCES}

    produced = {name for target in targets for name, _ in target_names(target, ptx_from)}
    listing_file = out / "images.list"
    kept = [line for line in (listing_file.read_text().splitlines() if listing_file.exists() else []) if line.split()[1] not in produced]
    for stale in out.iterdir():
        parts = stale.name.split(".")
        if len(parts) == 3 and parts[1] in produced:
            stale.unlink()

    listing = []
    for variant in module.VARIANTS:
        only = getattr(variant, "targets", None)
        for target in targets:
            if target.backend == "cuda" and target.arch < variant.min_capability:
                continue
            if only is not None and f"{target.backend}:{target.arch}" not in only:
                continue
            source = ASTSource(fn=variant.kernel, signature=variant.signature, constexprs=variant.constexprs, attrs=divisibility_attrs(variant))
            stages = variant.num_stages
            if target.backend == "hip":
                stages = getattr(variant, "hip_num_stages", None) or stages
            compiled = triton.compile(source, target=target, options={"num_warps": variant.num_warps, "num_stages": stages})
            metadata = compiled.metadata
            # the HIP backend's metadata has no global scratch field: its kernels take the pointer but use none
            global_scratch = getattr(metadata, "global_scratch_size", 0)
            if global_scratch or metadata.profile_scratch_size:
                raise SystemExit(f"{variant.name} for {target} needs scratch memory ({global_scratch} global, "
                                 f"{metadata.profile_scratch_size} profile bytes), which the Java launcher does not provide")
            # the Java launcher's block is num_warps times 64 on gfx9, 32 elsewhere (TritonKernelInfo.warpSize)
            launched_warp = 64 if target.backend == "hip" and str(target.arch).startswith("gfx9") else 32
            if getattr(metadata, "warp_size", 32) != launched_warp:
                raise SystemExit(f"{variant.name} for {target} was compiled for {metadata.warp_size} threads a warp; the launcher uses {launched_warp}")
            limit = HIP_SHARED_LIMIT.get(target.arch) if target.backend == "hip" else None
            if limit is not None and metadata.shared > limit:
                raise SystemExit(f"{variant.name} for {target} needs {metadata.shared} bytes of LDS, more than the {limit} of {target.arch}")
            for image_target, kind in target_names(target, ptx_from):
                image = compiled.asm["cubin" if kind == "cubin" else kind]
                data = image.encode() if isinstance(image, str) else image
                stem = f"{variant.name}.{image_target}"
                (out / f"{stem}.{kind}").write_bytes(data)
                manifest = {
                    "variant": variant.name,
                    "kernel": variant.kernel.__name__,
                    "function": metadata.name,
                    "target": image_target,
                    "image": f"{stem}.{kind}",
                    "parameters": parameters(variant, metadata),
                    "constexprs": {name: value for name, value in variant.constexprs.items()},
                    "divisibility": divisibility(variant),
                    "num_warps": metadata.num_warps,
                    "num_stages": metadata.num_stages,
                    "shared_bytes": metadata.shared,
                    "global_scratch_bytes": global_scratch,
                    "profile_scratch_bytes": metadata.profile_scratch_size,
                    "triton_version": triton.__version__,
                    "sources": sources,
                }
                (out / f"{stem}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
                listing.append(f"{variant.name} {image_target}")
                print(f"[triton] {stem}.{kind}: {len(data)} bytes, {metadata.num_warps} warps, {metadata.shared} bytes shared")
    listing_file.write_text("\n".join(sorted(kept + listing)) + "\n")


if __name__ == "__main__":
    main()
