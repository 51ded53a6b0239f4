#!/usr/bin/env bash
# Builds the kernel check, then runs it on this machine's GPU: the kernel images' contents, correctness, memory
# checks, and timings against cuBLAS fp16. Usage: run-on-gpu.sh [LOG_DIR] [STEPS...]
# STEPS: images check sanitize bench switch tune decode variants profile tiled profile-tiled (default: images check sanitize bench switch);
# see exllama_check.cu. "variants" builds the decode kernel with other block shapes and pipeline depths and compares them
# (DECODE_VARIANTS, a list of -D flag sets separated by ";", overrides the built-in list); "profile" runs ncu on the
# decode kernel at M = 1 and 16 on Llama-3-8B gate_up.
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

# ncu on one kernel of a once run: profile ONCE_PATH (DECODE, TILED) KERNEL "K N" M...
profile() {
    local path="$1" kernel="$2" shape="$3"
    shift 3
    for m in "$@"; do
        env "EXLLAMA_ONCE_$path=1" ncu --kernel-name "regex:exllama_$kernel" --launch-skip 2 --launch-count 1 --section SpeedOfLight \
            --section MemoryWorkloadAnalysis --section WarpStateStats --section Occupancy --section LaunchStats \
            "$work/exllama_check" once $shape "$m" > "$logs/ncu-$kernel-m$m.txt" 2>&1 || status=1
        grep -E "Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Stall|Registers|Grid Size" "$logs/ncu-$kernel-m$m.txt" | head -20
    done
}

for step in $steps; do
    case "$step" in
        images)
            nvcc -fatbin -O3 -Xptxas -v -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90a,code=sm_90a \
                -gencode arch=compute_80,code=compute_80 -o "$work/exllama.fatbin" "$here/../../main/cuda/exllama.cu" 2> "$logs/ptxas.txt" || status=1
            grep -E "spill|registers" "$logs/ptxas.txt" | paste - - | grep -v " 0 bytes spill stores, 0 bytes spill loads" && { echo "SPILLS"; status=1; }
            cuobjdump --list-elf --list-ptx "$work/exllama.fatbin" || status=1
            ;;
        variants)
            IFS=';' read -r -a variants <<< "${DECODE_VARIANTS:--DEXLLAMA_DECODE_STAGE_QUADS=4 -DEXLLAMA_DECODE_STAGES=6;-DEXLLAMA_DECODE_STAGES=5;-DEXLLAMA_DECODE_STAGE_QUADS=16 -DEXLLAMA_DECODE_STAGES=3;-DEXLLAMA_DECODE_WARPS_N=8}"
            for i in "${!variants[@]}"; do
                nvcc -O3 -std=c++17 -Xcompiler -fopenmp -gencode arch=compute_90a,code=sm_90a ${variants[$i]} -o "$work/variant$i" "$here/exllama_check.cu" -lcublas -lcuda &
            done
            wait
            for i in "${!variants[@]}"; do
                for blocks in ${DECODE_BLOCKS:-2}; do
                    echo "== variant: ${variants[$i]}, $blocks blocks per SM" | tee -a "$logs/variants.txt"
                    EXLLAMA_DECODE_BLOCKS=$blocks "$work/variant$i" decode 2>&1 | tee -a "$logs/variants.txt" || status=1
                done
            done
            ;;
        check|sanitize|bench|switch|tune|decode|profile|tiled|profile-tiled|floor)
            if [[ ! -x "$work/exllama_check" ]]; then
                nvcc -O3 -std=c++17 -Xcompiler -fopenmp -gencode arch=compute_90a,code=sm_90a -o "$work/exllama_check" "$here/exllama_check.cu" -lcublas -lcuda \
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
                tiled) "$work/exllama_check" tiled 2>&1 | tee "$logs/tiled.txt" || status=1 ;;
                floor) "$work/exllama_check" floor 2>&1 | tee "$logs/floor.txt" || status=1 ;;
                profile-tiled) profile TILED tiled "8192 57344" 256 4096 ;;
                decode)
                    for blocks in ${DECODE_BLOCKS:-3}; do
                        EXLLAMA_DECODE_BLOCKS=$blocks "$work/exllama_check" decode 2>&1 | tee -a "$logs/decode.txt" || status=1
                    done
                    ;;
                profile) profile DECODE decode "4096 28672" 1 16 ;;
            esac
            ;;
        *) echo "unknown step $step"; status=2 ;;
    esac
done
rm -rf "$work"
exit $status
