"""Tuning sweep of the Triton kernels on a GPU host, through Triton's just-in-time compiler (no bundle needed).

    OUT=out python3 bench/triton_sweep.py      # from the repository root; writes out/tri1.txt and out/tri1.json

Checks the FP8 kernels against torch, then times tile configurations (BLOCK_M, BLOCK_N, BLOCK_K, warps, stages,
programs per SM before K is split[, PROMOTE_K]) on Llama-3 and awkward layers next to torch.matmul fp16 and
torch._scaled_mm, from CUDA graphs of 20 calls with weights rotated over 200 MB. The variants.py of each plugin
records what was chosen; docs/perf/raw/triton-sweep*-h100-2026-11-22.txt hold the runs.
"""
import json, math, os, sys, time, itertools
import torch, triton
sys.path.insert(0, "plugins/triton-w4a16/src/main/triton")
sys.path.insert(0, "plugins/triton-fp8/src/main/triton")
from w4a16 import w4a16_gemm, w4a16_reduce
from fp8 import fp8_quantize_rows, fp8_gemm, fp8_reduce

DEV = "cuda"
OUT = os.environ.get("OUT", "/tmp")
SMS = torch.cuda.get_device_properties(0).multi_processor_count
results = {"device": torch.cuda.get_device_name(0), "checks": [], "w4": [], "fp8": [], "base": []}
log = open(os.path.join(OUT, "tri1.txt"), "w")
def say(*a):
    s = " ".join(str(x) for x in a); print(s); log.write(s + "\n"); log.flush()

def pack(q):  # q int32 [K, N] -> int32 [ceil(K/8), N]
    K, N = q.shape
    rows = (K + 7) // 8
    qp = torch.zeros(rows * 8, N, dtype=torch.int64, device=q.device); qp[:K] = q
    w = torch.zeros(rows, N, dtype=torch.int64, device=q.device)
    for i in range(8): w |= qp[i::8] << (4 * i)
    w = torch.where(w >= 2**31, w - 2**32, w)
    return w.to(torch.int32)

def splits_for(M, N, K, BM, BN, BK, ppsm):
    tiles = triton.cdiv(M, BM) * triton.cdiv(N, BN)
    ktiles = triton.cdiv(K, BK)
    if ppsm == 0 or tiles >= ppsm * SMS: return 1, ktiles * BK
    s = min(ktiles, triton.cdiv(ppsm * SMS, tiles))
    kps = triton.cdiv(ktiles, s) * BK
    return triton.cdiv(K, kps), kps

def w4_layer(K, N, G, zp, dtype, copies=1):
    Gc = triton.cdiv(K, G) if G > 0 else 1
    Ls = []
    for _ in range(copies):
        q = torch.randint(0, 16, (K, N), dtype=torch.int32, device=DEV)
        s = (torch.rand(Gc, N, device=DEV) * 0.02 + 0.001).to(dtype)
        z = torch.randint(0, 16, (Gc, N), dtype=torch.uint8, device=DEV) if zp else None
        Ls.append((q, pack(q), s, z))
    return Ls

def w4_run(x, words, s, z, bias, out, part, M, N, K, G, cfg):
    BM, BN, BK, warps, stages, ppsm = cfg
    splits, kps = splits_for(M, N, K, BM, BN, BK, ppsm)
    grid = (triton.cdiv(N, BN), splits, triton.cdiv(M, BM))
    w4a16_gemm[grid](x, words, s, z if z is not None else s, bias if bias is not None else x, out, part, M, N, K, x.stride(0), out.stride(0),
                     G if G > 0 else K, kps, 1 if bias is not None else 0, BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, HAS_ZP=z is not None,
                     num_warps=warps, num_stages=stages)
    if splits > 1:
        w4a16_reduce[(triton.cdiv(M * N, 1024),)](part, bias if bias is not None else x, out, M, N, out.stride(0), splits,
                                                    1 if bias is not None else 0, BLOCK=1024, num_warps=4, num_stages=1)
    return splits

def check_w4():
    cases = [(1, 256, 64, 32, False, torch.float16), (16, 4096, 512, 128, False, torch.bfloat16), (13, 2112, 264, 128, True, torch.float16),
             (33, 2112, 4096, 64, False, torch.bfloat16), (64, 1000, 200, -1, True, torch.bfloat16), (257, 4160, 4224, 64, True, torch.float16),
             (300, 512, 1024, 256, False, torch.bfloat16), (1024, 704, 192, 32, True, torch.float16), (5, 7, 16, -1, False, torch.float16)]
    cfgs = [(16, 64, 32, 4, 4, 4), (16, 64, 64, 4, 4, 4), (16, 128, 128, 4, 3, 8), (64, 64, 64, 4, 4, 2), (128, 128, 64, 8, 3, 0), (64, 128, 32, 4, 4, 1)]
    for (M, K, N, G, zp, dt) in cases:
        (q, words, s, z), = w4_layer(K, N, G, zp, dt)
        Geff = G if G > 0 else K
        gidx = torch.arange(K, device=DEV) // Geff
        zz = z.to(torch.int32)[gidx] if zp else 8
        w = ((q - zz).to(dt) * s[gidx]).float()
        x = torch.randn(M, K, device=DEV).to(dt)
        bias = torch.randn(N, device=DEV).to(dt)
        ref = x.float() @ w + bias.float()
        for cfg in cfgs:
            BK = cfg[2]
            if G > 0 and G % BK: continue
            out = torch.full((M, N), float("nan"), device=DEV, dtype=dt)
            part = torch.full((256, M, N), float("nan"), device=DEV)
            sp = w4_run(x, words, s, z, bias, out, part, M, N, K, G, cfg)
            ok = torch.allclose(out.float(), ref, rtol=1e-2, atol=1e-2) and not out.isnan().any()
            err = (out.float() - ref).abs().max().item()
            results["checks"].append({"kernel": "w4a16", "M": M, "K": K, "N": N, "G": G, "zp": zp, "dtype": str(dt), "cfg": cfg, "splits": sp, "ok": ok, "maxerr": err})
            if not ok: say("W4 FAIL", M, K, N, G, zp, dt, cfg, sp, err)
    say("w4a16 checks:", sum(c["ok"] for c in results["checks"] if c["kernel"] == "w4a16"), "of", sum(1 for c in results["checks"] if c["kernel"] == "w4a16"))

def check_fp8():
    n_ok = n = 0
    for (M, K, N, dt, perch, static) in [(1, 128, 64, torch.float16, True, False), (16, 4096, 512, torch.bfloat16, True, False), (37, 160, 80, torch.bfloat16, False, False),
                                          (300, 2112, 4096, torch.float16, True, True), (1024, 512, 1024, torch.bfloat16, True, False)]:
        x = (torch.randn(M, K, device=DEV) * 3).to(dt)
        x[0, :] = 0  # an all-zero row gets the minimum scale
        wf = torch.randn(N, K, device=DEV)
        ws = (wf.abs().amax(1) / 448) if perch else (wf.abs().max() / 448).reshape(1)
        wq = (wf / (ws[:, None] if perch else ws)).to(torch.float8_e4m3fn)
        b = torch.randn(N, device=DEV).to(dt)
        q = torch.empty(M, K, dtype=torch.float8_e4m3fn, device=DEV); sa = torch.empty(M, device=DEV)
        st = torch.tensor([0.05], device=DEV)
        fp8_quantize_rows[(M,)](x, q, sa, st, K, x.stride(0), 1 if static else 0, BLOCK_K=1024, FP8_MAX=448.0, MIN_SCALE=1.0 / (448.0 * 512.0))
        sref = (x.float().abs().amax(1) / 448).clamp(min=1 / (448 * 512)) if not static else st.expand(M)
        qref = (x.float() / sref[:, None]).clamp(-448, 448).to(torch.float8_e4m3fn)
        qok = torch.equal(sa, sref) and torch.equal(q.view(torch.uint8), qref.view(torch.uint8))
        ref = (qref.float() * sref[:, None]) @ (wq.float() * (ws[:, None] if perch else ws)).T + b.float()
        if dt == torch.bfloat16 and perch:
            sm = torch._scaled_mm(qref, wq.t(), scale_a=sref.view(M, 1).contiguous(), scale_b=ws.view(1, N), bias=b, out_dtype=dt)
            say("scaled_mm vs ref", M, K, N, "maxerr", (sm.float() - ref).abs().max().item(), "max|ref|", ref.abs().max().item())
        for cfg in [(16, 64, 128, 4, 4, 4, 32), (64, 128, 128, 4, 4, 1, 32), (128, 256, 128, 8, 3, 0, 32), (128, 256, 128, 8, 3, 0, 128), (128, 128, 128, 8, 4, 0, 64), (16, 128, 256, 4, 3, 8, 32)]:
            BM, BN, BK, warps, stages, ppsm, promote = cfg
            splits, kps = splits_for(M, N, K, BM, BN, BK, ppsm)
            out = torch.full((M, N), float("nan"), dtype=dt, device=DEV)
            part = torch.full((splits, M, N), float("nan"), device=DEV)
            fp8_gemm[(triton.cdiv(M, BM) * triton.cdiv(N, BN), splits)](q, wq, sa, ws, b, out, part, M, N, K, out.stride(0), kps, 1 if perch else 0, 1,
                                                                       BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, GROUP_M=8, PROMOTE_K=promote, num_warps=warps, num_stages=stages)
            if splits > 1:
                fp8_reduce[(triton.cdiv(M * N, 1024),)](part, sa, ws, b, out, M, N, out.stride(0), splits, 1 if perch else 0, 1, BLOCK=1024)
            ok = qok and torch.allclose(out.float(), ref, rtol=2e-2, atol=2e-2) and not out.isnan().any()
            n += 1; n_ok += ok
            results["checks"].append({"kernel": "fp8", "M": M, "K": K, "N": N, "dtype": str(dt), "perch": perch, "static": static, "cfg": cfg, "splits": splits,
                                      "quant_exact": qok, "ok": ok, "maxerr": (out.float() - ref).abs().max().item()})
            if not ok or BM > 16: say("FP8", "ok" if ok else "FAIL", M, K, N, dt, perch, static, cfg, "quant exact", qok, "maxerr", (out.float() - ref).abs().max().item(), "max|ref|", ref.abs().max().item())
    say("fp8 checks:", n_ok, "of", n)

def bench(fn, reps=20, replays=7):
    """Median time of one call, from CUDA graphs of `reps` back-to-back calls (rotating weights), so that Python's
    launch overhead is not what is measured."""
    fn(); torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(reps): fn()
    g.replay(); torch.cuda.synchronize()
    t = []
    for _ in range(replays):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); torch.cuda.synchronize()
        t.append(a.elapsed_time(b) * 1000 / reps)
    t.sort()
    return t[len(t) // 2]

def copy_bw():
    a = torch.empty(1 << 30, dtype=torch.uint8, device=DEV); b = torch.empty_like(a)
    t = bench(lambda: b.copy_(a), 5, 3)
    return 2 * a.numel() / (t * 1e-6) / 1e12

SHAPES = {"8b-gate_up": (28672, 4096), "8b-down": (4096, 14336), "70b-qkv": (10240, 8192), "70b-gate_up": (57344, 8192), "70b-down": (8192, 28672),
          "gemma-down-K2112": (4096, 2112), "N2112": (2112, 7168), "N4224-K2816": (4224, 2816)}

def rot_count(bytes_per):
    return max(2, math.ceil(200e6 / bytes_per))

def sweep_w4(shapes, Ms, cfgs, tag):
    for name in shapes:
        N, K = SHAPES[name]
        G = 128 if K % 128 == 0 else 64
        wbytes = N * K // 2 + (K // G) * N * 2
        layers = w4_layer(K, N, G, False, torch.float16, rot_count(wbytes))
        fp16w = [torch.randn(K, N, device=DEV, dtype=torch.float16) for _ in range(max(2, math.ceil(200e6 / (2 * N * K))))]
        for M in Ms:
            x = torch.randn(M, K, device=DEV, dtype=torch.float16)
            out = torch.empty(M, N, device=DEV, dtype=torch.float16)
            part = torch.empty(64 * M * N, device=DEV)
            i = [0]
            def mm():
                i[0] += 1; torch.matmul(x, fp16w[i[0] % len(fp16w)], out=out)
            t16 = bench(mm)
            byts = wbytes + 2 * M * K + 2 * M * N
            best = None
            for cfg in cfgs:
                if G % cfg[2]: continue
                j = [0]
                def run():
                    j[0] += 1; _, words, s, z = layers[j[0] % len(layers)]
                    w4_run(x, words, s, z, None, out, part, M, N, K, G, cfg)
                try:
                    t = bench(run)
                except Exception as e:
                    say("error", name, M, cfg, repr(e)[:200]); continue
                rec = {"shape": name, "N": N, "K": K, "M": M, "cfg": cfg, "us": t, "cublas_us": t16, "speedup": t16 / t, "pct_copy": byts / (t * 1e-6) / 1e12 / COPY * 100, "tag": tag}
                results["w4"].append(rec)
                if best is None or t < best["us"]: best = rec
            say(f"w4 {tag} {name} M={M}: best {best['cfg']} {best['us']:.1f}us cublas {t16:.1f}us x{best['speedup']:.2f} {best['pct_copy']:.0f}% copy")

def sweep_fp8(shapes, Ms, cfgs, tag):
    for name in shapes:
        N, K = SHAPES[name]
        wq = [torch.randn(N, K, device=DEV).to(torch.float8_e4m3fn) for _ in range(rot_count(N * K))]
        ws = torch.rand(N, device=DEV) * 0.01 + 0.001
        for M in Ms:
            x = torch.randn(M, K, device=DEV, dtype=torch.bfloat16)
            q = torch.randn(M, K, device=DEV).to(torch.float8_e4m3fn); sa = torch.rand(M, device=DEV) * 0.01
            out = torch.empty(M, N, device=DEV, dtype=torch.bfloat16)
            part = torch.empty(64 * M * N, device=DEV)
            i = [0]
            def sm():
                i[0] += 1
                torch._scaled_mm(q, wq[i[0] % len(wq)].t(), scale_a=sa.view(M, 1), scale_b=ws.view(1, N), out_dtype=torch.bfloat16)
            tsm = bench(sm)
            tq = bench(lambda: fp8_quantize_rows[(M,)](x, q, sa, sa, K, x.stride(0), 0, BLOCK_K=1024, FP8_MAX=448.0, MIN_SCALE=1.0 / (448.0 * 512.0)))
            best = None
            for cfg in cfgs:
                BM, BN, BK, warps, stages, ppsm, promote = cfg
                splits, kps = splits_for(M, N, K, BM, BN, BK, ppsm)
                j = [0]
                def run():
                    j[0] += 1
                    fp8_gemm[(triton.cdiv(M, BM) * triton.cdiv(N, BN), splits)](q, wq[j[0] % len(wq)], sa, ws, out, out, part, M, N, K, N, kps, 1, 0,
                                                                               BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, GROUP_M=8, PROMOTE_K=promote, num_warps=warps, num_stages=stages)
                    if splits > 1:
                        fp8_reduce[(triton.cdiv(M * N, 1024),)](part, sa, ws, out, out, M, N, N, splits, 1, 0, BLOCK=1024)
                try:
                    t = bench(run)
                except Exception as e:
                    say("error", name, M, cfg, repr(e)[:200]); continue
                rec = {"shape": name, "N": N, "K": K, "M": M, "cfg": cfg, "us": t, "scaled_mm_us": tsm, "quant_us": tq, "ratio": tsm / t,
                       "tflops": 2 * M * N * K / (t * 1e-6) / 1e12, "tag": tag}
                results["fp8"].append(rec)
                if best is None or t < best["us"]: best = rec
            say(f"fp8 {tag} {name} M={M}: best {best['cfg']} {best['us']:.1f}us scaled_mm {tsm:.1f}us ratio {best['ratio']:.2f} (quant {tq:.1f}us) {best['tflops']:.0f} TF/s")

if __name__ == "__main__":
    COPY = copy_bw()
    results["copy_tbs"] = COPY
    say("device", results["device"], "SMs", SMS, "copy TB/s", round(COPY, 3))
    check_w4(); check_fp8()
    json.dump(results, open(os.path.join(OUT, "tri1.json"), "w"))
    phase = sys.argv[1] if len(sys.argv) > 1 else "all"
    t0 = time.time()
    dec = [(16, 128, 64, 4, 3, 4), (16, 256, 64, 4, 3, 4), (16, 128, 64, 4, 2, 4), (16, 128, 64, 2, 3, 4), (16, 64, 64, 2, 3, 8), (16, 128, 64, 8, 3, 4), (16, 128, 128, 4, 2, 4)]
    sweep_w4(["8b-down", "8b-gate_up", "70b-down", "gemma-down-K2112"], [1, 16], dec, "dec")
    big = [(256, 128, 64, 8, 3, 0), (128, 256, 64, 8, 3, 0), (128, 256, 32, 8, 4, 0), (128, 128, 64, 8, 5, 0), (128, 128, 64, 4, 3, 0)]
    sweep_w4(["8b-gate_up", "70b-down"], [1024, 4096], big, "big")
    json.dump(results, open(os.path.join(OUT, "tri1.json"), "w"))
    f_big = [(256, 128, 128, 8, 3, 0, 128), (128, 128, 256, 8, 3, 0, 256), (128, 256, 256, 8, 2, 0, 256), (128, 128, 256, 4, 3, 0, 256), (64, 256, 256, 4, 3, 0, 256), (128, 256, 128, 8, 3, 0, 128)]
    sweep_fp8(["8b-gate_up", "8b-down", "70b-down"], [1024, 4096], f_big, "big")
    json.dump(results, open(os.path.join(OUT, "tri1.json"), "w"))
    say("total", round(time.time() - t0), "s")
