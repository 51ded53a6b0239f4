#!/usr/bin/env bash
# Builds libqlinear_aiter_fp8.so, the C-ABI shim of qlinear's aiter-fp8 plugin, on a ROCm host.
#
#   build-shim.sh <aiter source checkout>
#
# Needs hipcc and python3 (build time only; no torch, no pandas) and an aiter checkout with its
# 3rdparty/composable_kernel submodule. Installs <aiter>/qlinear/libqlinear_aiter_fp8.so, <aiter>/qlinear/kernels.list
# (the compiled kernelIds, one per line, ascending) and <aiter>/qlinear/build-info.txt.
#
# Environment (all optional):
#   ROCM_PATH                 default /opt/rocm
#   HIPCC, PYTHON             compilers to use; default hipcc from PATH or $ROCM_PATH/bin, python3
#   CK_DIR                    Composable Kernel checkout; default <aiter>/3rdparty/composable_kernel (as aiter's jit)
#   QLINEAR_CSV               tuned CSV; default <aiter>/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv
#   QLINEAR_ARCHS             default "gfx942 gfx950"; each must be one of those two
#   QLINEAR_NO_KERNARG_PRELOAD=1  drop aiter's -mllvm --amdgpu-kernarg-preload-count=32
#   QLINEAR_JOBS              parallel compiles; default from cores and memory
#   QLINEAR_BUILD_DIR         keep intermediates there (default: a temporary directory, removed on success)
set -euo pipefail

die() {
    echo "build-shim.sh: error: $*" >&2
    exit 1
}
note() { echo "build-shim.sh: $*"; }

[[ $# -eq 1 ]] || die "usage: build-shim.sh <aiter source checkout>"
[[ -d "$1" ]] || die "aiter checkout '$1' is not a directory"
AITER="$(cd "$1" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHIM_SRC="$HERE/qlinear_aiter_fp8.cpp"
SHIM_HDR="$HERE/qlinear_aiter_fp8.h"
GEN="$HERE/gen_instances.py"
for f in "$SHIM_SRC" "$SHIM_HDR" "$GEN"; do
    [[ -f "$f" ]] || die "missing $f (run the script from the plugin's source tree)"
done

# ---- tools ----------------------------------------------------------------------------------------------------------
ROCM_PATH="${ROCM_PATH:-/opt/rocm}"
if [[ -z "${HIPCC:-}" ]]; then
    HIPCC="$(command -v hipcc || true)"
    [[ -n "$HIPCC" ]] || HIPCC="$ROCM_PATH/bin/hipcc"
fi
[[ -x "$HIPCC" ]] || die "hipcc not found (looked in PATH and $ROCM_PATH/bin); set HIPCC or ROCM_PATH"
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" > /dev/null || die "$PYTHON not found; set PYTHON"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 8))' || die "$PYTHON is older than 3.8"

# ---- aiter and CK ---------------------------------------------------------------------------------------------------
CK_DIR="${CK_DIR:-$AITER/3rdparty/composable_kernel}"
CK_DEVICE_OP="$CK_DIR/include/ck/tensor_operation/gpu/device/impl/device_gemm_multiple_d_xdl_cshuffle_v3_b_preshuffle.hpp"
[[ -f "$CK_DIR/include/ck/ck.hpp" ]] ||
    die "no Composable Kernel at $CK_DIR (in the aiter checkout run: git submodule update --init --recursive)"
[[ -f "$CK_DEVICE_OP" ]] || die "$CK_DIR lacks the b-preshuffle device op ($CK_DEVICE_OP); CK too old for aiter's bpreshuffle GEMM"
COMMON_PY="$AITER/csrc/ck_gemm_a8w8_bpreshuffle/gemm_a8w8_bpreshuffle_common.py"
[[ -f "$COMMON_PY" ]] || die "missing $COMMON_PY; is '$AITER' an aiter checkout?"
CSV="${QLINEAR_CSV:-$AITER/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv}"
[[ -f "$CSV" ]] || die "missing tuned CSV $CSV"

ARCHS=(${QLINEAR_ARCHS:-gfx942 gfx950})
[[ ${#ARCHS[@]} -gt 0 ]] || die "QLINEAR_ARCHS is empty"
for arch in "${ARCHS[@]}"; do
    [[ "$arch" == gfx942 || "$arch" == gfx950 ]] || die "unsupported arch '$arch' in QLINEAR_ARCHS (gfx942, gfx950)"
done

# ---- work directory -------------------------------------------------------------------------------------------------
if [[ -n "${QLINEAR_BUILD_DIR:-}" ]]; then
    BUILD="$QLINEAR_BUILD_DIR"
    mkdir -p "$BUILD"
    KEEP_BUILD=1
else
    BUILD="$(mktemp -d "${TMPDIR:-/tmp}/qlinear-aiter-shim.XXXXXX")"
    KEEP_BUILD=0
fi
rm -rf "$BUILD/gen" "$BUILD/obj" "$BUILD/log" "$BUILD/failed" "$BUILD/probe" "$BUILD/ckcfg"
mkdir -p "$BUILD/gen" "$BUILD/obj" "$BUILD/log" "$BUILD/failed" "$BUILD/probe"
trap 'status=$?; if [[ $status -ne 0 ]]; then echo "build-shim.sh: failed; intermediates kept in $BUILD" >&2; elif [[ $KEEP_BUILD -eq 0 ]]; then rm -rf "$BUILD"; fi' EXIT

# ---- compiler probes ------------------------------------------------------------------------------------------------
PROBE="$BUILD/probe/probe.hip"
printf '#include <hip/hip_runtime.h>\n__global__ void qlinear_probe(int* p) { *p = 1; }\n' > "$PROBE"
for arch in "${ARCHS[@]}"; do
    "$HIPCC" -x hip --offload-arch="$arch" -c "$PROBE" -o "$BUILD/probe/$arch.o" > "$BUILD/probe/$arch.log" 2>&1 ||
        die "$HIPCC cannot compile for $arch (see $BUILD/probe/$arch.log); set QLINEAR_ARCHS to the arches it supports"
done
accepts() { "$HIPCC" -x hip --offload-arch="${ARCHS[0]}" "$@" -c "$PROBE" -o /dev/null > /dev/null 2>&1; }

# Our own kernels need IEEE fp32 division and no denormal flushing (the quantization must be exact).
SHIM_NUMERICS=(-fno-gpu-flush-denormals-to-zero -fhip-fp32-correctly-rounded-divide-sqrt -ffp-contract=off)
accepts "${SHIM_NUMERICS[@]}" || die "$HIPCC rejects ${SHIM_NUMERICS[*]}, which the exact quantization needs"

# CK objects: the flags aiter's jit (aiter/jit/core.py build_module) passes, each kept only if this hipcc takes it.
CK_FLAGS=(-D__HIP_PLATFORM_AMD__=1 -U__HIP_NO_HALF_CONVERSIONS__ -U__HIP_NO_HALF_OPERATORS__
    -fgpu-flush-denormals-to-zero -Wno-unknown-warning-option -Wno-unused-result -Wno-switch-bool
    -Wno-vla-cxx-extension -Wno-undefined-func-template -Wno-macro-redefined
    -Wno-missing-template-arg-list-after-template-kw)
OPTIONAL_CK_FLAGS=("-mllvm --lsr-drop-solution=1" "-fno-offload-uniform-block" "-mllvm -enable-post-misched=0"
    "-mllvm -amdgpu-early-inline-all=true" "-mllvm -amdgpu-function-calls=false"
    "-mllvm -amdgpu-coerce-illegal-types=1")
[[ "${QLINEAR_NO_KERNARG_PRELOAD:-0}" == 1 ]] || OPTIONAL_CK_FLAGS+=("-mllvm --amdgpu-kernarg-preload-count=32")
for flag in "${OPTIONAL_CK_FLAGS[@]}"; do
    read -r -a words <<< "$flag"
    if accepts "${words[@]}"; then CK_FLAGS+=("${words[@]}"); else note "hipcc rejects '$flag'; building without it"; fi
done

# CK's ck/config.h is generated by its CMake. aiter's jit puts 3rdparty/ck_helper ahead of CK's include directory;
# when neither has one, write it from CK's config.h.in with every option off except XDL and all data types.
CK_INCLUDES=()
[[ -d "$AITER/3rdparty/ck_helper" ]] && CK_INCLUDES+=(-I"$AITER/3rdparty/ck_helper")
CK_INCLUDES+=(-I"$CK_DIR/include")
if [[ -f "$AITER/3rdparty/ck_helper/ck/config.h" ]]; then
    CK_CONFIG="$AITER/3rdparty/ck_helper/ck/config.h"
elif [[ -f "$CK_DIR/include/ck/config.h" ]]; then
    CK_CONFIG="$CK_DIR/include/ck/config.h"
else
    mkdir -p "$BUILD/ckcfg/ck"
    CK_CONFIG="$BUILD/ckcfg/ck/config.h"
    if [[ -f "$CK_DIR/include/ck/config.h.in" ]]; then
        sed -E -e 's/^#cmakedefine (CK_ENABLE_ALL_DTYPES|CK_USE_XDL) .*$/#define \1 ON/' \
            -e 's/^#cmakedefine ([A-Za-z0-9_]+).*$/\/* #undef \1 *\//' \
            "$CK_DIR/include/ck/config.h.in" > "$CK_CONFIG"
    else
        printf '#pragma once\n/* written by qlinear build-shim.sh: no ck/config.h or config.h.in in %s */\n' \
            "$CK_DIR" > "$CK_CONFIG"
    fi
    CK_INCLUDES=(-I"$BUILD/ckcfg" "${CK_INCLUDES[@]}")
    note "no ck/config.h in $CK_DIR; generated $CK_CONFIG"
fi
# The fp8 encoding is chosen per object below; a config.h that forces one would silently override it.
if grep -Eq '^[[:space:]]*#[[:space:]]*define[[:space:]]+CK_USE_(OCP|FNUZ)_FP8' "$CK_CONFIG"; then
    grep -Eq 'ifndef[[:space:]]+CK_USE_(OCP|FNUZ)_FP8' "$CK_CONFIG" ||
        die "$CK_CONFIG defines CK_USE_OCP_FP8/CK_USE_FNUZ_FP8 unconditionally; the per-arch choice needs it unset"
fi

# ---- instance table -------------------------------------------------------------------------------------------------
GEN_ARGS=(--aiter "$AITER" --csv "$CSV" --out "$BUILD/gen")
"$PYTHON" "$GEN" "${GEN_ARGS[@]}" || die "gen_instances.py failed"
for f in qlinear_aiter_fp8_kernels.h qlinear_aiter_fp8_instances.inc groups.txt kernels.list; do
    [[ -s "$BUILD/gen/$f" ]] || die "gen_instances.py did not write $f"
done

# ---- compile --------------------------------------------------------------------------------------------------------
COMMON_FLAGS=(-x hip -O3 -std=c++20 -fPIC -fvisibility=hidden -I"$HERE" -I"$BUILD/gen")
HAVE_FLAGS=()
OFFLOAD_ALL=()
for arch in "${ARCHS[@]}"; do
    HAVE_FLAGS+=(-DQLINEAR_HAVE_${arch^^}=1)
    OFFLOAD_ALL+=(--offload-arch="$arch")
done

if [[ -n "${QLINEAR_JOBS:-}" ]]; then
    JOBS="$QLINEAR_JOBS"
else
    JOBS="$(nproc 2> /dev/null || echo 4)"
    # A CK instance object can take several GB to compile; leave about 4 GB per job.
    mem_kb="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2> /dev/null || echo 0)"
    if [[ "$mem_kb" -gt 0 ]]; then
        by_mem=$((mem_kb / (4 * 1024 * 1024)))
        [[ $by_mem -ge 1 ]] || by_mem=1
        [[ $by_mem -lt $JOBS ]] && JOBS=$by_mem
    fi
fi
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "QLINEAR_JOBS must be a positive integer"

# Each job leaves a marker in failed/ instead of relying on wait's status bookkeeping.
start_job() {
    local name="$1"
    shift
    while [[ "$(jobs -rp | wc -l)" -ge "$JOBS" ]]; do sleep 0.2; done
    ("$@" > "$BUILD/log/$name.log" 2>&1 || touch "$BUILD/failed/$name") &
}

note "compiling with $HIPCC for ${ARCHS[*]} ($JOBS parallel jobs)"
start_job common "$HIPCC" "${COMMON_FLAGS[@]}" "${SHIM_NUMERICS[@]}" "${OFFLOAD_ALL[@]}" "${HAVE_FLAGS[@]}" \
    -c "$SHIM_SRC" -o "$BUILD/obj/common.o"

GROUPS_COUNT=0
while read -r group name; do
    [[ -n "$group" ]] || continue
    GROUPS_COUNT=$((GROUPS_COUNT + 1))
    for arch in "${ARCHS[@]}"; do
        case "$arch" in
            gfx942) fp8=(-DCK_USE_FNUZ_FP8=1) ;; # MI300: e4m3fnuz
            gfx950) fp8=(-DCK_USE_OCP_FP8=1) ;;  # MI350: OCP e4m3fn
        esac
        start_job "$arch-$group" "$HIPCC" "${COMMON_FLAGS[@]}" "${CK_FLAGS[@]}" "${CK_INCLUDES[@]}" "${fp8[@]}" \
            --offload-arch="$arch" -DQLINEAR_CK_PART=1 -DQLINEAR_GFX="${arch#gfx}" \
            -DQLINEAR_CK_GROUP="QLINEAR_GROUP_$group" -c "$SHIM_SRC" -o "$BUILD/obj/$arch-$group.o"
    done
    note "  queued $name"
done < "$BUILD/gen/groups.txt"
wait
if compgen -G "$BUILD/failed/*" > /dev/null; then
    for marker in "$BUILD"/failed/*; do
        job="$(basename "$marker")"
        echo "---- $job: last lines of $BUILD/log/$job.log" >&2
        tail -n 30 "$BUILD/log/$job.log" >&2 || true
    done
    die "compilation failed: $(ls "$BUILD/failed" | tr '\n' ' ')"
fi

# ---- link, check, install -------------------------------------------------------------------------------------------
LIB="$BUILD/libqlinear_aiter_fp8.so"
# -z defs: a kernelId that the dispatch names but no object instantiated is a link error, not a runtime surprise.
"$HIPCC" -shared -fPIC --hip-link "${OFFLOAD_ALL[@]}" -o "$LIB" "$BUILD"/obj/*.o -Wl,-z,defs \
    > "$BUILD/log/link.log" 2>&1 || {
    tail -n 30 "$BUILD/log/link.log" >&2
    die "link failed (see $BUILD/log/link.log)"
}
if command -v nm > /dev/null; then
    for sym in qlinear_aiter_fp8_quantize qlinear_aiter_fp8_gemm qlinear_aiter_fp8_add_bias; do
        nm -D --defined-only "$LIB" | grep -qw "$sym" || die "$LIB does not export $sym"
    done
else
    note "nm not found; exported symbols not checked"
fi

OUT="$AITER/qlinear"
mkdir -p "$OUT"
cp -f "$LIB" "$OUT/.libqlinear_aiter_fp8.so.tmp"
mv -f "$OUT/.libqlinear_aiter_fp8.so.tmp" "$OUT/libqlinear_aiter_fp8.so"
sort -n "$BUILD/gen/kernels.list" > "$OUT/.kernels.list.tmp"
mv -f "$OUT/.kernels.list.tmp" "$OUT/kernels.list"
{
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "aiter: $AITER $(git -C "$AITER" rev-parse HEAD 2> /dev/null || echo '(not a git checkout)')"
    echo "composable_kernel: $CK_DIR $(git -C "$CK_DIR" rev-parse HEAD 2> /dev/null || echo '(not a git checkout)')"
    echo "ck config.h: $CK_CONFIG"
    echo "csv: $CSV $(sha256sum "$CSV" 2> /dev/null | cut -d' ' -f1)"
    echo "archs: ${ARCHS[*]}"
    echo "hipcc: $("$HIPCC" --version 2> /dev/null | head -n 3 | tr '\n' ' ')"
    echo "ck flags: ${CK_FLAGS[*]}"
    echo "kernelIds: $(tr '\n' ' ' < "$OUT/kernels.list")"
} > "$OUT/build-info.txt"
note "installed $OUT/libqlinear_aiter_fp8.so ($GROUPS_COUNT instance objects per arch) and $OUT/kernels.list"
