"""Speed of kdfast against PyTorch baselines and the matrix-product peak.

    python bench/report.py [--rounds 5] [--threads 2] [--workloads digits-sweep,...]

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
    args = parser.parse_args()
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
        for engine in ("torch-batched", "torch-loop"):
            if (name, engine) in losses:
                np.testing.assert_allclose(losses[(name, "kdfast")], losses[(name, engine)], rtol=1e-4,
                                           err_msg=f"{name}: kdfast and {engine} disagree on the loss")  # fmt: skip


if __name__ == "__main__":
    main()
