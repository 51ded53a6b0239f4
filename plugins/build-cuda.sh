#!/usr/bin/env bash
# Compiles a plugin's CUDA C into kernel images for its jar: build-cuda.sh SRC_DIR OUT_DIR [TARGET...]
#
# Each SRC_DIR/NAME.cu becomes one OUT_DIR/NAME.fatbin holding every TARGET (default: sm_80 sm_90a compute_80):
# sm_XY[a] is SASS for that architecture, compute_XY[a] is PTX the driver compiles for sm_XY and newer. Next to it,
# OUT_DIR/NAME.targets lists the targets, one per line, so the plugin can tell which architectures its images run on.
#
# nvcc is $NVCC when set, else looked for on PATH, then in $CUDA_HOME/bin, then in /usr/local/cuda/bin. Without it the
# build goes on: a warning says so, no image is written (stale ones are removed), and the plugin reports the images as
# not built.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 SRC_DIR OUT_DIR [TARGET...]" >&2
    exit 2
fi
src="$1"
out="$2"
shift 2
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(sm_80 sm_90a compute_80)
fi

shopt -s nullglob
sources=("$src"/*.cu)
if [[ ${#sources[@]} -eq 0 ]]; then
    echo "[cuda] no .cu files in $src: nothing to compile"
    exit 0
fi

nvcc=""
candidates=("$(command -v nvcc || true)" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc)
if [[ -n "${NVCC:-}" ]]; then
    candidates=("$NVCC")
fi
for candidate in "${candidates[@]}"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
        nvcc="$candidate"
        break
    fi
done

if [[ -z "$nvcc" ]]; then
    for source in "${sources[@]}"; do
        name="$(basename "$source" .cu)"
        rm -f "$out/$name.fatbin" "$out/$name.targets"
    done
    echo "[cuda] WARNING: nvcc not found (${NVCC:-PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin}): ${#sources[@]} CUDA source(s) in $src were NOT compiled;" \
        "the plugin jar will have no kernel images and its CUDA kernels will refuse every platform" >&2
    exit 0
fi

gencode=()
for target in "${targets[@]}"; do
    case "$target" in
        sm_*) gencode+=(-gencode "arch=compute_${target#sm_},code=$target") ;;
        compute_*) gencode+=(-gencode "arch=$target,code=$target") ;;
        *) echo "[cuda] unknown target '$target': expected sm_XY, sm_XYa or compute_XY" >&2; exit 2 ;;
    esac
done

mkdir -p "$out"
echo "[cuda] $("$nvcc" --version | tail -1)"
for source in "${sources[@]}"; do
    name="$(basename "$source" .cu)"
    echo "[cuda] $source -> $out/$name.fatbin (${targets[*]})"
    # -warn-spills: a hot kernel spilling registers is a performance bug worth seeing in the build log
    "$nvcc" -fatbin -O3 -std=c++17 -Xptxas -warn-spills "${gencode[@]}" -o "$out/$name.fatbin" "$source"
    printf '%s\n' "${targets[@]}" > "$out/$name.targets"
done
