"""Prints ratios between Google Benchmark results written as JSON (tools/run_bench.sh)."""
import json
import sys


def load(paths):
    """Seconds per iteration, and FLOP/s where a benchmark counts them, by benchmark name."""
    times, flops = {}, {}
    for path in paths:
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                if b.get("run_type", "iteration") == "iteration":
                    times[b["name"]] = b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
                    if "flops" in b:
                        flops[b["name"]] = b["flops"]
    return times, flops


def main():
    t, flops = load(sys.argv[1:])
    print("\n== ratios (same run)")
    for shape in ("768/768/128", "768/3072/128"):
        gemm = t.get(f"BM_PlainSgemm/{shape}")
        for cfg, label in (("0", "default: bit-serial, analog-slice, separate arrays"),
                           ("1", "one read: multi-level, single, differential")):
            fast = t.get(f"BM_CrossbarFast/{shape}/{cfg}")
            if gemm and fast:
                print(f"crossbar fast path / plain sgemm, {shape}, {label}: {fast / gemm:.1f}x")
    for cfg in ("0", "1"):
        ref, fast = t.get(f"BM_CrossbarReference/768/768/4/{cfg}"), t.get(f"BM_CrossbarFast/768/768/128/{cfg}")
        if ref and fast:
            print(f"crossbar fast path speed-up over reference path (per vector), config {cfg}: "
                  f"{(ref / 4) / (fast / 128):.1f}x")
    for fn in ("identity", "gelu"):
        # Both run the same 4096 real-valued inputs per iteration through one frozen realisation.
        scan, fast = t.get(f"range_scan/{fn}"), t.get(f"frozen_lookup/{fn}")
        if scan and fast:
            print(f"FrozenAcam breakpoint lookup speed-up over the range scan, {fn}: {scan / fast:.1f}x")

    # One core's FP32 peak (FMA chains) against the GEMM entry point and OpenBLAS; goal >= 75 %.
    peak = flops.get("BM_CorePeak")
    for shape in ("768/768/128", "768/3072/128", "3072/768/512"):
        for name, label in (("BM_PlainSgemm", "GEMM entry point"), ("BM_OpenBlasSgemm", "OpenBLAS")):
            f = flops.get(f"{name}/{shape}")
            if peak and f:
                print(f"sgemm {shape} (in/out/batch), {label}: {f / 1e9:.0f} GFLOP/s, {100 * f / peak:.0f}% of one core's "
                      f"measured peak ({peak / 1e9:.0f} GFLOP/s)")

    for model in ("vit_digits", "vit_fmnist", "spam_transformer"):
        # Both executors run the same 64 test samples on one thread; the goals are at most 10x
        # (raceit preset) and 2x (one read).
        fp32 = t.get(f"BM_Fp32/{model}/real_time")
        for suffix, label in (("", "raceit preset: bit-serial, analog-slice, separate arrays"),
                              ("_one_read", "one read: multi-level, single, differential")):
            frozen = t.get(f"BM_RaceitFrozen/{model}{suffix}/real_time")
            if fp32 and frozen:
                print(f"RACE-IT functional (frozen) / FP32 executor, {model}, {label}: {frozen / fp32:.1f}x")
        ideal, frozen = t.get(f"BM_RaceitIdeal/{model}/real_time"), t.get(f"BM_RaceitFrozen/{model}/real_time")
        if ideal and frozen and fp32:
            print(f"RACE-IT functional (ideal) / FP32 executor, {model}: {ideal / fp32:.1f}x; ideal / frozen: "
                  f"{ideal / frozen:.2f}x")

    short, long = t.get("BM_PpaLlama3b/128/iterations:2"), t.get("BM_PpaLlama3b/8192/iterations:2")
    if short and long:
        print(f"ppa llama-3.2-3b: {short:.2f} s at 128 tokens, {long:.2f} s at 8192; 8192 / 128: {long / short:.2f}x "
              "(goal <= 3x, < 2 s)")

    # BERT-base, 128 tokens, batch 1 (bench_ppa); the goal is under 10 ms per evaluation.
    once = t.get("BM_LoadAndResolveShapes")
    for name, label in (("BM_EvaluateBertBase", "evaluate a compiled program"),
                        ("BM_SweepPointCost", "sweep point, cost parameter (load arch + evaluate)"),
                        ("BM_SweepPointMapping", "sweep point, mapping parameter (load arch + compile + evaluate)")):
        if name in t:
            line = f"BERT-base cost model, {label}: {t[name] * 1e3:.2f} ms, {1 / t[name]:.0f} points/s"
            if once:
                line += f"; {once / t[name]:.0f}x faster than loading the model and resolving its shapes (once)"
            print(line)


if __name__ == "__main__":
    main()
