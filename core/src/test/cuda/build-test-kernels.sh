#!/usr/bin/env bash
# Compiles the test kernels into the test classpath: a fatbin (SASS for sm_80 and sm_90a, PTX for compute_80) and the
# PTX text alone. Skips, with a line saying so, where nvcc is missing; the GPU tests then report that the image was
# not built. Usage: build-test-kernels.sh <source dir> <output dir>
set -euo pipefail
source_dir="$1"
output_dir="$2"
source="$source_dir/test_kernels.cu"
nvcc_bin="${NVCC:-nvcc}"
if ! command -v "$nvcc_bin" > /dev/null 2>&1; then
    echo "[cuda test kernels] nvcc not found: not building $source (GPU tests will say the image is missing)"
    exit 0
fi
mkdir -p "$output_dir"
fatbin="$output_dir/test_kernels.fatbin"
ptx="$output_dir/test_kernels.ptx"
if [[ "$fatbin" -nt "$source" && "$ptx" -nt "$source" ]]; then
    exit 0
fi
"$nvcc_bin" -fatbin -o "$fatbin" \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_90a,code=sm_90a \
    -gencode arch=compute_80,code=compute_80 \
    "$source"
"$nvcc_bin" -ptx -arch=compute_80 -o "$ptx" "$source"
echo "[cuda test kernels] built $fatbin and $ptx with $("$nvcc_bin" --version | tail -1)"
