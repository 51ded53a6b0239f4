#!/usr/bin/env bash
# Runs the GPU benchmark on a GPU host, from the repository root, once the bundle of ./gpu-bundle.sh has been carried
# to bundle/: the torch baselines (when python3 has a CUDA torch), then `qlinear bench` with them merged into one
# report, with nvidia-smi's output and the date beside it. Arguments go to `qlinear bench`; --shapes, --m, --runs,
# --calls, --warmup, --budget-ms, --rotate-bytes and --device go to the torch baselines too.
# Writes into $OUT_DIR (default: $OUT, else bench-out). Exits non-zero when either part failed.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out_dir="${OUT_DIR:-${OUT:-bench-out}}"
qlinear="$root/bundle/qlinear/qlinear"

[[ -x $qlinear ]] || { echo "gpu.sh: $qlinear is missing: run ./gpu-bundle.sh on the build machine and carry bundle/ here" >&2; exit 2; }
mkdir -p "$out_dir"
date -u +%Y-%m-%dT%H:%M:%SZ > "$out_dir/date.txt"
if ! nvidia-smi > "$out_dir/nvidia-smi.txt" 2>&1; then
    echo "gpu.sh: warning: nvidia-smi failed; see $out_dir/nvidia-smi.txt" >&2
fi

# The settings both measurements share, as NAME VALUE pairs whether given as --name value or --name=value.
shared=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --shapes | --m | --runs | --calls | --warmup | --budget-ms | --rotate-bytes | --device)
            ((i + 1 < ${#args[@]})) && shared+=("${args[i]}" "${args[i + 1]}")
            ;;
        --shapes=* | --m=* | --runs=* | --calls=* | --warmup=* | --budget-ms=* | --rotate-bytes=* | --device=*)
            shared+=("${args[i]}")
            ;;
    esac
done

torch_failed=0
torch_args=()
if command -v python3 > /dev/null 2>&1 && python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' > /dev/null 2>&1; then
    if python3 "$root/bench/torch_baselines.py" --out "$out_dir/torch.json" "${shared[@]}"; then
        torch_args=(--torch-baselines "$out_dir/torch.json")
    else
        torch_failed=1
        echo "gpu.sh: error: the torch baselines failed; qlinear bench runs without them" >&2
    fi
else
    echo "gpu.sh: python3 with a CUDA-enabled torch is not here; the report has no torch baselines" >&2
fi

started=$SECONDS
"$qlinear" bench "${torch_args[@]}" --out "$out_dir" "$@"
echo "gpu.sh: qlinear bench took $((SECONDS - started)) s; report in $out_dir (draw the chart on the build machine: ./qlinear bench chart $out_dir/bench.json)" >&2
exit "$torch_failed"
