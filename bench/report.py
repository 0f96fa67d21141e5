"""Speed of kdfast against PyTorch baselines and the matrix-product peak.

    python bench/report.py [--rounds 5] [--threads 2] [--workloads digits-sweep,...]
    python bench/report.py --scaling 1,2      # kdfast alone, by thread count

For each workload of the design, runs kdfast, PyTorch's batched step and its
per-network loop, and NumPy's float32 matrix product, each in a fresh
process (bench/run_one.py), alternating them round after round, and prints
the median time per step of each, kdfast's speed-up over batched PyTorch,
its GFLOP/s (4 n d M flops per step) as a fraction of the sgemm peak, and
peak memory. It also checks that kdfast and PyTorch computed the same loss.
Medians of alternating runs keep a shared, noisy machine from favouring
either side.
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
SKIP = {("thousands", "torch-batched"), ("thousands", "torch-loop")}


def run(workload: str, engine: str, threads: int, steps: int) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "run_one.py"), workload, engine, str(threads), str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--engines", default="kdfast,torch-batched,torch-loop")
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
    for r in range(args.rounds):
        sgemm = run(names[0], "sgemm", args.threads, 5)
        times.setdefault("sgemm", []).append(sgemm["gflops"])
        for name in names:
            # Alternate the order from round to round, so neither engine
            # always runs right after the other.
            order = engines if r % 2 == 0 else engines[::-1]
            for engine in order:
                if (name, engine) in SKIP:
                    continue
                out = run(name, engine, args.threads, STEPS[name])
                times.setdefault((name, engine), []).append(out["ms_per_step"])
                memory[(name, engine)] = max(memory.get((name, engine), 0.0), out["peak_rss_mb"])
                losses[(name, engine)] = np.asarray(out["loss"])
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    peak = statistics.median(times["sgemm"])
    print(f"\n{args.threads} threads, float32, medians of {args.rounds} alternating runs; "
          f"NumPy sgemm peak {peak:.0f} GFLOP/s\n")  # fmt: skip
    print("| workload | kdfast ms/step | batched torch ms/step | loop torch ms/step | speed-up vs batched "
          "| kdfast GFLOP/s | of sgemm peak | kdfast peak RSS MB | batched torch peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        w = WORKLOADS[name]
        med = {e: statistics.median(times[(name, e)]) for e in engines if (name, e) in times}
        kd = med["kdfast"]
        gflops = w.flops_per_step / (kd / 1e3) / 1e9
        cell = lambda e: f"{med[e]:.1f}" if e in med else "does not fit"  # noqa: E731
        speedup = f"{med['torch-batched'] / kd:.1f}x" if "torch-batched" in med else "n/a"
        mem = lambda e: f"{memory[(name, e)]:.0f}" if (name, e) in memory else "n/a"  # noqa: E731
        print(f"| {name} | {kd:.1f} | {cell('torch-batched')} | {cell('torch-loop')} | {speedup} "
              f"| {gflops:.0f} | {gflops / peak:.0%} | {mem('kdfast')} | {mem('torch-batched')} |")  # fmt: skip
    # The same loss L(W0) from every engine, or the timings mean nothing.
    for (name, engine), loss in losses.items():
        np.testing.assert_allclose(loss, losses[(name, "kdfast")], rtol=1e-4,
                                   err_msg=f"{name}: {engine} and kdfast disagree on the loss")  # fmt: skip


def scaling(names: list[str], threads: list[int], rounds: int) -> None:
    times: dict = {}
    for r in range(rounds):
        for name in names:
            for t in threads if r % 2 == 0 else threads[::-1]:
                times.setdefault((name, t), []).append(run(name, "kdfast", t, STEPS[name])["ms_per_step"])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    print(f"\nkdfast ms/step by thread count (speed-up over {threads[0]} thread), medians of {rounds} runs\n")
    print("| workload | " + " | ".join(f"{t} threads" for t in threads) + " |")
    print("|---|" + "---|" * len(threads))
    for name in names:
        med = [statistics.median(times[(name, t)]) for t in threads]
        print(f"| {name} | " + " | ".join(f"{m:.1f} ({med[0] / m:.2f}x)" for m in med) + " |")


if __name__ == "__main__":
    main()
