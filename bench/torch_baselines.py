#!/usr/bin/env python3
"""Times PyTorch baselines on the layers `qlinear bench` measures, for `qlinear bench --torch-baselines FILE`.

On a CUDA host with torch: torch.matmul in fp16 (x[M, K] @ w[K, N]) and torch._scaled_mm with float8_e4m3fn operands,
row-wise fp32 scales ([M, 1] for x, [1, N] for the column-major w) and a bfloat16 output. The protocol is the Java
command's: CUDA events around batches of calls on a non-default stream after warm-up calls, median, p10 and p90 of the
samples, and every call reads the next of copies of the weights that together exceed four times the L2 cache.
Activation quantization is not timed. Writes JSON in the schema of bench/README.md.
"""

import argparse
import datetime
import json
import math
import re
import sys

SCHEMA = "qlinear-torch-baselines/1"
MIN_SAMPLES = 5
MAX_COPIES = 1024
MIN_ROTATE_BYTES = 200 << 20

# The presets of `qlinear bench --shapes` (N output features, K input features), in the same order.
PRESETS = {
    "llama3-8b": [(6144, 4096), (4096, 4096), (28672, 4096), (4096, 14336)],
    "llama3-70b": [(10240, 8192), (8192, 8192), (57344, 8192), (8192, 28672)],
    "awkward": [(4096, 2112), (2112, 7168), (4224, 4160), (8192, 14784), (8192, 3696)],
}
PRESETS["all"] = PRESETS["llama3-8b"] + PRESETS["llama3-70b"] + PRESETS["awkward"]

SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
              "g": 10**9, "gb": 10**9, "gib": 2**30}


def shapes(text):
    """'llama3-8b,4096x2112' -> [(N, K), ...], each layer once, in order."""
    result = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if item in PRESETS:
            layers = PRESETS[item]
        else:
            match = re.fullmatch(r"([0-9]+)[x×]([0-9]+)", item)
            if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
                raise argparse.ArgumentTypeError(
                    f"shape '{raw}' is neither a preset ({', '.join(PRESETS)}) nor NxK with two positive integers, such as 4096x14336")
            layers = [(int(match.group(1)), int(match.group(2)))]
        result.extend(layer for layer in layers if layer not in result)
    return result


def rows(text):
    values = []
    for raw in text.split(","):
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"M='{raw}' is not an integer") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"M={value} is not a positive row count; M must be at least 1")
        values.append(value)
    return values


def size(text):
    match = re.fullmatch(r"([0-9]+)\s*([a-z]*)", text.strip().lower())
    if not match or match.group(2) not in SIZE_UNITS or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"size '{text}' is not a byte count such as 209715200, 200MB or 256MiB")
    return int(match.group(1)) * SIZE_UNITS[match.group(2)]


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", type=shapes, default=shapes("all"), help="presets llama3-8b, llama3-70b, awkward, all, or NxK items")
    parser.add_argument("--m", type=rows, default=rows("1,16,64,256,1024,4096"), help="activation rows")
    parser.add_argument("--runs", type=positive, default=30, help="the most samples per measurement")
    parser.add_argument("--calls", type=positive, default=10, help="calls per sample")
    parser.add_argument("--warmup", type=int, default=20, help="calls before the first sample")
    parser.add_argument("--budget-ms", type=float, default=150.0, help="the longest the samples of one measurement take")
    parser.add_argument("--rotate-bytes", type=size, default=None, help="weights rotated per measurement (default: 4 L2s, at least 200 MiB)")
    parser.add_argument("--device", type=int, default=0, help="the CUDA device")
    parser.add_argument("--out", default="bench-out/torch.json", help="the JSON file to write")
    return parser.parse_args()


def percentiles(samples):
    """Median, p10 and p90 with linear interpolation between ranks, as the Java report computes them."""
    ordered = sorted(samples)

    def at(fraction):
        position = fraction * (len(ordered) - 1)
        below = math.floor(position)
        above = min(below + 1, len(ordered) - 1)
        return ordered[below] + (position - below) * (ordered[above] - ordered[below])

    return at(0.5), at(0.1), at(0.9)


class Timer:
    """CUDA events around batches of calls; every sample is queued before the host waits once."""

    def __init__(self, torch, stream, settings):
        self.torch = torch
        self.stream = stream
        self.settings = settings

    def time(self, call):
        torch, settings = self.torch, self.settings
        index = 0
        with torch.cuda.stream(self.stream):
            for _ in range(settings.warmup):
                call(index)
                index += 1
            self.stream.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(settings.calls):
                call(index)
                index += 1
            end.record()
            end.synchronize()
            batch_ms = max(start.elapsed_time(end), 1e-3)
            count = int(max(min(MIN_SAMPLES, settings.runs), min(settings.runs, math.floor(settings.budget_ms / batch_ms))))
            events = [torch.cuda.Event(enable_timing=True) for _ in range(count + 1)]
            events[0].record()
            for sample in range(count):
                for _ in range(settings.calls):
                    call(index)
                    index += 1
                events[sample + 1].record()
            events[-1].synchronize()
        per_call = [1000.0 * events[i].elapsed_time(events[i + 1]) / settings.calls for i in range(count)]
        median, p10, p90 = percentiles(per_call)
        return {"medianMicros": median, "p10Micros": p10, "p90Micros": p90, "samples": count, "callsPerSample": settings.calls}


def copies(rotate_bytes, bytes_per_copy):
    return max(1, min(MAX_COPIES, math.ceil(rotate_bytes / bytes_per_copy)))


def main():
    settings = arguments()
    try:
        import torch
    except ImportError:
        print("torch_baselines: PyTorch is not installed here", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print("torch_baselines: PyTorch sees no CUDA device", file=sys.stderr)
        return 1
    torch.cuda.set_device(settings.device)
    properties = torch.cuda.get_device_properties(settings.device)
    l2_bytes = int(getattr(properties, "L2_cache_size", 50 << 20))
    rotate = settings.rotate_bytes or max(4 * l2_bytes, MIN_ROTATE_BYTES)
    stream = torch.cuda.Stream()
    timer = Timer(torch, stream, settings)
    generator = torch.Generator(device="cuda").manual_seed(20261121)
    max_m = max(settings.m)
    results, skipped = [], []

    def record(source, n, k, m, measure):
        try:
            timing = measure()
        except (RuntimeError, ValueError) as error:
            reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            skipped.append({"source": source, "n": n, "k": k, "m": m, "reason": reason})
            print(f"  {source} M={m}: skipped: {reason}", file=sys.stderr)
            return None
        results.append({"source": source, "n": n, "k": k, "m": m, **timing})
        return f"M={m} {timing['medianMicros']:.1f} µs"

    for position, (n, k) in enumerate(settings.shapes, start=1):
        print(f"torch_baselines: [{position}/{len(settings.shapes)}] {n}x{k}", file=sys.stderr, flush=True)
        with torch.cuda.stream(stream):
            x = torch.randn(max_m, k, device="cuda", dtype=torch.float16, generator=generator)
            weights = [torch.randn(k, n, device="cuda", dtype=torch.float16, generator=generator)
                       for _ in range(copies(rotate, 2 * n * k))]
            out = torch.empty(max_m, n, device="cuda", dtype=torch.float16)
        stream.synchronize()
        times = []
        for m in settings.m:
            xm, om = x[:m], out[:m]
            times.append(record("torch-fp16", n, k, m, lambda: timer.time(lambda i: torch.mm(xm, weights[i % len(weights)], out=om))))
        print(f"  torch-fp16 ({len(weights)} copies): {', '.join(t for t in times if t)}", file=sys.stderr, flush=True)
        del weights, out

        with torch.cuda.stream(stream):
            x8 = x.to(torch.float8_e4m3fn)
            scale_x = torch.rand(max_m, 1, device="cuda", dtype=torch.float32, generator=generator) + 0.5
            # _scaled_mm wants the second operand column-major: the transpose of a row-major [N, K]
            weights8 = [torch.randn(n, k, device="cuda", dtype=torch.float16, generator=generator).to(torch.float8_e4m3fn).t()
                        for _ in range(copies(rotate, n * k))]
            scale_w = torch.rand(1, n, device="cuda", dtype=torch.float32, generator=generator) + 0.5
        stream.synchronize()
        times = []
        for m in settings.m:
            xm, sm = x8[:m], scale_x[:m]
            times.append(record("torch-fp8-rowwise", n, k, m, lambda: timer.time(
                lambda i: torch._scaled_mm(xm, weights8[i % len(weights8)], scale_a=sm, scale_b=scale_w, out_dtype=torch.bfloat16))))
        print(f"  torch-fp8-rowwise ({len(weights8)} copies): {', '.join(t for t in times if t)}", file=sys.stderr, flush=True)
        del x, x8, weights8
        torch.cuda.empty_cache()

    document = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": properties.name,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "l2Bytes": l2_bytes,
        "rotateBytes": rotate,
        "rows": results,
        "skipped": skipped,
    }
    with open(settings.out, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
        file.write("\n")
    print(f"torch_baselines: {len(results)} rows, {len(skipped)} skipped; wrote {settings.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
