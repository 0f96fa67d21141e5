"""Times one engine on one workload in a fresh process; prints one JSON line.

    python bench/run_one.py WORKLOAD ENGINE THREADS STEPS

ENGINE is kdfast, torch-batched, torch-loop, jax (the batched step,
jit-compiled), or one of NumPy's float32 matrix products:
- sgemm: two 2048 x 2048 matrices, this machine's matrix-product peak
  (WORKLOAD is then ignored, and "ms_per_step" is per product);
- products: the two plain products of the workload's step, X W^T (n x d by
  d x M) and G^T X (M x n by n x d), timed apart ("forward_ms",
  "backward_ms"; "ms_per_step" is their sum).
Both report the BLAS kernel that ran ("kernel", from threadpoolctl). Each
engine runs in its own process: two OpenMP runtimes in one process distort
both.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def best_time(product, repeats: int) -> float:
    """Seconds of the fastest of `repeats` calls, after one warm-up call."""
    product()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - start)
    return best


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
    if engine in ("sgemm", "products"):
        from threadpoolctl import threadpool_info

        out["kernel"] = ", ".join(f"{i['internal_api']} {i.get('architecture', '?')}" for i in threadpool_info())
        rng = np.random.default_rng(1)
        if engine == "sgemm":
            A = rng.normal(size=(2048, 2048)).astype(np.float32)
            seconds = best_time(lambda: A @ A, steps)
            out["gflops"] = 2 * 2048**3 / seconds / 1e9
        else:
            W = rng.normal(size=(w.n_neurons, w.d)).astype(np.float32)
            G = rng.normal(size=(w.n, w.n_neurons)).astype(np.float32)
            forward, backward = best_time(lambda: X @ W.T, steps), best_time(lambda: G.T @ X, steps)
            out["forward_ms"], out["backward_ms"] = 1e3 * forward, 1e3 * backward
            seconds = forward + backward
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
    elif engine == "jax":
        # XLA sizes its thread pool by the CPUs this process may run on.
        if hasattr(os, "sched_setaffinity") and threads < len(os.sched_getaffinity(0)):
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
        import jax.numpy as jnp

        import kdfast
        from jax_baseline import JaxBank

        bank = kdfast.StudentBank(w.d, list(w.widths), seeds=range(w.seeds))
        jb = JaxBank(bank.W0, bank.a, bank.widths, lr=LR, radius=RADIUS, temperature=TEMPERATURE)
        Xj, P = jnp.asarray(X), jnp.asarray(p.astype(np.float32)[:, None])
        first = jb.step(Xj, P).block_until_ready()  # compiles; its loss is L(W0)
        start = time.perf_counter()
        for _ in range(steps):
            jb.step(Xj, P)
        jb.W.block_until_ready()
        seconds = (time.perf_counter() - start) / steps
        out["loss"] = np.asarray(first).tolist()
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
