"""Deep students: seeds trained as one vmapped model against a plain loop over the seeds.

    pip install ".[torch]"
    python bench/deep_vmap.py [--threads 2] [--repeats 5]

For each image size, CNN width and seed count, trains the same students
(soft labels, one epoch of 1,024 random images in batches of 64) with
kdfast.deep.train.train twice: vectorize=True (torch.func.stack_module_state
+ vmap: one batched forward and backward a step) and vectorize=False (one
module after the other). The two alternate, after a warm-up, and the
median times are compared; each pair is also checked to have trained the
same weights (to float32 rounding). Prints one line per case.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import torch

from kdfast.deep.models import CNN
from kdfast.deep.train import init_students, torch_settings, train

N, BATCH, CLASSES = 1024, 64, 10
SHAPES = {"mnist 1x28x28": (1, 28, 28), "digits 1x8x8": (1, 8, 8)}
WIDTHS = (2, 8)
SEEDS = (4, 8)


def _case(shape, width: int, seeds: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((N, *shape)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, CLASSES, N))
    T = torch.from_numpy(rng.standard_normal((N, CLASSES)).astype(np.float32))
    modules = init_students(lambda w: CNN(w, shape, CLASSES), width, range(seeds))
    kwargs = dict(seeds=list(range(seeds)), temperature=4.0, alpha=1.0, epochs=1, batch_size=BATCH, lr=0.01)
    times = {True: [], False: []}
    trained = {}
    for repeat in range(repeats + 1):  # the first round warms up
        for vectorize in (True, False):
            copies = copy.deepcopy(modules)
            start = time.perf_counter()
            train(copies, X, y, T, vectorize=vectorize, **kwargs)
            if repeat:
                times[vectorize].append(time.perf_counter() - start)
            trained[vectorize] = copies
    worst = max(
        (p - q).abs().max().item() / max(q.abs().max().item(), 1e-30)
        for a, b in zip(trained[True], trained[False])
        for p, q in zip(a.parameters(), b.parameters())
    )
    vmap, loop = statistics.median(times[True]), statistics.median(times[False])
    return {"vmap_s": vmap, "loop_s": loop, "speedup": loop / vmap, "max_rel_diff": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    steps = -(-N // BATCH)
    print(
        f"torch {torch.__version__}, {args.threads} threads, {steps} steps of {BATCH} images, median of {args.repeats}"
    )
    print(
        f"{'images':>14} {'width':>5} {'seeds':>5} {'vmap ms/step':>12} {'loop ms/step':>12} "
        f"{'speed-up':>8} {'max rel diff':>12}"
    )
    with torch_settings(args.threads):
        for label, shape in SHAPES.items():
            for width in WIDTHS:
                for seeds in SEEDS:
                    r = _case(shape, width, seeds, args.repeats)
                    print(
                        f"{label:>14} {width:>5} {seeds:>5} {1e3 * r['vmap_s'] / steps:>12.1f} "
                        f"{1e3 * r['loop_s'] / steps:>12.1f} {r['speedup']:>7.2f}x {r['max_rel_diff']:>12.1e}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
