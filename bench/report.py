"""Speed of kdfast against PyTorch and JAX baselines and the matrix-product roofline.

    python bench/report.py [--rounds 5] [--threads 2] [--workloads digits-sweep,...]
    python bench/report.py --scaling 1,2      # kdfast alone, by thread count

For each workload of the design, runs kdfast, PyTorch's batched step and its
per-network loop, the same batched step in JAX (jit-compiled), and NumPy's
two plain products of the step's shapes, each in a fresh process
(bench/run_one.py), alternating them round after round, and prints the
median time per step of each, kdfast's speed-up over batched PyTorch and
JAX, its GFLOP/s (4 n d M flops per step) as a fraction of the sgemm peak,
and peak memory. It also checks that every engine computed the same loss
L(W0) as kdfast. Medians of alternating runs keep a shared, noisy machine
from favouring any side.

The roofline: NumPy's float32 2048^3 product, measured in processes from
whose environment OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed. Some
machines set them to pin old OpenBLAS builds to a Haswell (AVX2) kernel,
which halves the peak of an AVX-512 CPU; when they are set here, the report
also prints the pinned peak, for comparison. Only those measuring processes
lose the variables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from workloads import WORKLOADS  # noqa: E402

# Steps timed per run, and engines skipped where they cannot run here: the
# per-network loop of 2,000 networks takes minutes, and batched PyTorch on
# "thousands" needs several 1,000 x 2,001,000 float32 tensors (8 GB each).
STEPS = {"digits-sweep": 20, "mnist-sweep": 2, "lowdim-300": 20, "thousands": 2}
# Every engine but kdfast forms n x M matrices: 8 GB each on "thousands".
SKIP = {("thousands", e) for e in ("torch-batched", "torch-loop", "jax", "products")}
PINNING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def run(workload: str, engine: str, threads: int, steps: int, *, unpinned: bool = False) -> dict:
    """One engine in a fresh process; `unpinned` removes PINNING from its environment."""
    cmd = [sys.executable, os.path.join(HERE, "run_one.py"), workload, engine, str(threads), str(steps)]
    env = {k: v for k, v in os.environ.items() if not (unpinned and k in PINNING)}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_peak(threads: int, times: dict, kernels: dict) -> None:
    """Appends this round's sgemm peak, unpinned and (when the variables are set) pinned."""
    for label, unpinned in (("sgemm", True), ("sgemm pinned", False)):
        if label == "sgemm pinned" and not any(v in os.environ for v in PINNING):
            continue
        out = run(next(iter(WORKLOADS)), "sgemm", threads, 5, unpinned=unpinned)
        times.setdefault(label, []).append(out["gflops"])
        kernels[label] = out["kernel"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--engines", default="kdfast,jax,torch-batched,torch-loop,products")
    parser.add_argument("--scaling", help="thread counts, e.g. 1,2,4: time kdfast alone at each")
    args = parser.parse_args()
    if args.scaling:
        scaling(args.workloads.split(","), [int(t) for t in args.scaling.split(",")], args.rounds)
        return
    engines = args.engines.split(",")
    names = args.workloads.split(",")

    times: dict = {}
    memory: dict = {}
    losses: dict = {}
    kernels: dict = {}
    products: dict = {}
    for r in range(args.rounds):
        measure_peak(args.threads, times, kernels)
        for name in names:
            # Alternate the order from round to round, so no engine always
            # runs right after another.
            order = engines if r % 2 == 0 else engines[::-1]
            for engine in order:
                if (name, engine) in SKIP:
                    continue
                out = run(name, engine, args.threads, STEPS[name], unpinned=engine == "products")
                times.setdefault((name, engine), []).append(out["ms_per_step"])
                memory[(name, engine)] = max(memory.get((name, engine), 0.0), out["peak_rss_mb"])
                if "loss" in out:
                    losses[(name, engine)] = np.asarray(out["loss"])
                if engine == "products":
                    products.setdefault(name, []).append((out["forward_ms"], out["backward_ms"]))
                    kernels["products"] = out["kernel"]
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    peak = statistics.median(times["sgemm"])
    print(f"\n{args.threads} threads, float32, medians of {args.rounds} alternating runs")
    print(f"NumPy sgemm peak (roofline) {peak:.0f} GFLOP/s, {PINNING[0]} and {PINNING[1]} unset ({kernels['sgemm']})")
    if "sgemm pinned" in times:
        print(f"  with them as set here: {statistics.median(times['sgemm pinned']):.0f} GFLOP/s "
              f"({kernels['sgemm pinned']})")  # fmt: skip
    print()
    print(
        "| workload | kdfast ms/step | JAX jit | batched torch | loop torch | vs JAX | vs batched torch "
        "| kdfast GFLOP/s (of peak) | NumPy X·Wᵀ + Gᵀ·X ms | peak RSS MB kdfast / JAX / torch |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")

    def missing(engine):  # left out by --engines: not run; run without a time: did not fit
        return "does not fit" if engine in engines else "not run"

    for name in names:
        w = WORKLOADS[name]
        med = {e: statistics.median(times[(name, e)]) for e in engines if (name, e) in times}
        kd = med["kdfast"]
        gflops = w.flops_per_step / (kd / 1e3) / 1e9
        cell = lambda e: f"{med[e]:.1f}" if e in med else missing(e)  # noqa: E731
        ratio = lambda e: f"{med[e] / kd:.1f}x" if e in med else "n/a"  # noqa: E731
        mem = lambda e: f"{memory[(name, e)]:.0f}" if (name, e) in memory else "-"  # noqa: E731
        plain = missing("products")
        if name in products:
            fwd, bwd = (statistics.median(x) for x in zip(*products[name]))
            plain = f"{fwd:.1f} + {bwd:.1f}"
        print(f"| {name} | {kd:.1f} | {cell('jax')} | {cell('torch-batched')} | {cell('torch-loop')} "
              f"| {ratio('jax')} | {ratio('torch-batched')} | {gflops:.0f} ({gflops / peak:.0%}) | {plain} "
              f"| {mem('kdfast')} / {mem('jax')} / {mem('torch-batched')} |")  # fmt: skip
    if "products" in kernels:
        print(f"\nPlain products: {kernels['products']}, {PINNING[0]} and {PINNING[1]} unset.")
    # The same loss L(W0) from every engine, or the timings mean nothing:
    # every disagreement is named before the report fails.
    disagree = [f"{name}: {engine}" for (name, engine), loss in losses.items()
                if not np.allclose(loss, losses[(name, "kdfast")], rtol=1e-4, atol=0)]  # fmt: skip
    if disagree:
        raise AssertionError("engines that disagree with kdfast on L(W0): " + ", ".join(disagree))


def scaling(names: list[str], threads: list[int], rounds: int) -> None:
    """kdfast alone at each thread count, beside the sgemm peak at that count."""
    times: dict = {}
    for r in range(rounds):
        for t in threads if r % 2 == 0 else threads[::-1]:
            times.setdefault(("sgemm", t), []).append(run(names[0], "sgemm", t, 5, unpinned=True)["gflops"])
            for name in names:
                times.setdefault((name, t), []).append(run(name, "kdfast", t, STEPS[name])["ms_per_step"])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    print(f"\nkdfast ms/step by thread count (speed-up over {threads[0]} thread; GFLOP/s as a fraction of "
          f"the sgemm peak at that count), medians of {rounds} runs\n")  # fmt: skip
    print("| workload | " + " | ".join(f"{t} threads" for t in threads) + " |")
    print("|---|" + "---|" * len(threads))
    peaks = [statistics.median(times[("sgemm", t)]) for t in threads]
    print("| sgemm peak GFLOP/s | " + " | ".join(f"{p:.0f}" for p in peaks) + " |")
    for name in names:
        med = [statistics.median(times[(name, t)]) for t in threads]
        gflops = [WORKLOADS[name].flops_per_step / (m / 1e3) / 1e9 for m in med]
        cells = (f"{m:.1f} ({med[0] / m:.2f}x, {g / p:.0%})" for m, g, p in zip(med, gflops, peaks))
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
