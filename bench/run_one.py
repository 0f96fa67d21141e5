"""Times one engine on one workload in a fresh process; prints one JSON line.

    python bench/run_one.py WORKLOAD ENGINE THREADS STEPS

ENGINE is kdfast, torch-batched, torch-loop, or sgemm: NumPy's float32
matrix product of two 2048 x 2048 matrices, this machine's matrix-product
peak (WORKLOAD is then ignored, and "ms_per_step" is per product). Each
engine runs in its own process: two OpenMP runtimes in one process distort
both.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> None:
    name, engine, threads, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from workloads import LR, RADIUS, TEMPERATURE, WORKLOADS

    w = WORKLOADS[name]
    X, p = w.data()
    out = {"workload": name, "engine": engine, "threads": threads}
    if engine == "sgemm":
        A = np.random.default_rng(1).normal(size=(2048, 2048)).astype(np.float32)
        A @ A  # warm-up
        start = time.perf_counter()
        for _ in range(steps):
            A @ A
        seconds = (time.perf_counter() - start) / steps
        out["gflops"] = 2 * 2048**3 / seconds / 1e9
    elif engine == "kdfast":
        import kdfast

        bank = kdfast.StudentBank(w.d, list(w.widths), seeds=range(w.seeds))

        def fit(n_steps):
            bank.reset()
            start = time.perf_counter()
            history = bank.fit(X, p, steps=n_steps, lr=LR, radius=RADIUS, temperature=TEMPERATURE, n_threads=threads)
            return time.perf_counter() - start, history

        # The marginal cost of a step: a fit also has fixed costs (copies,
        # buffers, the final evaluation it records), which a long run
        # amortises; the difference of two fits leaves them out.
        fit(1)  # warm-up
        short, history = fit(steps)
        long, _ = fit(2 * steps)
        seconds = (long - short) / steps
        out["loss"] = history.loss[0].tolist()
    else:
        import torch

        import kdfast
        from torch_baseline import TorchBank

        torch.set_num_threads(threads)
        bank = kdfast.StudentBank(w.d, list(w.widths), seeds=range(w.seeds))
        tb = TorchBank(bank.W0, bank.a, bank.widths, lr=LR, radius=RADIUS, temperature=TEMPERATURE)
        Xt = torch.from_numpy(X)
        P = torch.from_numpy(p.astype(np.float32)).unsqueeze(1).expand(w.n, bank.n_networks)
        step = tb.batched_step if engine == "torch-batched" else tb.loop_step
        with torch.no_grad() if engine == "torch-batched" else torch.enable_grad():
            first = step(Xt, P)  # warm-up; its loss is L(W0), as kdfast's first record
            start = time.perf_counter()
            for _ in range(steps):
                step(Xt, P)
        seconds = (time.perf_counter() - start) / steps
        out["loss"] = first.detach().tolist()
    out["ms_per_step"] = 1e3 * seconds
    out.setdefault("gflops", w.flops_per_step / seconds / 1e9)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
