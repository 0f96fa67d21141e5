"""pytest-benchmark suites: kdfast against PyTorch and JAX on the design's workloads.

    pip install ".[bench]" torch==2.13.0
    python -m pytest bench --benchmark-columns=median,iqr,rounds -k digits

One round is STEPS projected-gradient steps of one engine; every benchmark
also checks that the engine computed the same losses as kdfast. Engines
share this process, so prefer bench/report.py (one process per engine,
alternating) for the numbers quoted in the README.
"""

from __future__ import annotations

import numpy as np
import pytest

import kdfast
from workloads import LR, RADIUS, TEMPERATURE, WORKLOADS


STEPS = 3
THREADS = 2
# float32 losses summed over up to 10,000 samples, after a few steps in
# which a handful of pre-activations near 0 may switch sides.
RTOL = 1e-4


@pytest.fixture(params=list(WORKLOADS), scope="module")
def workload(request):
    w = WORKLOADS[request.param]
    if w.name in ("mnist-sweep", "thousands") and not request.config.getoption("-k"):
        pytest.skip("large workload: select it with -k")
    X, p = w.data()
    bank = kdfast.StudentBank(w.d, list(w.widths), seeds=range(w.seeds))
    # The reference result: kdfast's losses before and after STEPS steps.
    history = bank.fit(X, p, steps=STEPS, lr=LR, radius=RADIUS, temperature=TEMPERATURE, n_threads=THREADS)
    return w, X, p, bank, history.loss[[0, -1]]


def test_kdfast(benchmark, workload):
    w, X, p, bank, expected = workload

    def run():
        bank.reset()
        return bank.fit(X, p, steps=STEPS, lr=LR, radius=RADIUS, temperature=TEMPERATURE, n_threads=THREADS)

    history = benchmark.pedantic(run, rounds=3, iterations=1)
    np.testing.assert_array_equal(history.loss[[0, -1]], expected)


@pytest.mark.parametrize("engine", ["batched_step", "loop_step"])
def test_torch(benchmark, workload, engine):
    torch = pytest.importorskip("torch")
    from torch_baseline import TorchBank

    w, X, p, bank, expected = workload
    if w.name == "thousands":
        pytest.skip("batched PyTorch needs several 1,000 x 2,001,000 float32 tensors; the loop takes minutes")
    torch.set_num_threads(THREADS)
    Xt = torch.from_numpy(X)
    P = torch.from_numpy(p.astype(np.float32)).unsqueeze(1).expand(w.n, bank.n_networks)

    def run():
        tb = TorchBank(bank.W0, bank.a, bank.widths, lr=LR, radius=RADIUS, temperature=TEMPERATURE)
        step = getattr(tb, engine)
        first = step(Xt, P)
        for _ in range(STEPS - 1):
            step(Xt, P)
        return first, tb

    first, tb = benchmark.pedantic(run, rounds=3, iterations=1)
    with torch.no_grad():
        F = tb.logits(Xt)
        last, _ = tb._loss_residual(F, P)
    np.testing.assert_allclose(first.detach().numpy(), expected[0], rtol=RTOL)
    np.testing.assert_allclose(last.detach().numpy(), expected[1], rtol=RTOL)


def test_jax(benchmark, workload):
    pytest.importorskip("jax")
    from jax_baseline import JaxBank

    w, X, p, bank, expected = workload
    if w.name == "thousands":
        pytest.skip("the jit-compiled step needs several 1,000 x 2,001,000 float32 arrays")
    P = p.astype(np.float32)[:, None]

    def run():
        jb = JaxBank(bank.W0, bank.a, bank.widths, lr=LR, radius=RADIUS, temperature=TEMPERATURE)
        losses = [jb.step(X, P) for _ in range(STEPS)]
        return losses[0], jb

    first, jb = benchmark.pedantic(run, rounds=3, iterations=1)
    # One more step's loss is L(W_STEPS), kdfast's last record.
    last = jb.step(X, P)
    np.testing.assert_allclose(np.asarray(first), expected[0], rtol=RTOL)
    np.testing.assert_allclose(np.asarray(last), expected[1], rtol=RTOL)
