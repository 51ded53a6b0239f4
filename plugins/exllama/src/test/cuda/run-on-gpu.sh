#!/usr/bin/env bash
# Builds the kernel check, then runs it on this machine's GPU: the kernel images' contents, correctness, memory
# checks, and timings against cuBLAS fp16. Usage: run-on-gpu.sh [LOG_DIR] [STEPS...]
# STEPS: images check sanitize bench switch tune (default: images check sanitize bench switch); see exllama_check.cu.
# Exit status: non-zero when a check failed or a kernel spilled registers.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
logs="${1:-${OUT:-/tmp}}"
shift || true
steps="${*:-images check sanitize bench switch}"
mkdir -p "$logs"
work="$(mktemp -d)"
status=0

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader || true
nvcc --version | tail -1

for step in $steps; do
    case "$step" in
        images)
            nvcc -fatbin -O3 -Xptxas -v -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90a,code=sm_90a \
                -gencode arch=compute_80,code=compute_80 -o "$work/exllama.fatbin" "$here/../../main/cuda/exllama.cu" 2> "$logs/ptxas.txt" || status=1
            grep -E "spill|registers" "$logs/ptxas.txt" | paste - - | grep -v " 0 bytes spill stores, 0 bytes spill loads" && { echo "SPILLS"; status=1; }
            cuobjdump --list-elf --list-ptx "$work/exllama.fatbin" || status=1
            ;;
        check|sanitize|bench|switch|tune)
            if [[ ! -x "$work/exllama_check" ]]; then
                nvcc -O3 -std=c++17 -Xcompiler -fopenmp -gencode arch=compute_90a,code=sm_90a -o "$work/exllama_check" "$here/exllama_check.cu" -lcublas \
                    || { echo "build failed"; exit 1; }
            fi
            case "$step" in
                check) "$work/exllama_check" check > "$logs/check.txt" 2>&1 || status=1; grep -E "FAIL|CHECKS" "$logs/check.txt"; tail -3 "$logs/check.txt" ;;
                sanitize)
                    compute-sanitizer --tool memcheck --error-exitcode 3 "$work/exllama_check" check-small > "$logs/memcheck.txt" 2>&1 || status=1
                    tail -2 "$logs/memcheck.txt"
                    compute-sanitizer --tool racecheck --error-exitcode 3 "$work/exllama_check" check-small > "$logs/racecheck.txt" 2>&1 || status=1
                    tail -2 "$logs/racecheck.txt"
                    ;;
                bench) "$work/exllama_check" bench 2>&1 | tee "$logs/bench.txt" || status=1 ;;
                switch) "$work/exllama_check" switch 2>&1 | tee "$logs/switch.txt" || status=1 ;;
                tune) "$work/exllama_check" tune > "$logs/tune.txt" 2>&1 || status=1 ;;
            esac
            ;;
        *) echo "unknown step $step"; status=2 ;;
    esac
done
rm -rf "$work"
exit $status
