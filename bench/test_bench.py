"""pytest-benchmark suites: kdfast against PyTorch and JAX on the design's workloads.

    pip install ".[bench]" torch==2.13.0
    python -m pytest bench --benchmark-columns=median,iqr,rounds -k digits

One round is STEPS projected-gradient steps of one engine. Every benchmark
also checks the losses its engine computed before and after those steps
against the float64 NumPy reference of the test suite (tests/reference.py,
written from the contract, not from any of the engines); on the two large
workloads the reference takes minutes. Engines share this process, so prefer
bench/report.py (one process per engine, alternating) for the numbers quoted
in the README.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import kdfast
from workloads import LR, RADIUS, TEMPERATURE, WORKLOADS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import reference as ref  # noqa: E402

STEPS = 3
THREADS = 2
# Every engine computes in float32 from the float32 weights and inputs the
# float64 reference starts from. A logit sums up to 784 products and 4,096
# neurons, so rounding (6e-8) moves it by ~6e-8 * sqrt(784 + 4096) ~ 4e-6 of
# its size at worst, and a loss averages hundreds to thousands of them.
# Measured: at most 6e-8 for kdfast on the four workloads, 3e-7 for PyTorch
# and JAX (which also round the targets to float32) on the two small ones.
# The three steps lower every loss by at least 7e-5 of it, so a step left
# out or wrong shows.
RTOL = 1e-5
# The reference holds (n, neurons) float64 products; groups of networks with
# at most this many entries keep them to ~130 MB each on the large workloads.
REFERENCE_ENTRIES = 1 << 24


def reference_losses(X, p, bank) -> np.ndarray:
    """(2, K): the reference's losses L(W0) and L(W_STEPS) of every network of `bank`.

    Networks are independent, so the reference runs on groups of them.
    """
    W0, a, widths = bank.W0.astype(np.float64), bank.a.astype(np.float64), np.asarray(bank.widths)
    offsets = ref.offsets_of(widths)
    losses, first = [], 0
    while first < len(widths):
        last = first + 1
        while last < len(widths) and (offsets[last + 1] - offsets[first]) * len(X) <= REFERENCE_ENTRIES:
            last += 1
        rows = slice(offsets[first], offsets[last])
        run = ref.fit(
            W0[rows], a[rows], widths[first:last], X, p, steps=STEPS, lr=LR, radius=RADIUS, temperature=TEMPERATURE
        )
        losses.append(run.loss[[0, -1]])
        first = last
    return np.concatenate(losses, axis=1)


@pytest.fixture(params=list(WORKLOADS), scope="module")
def workload(request):
    w = WORKLOADS[request.param]
    if w.name in ("mnist-sweep", "thousands") and not request.config.getoption("-k"):
        pytest.skip("large workload: select it with -k")
    X, p = w.data()
    bank = kdfast.StudentBank(w.d, list(w.widths), seeds=range(w.seeds))
    return w, X, p, bank, reference_losses(X, p, bank)


def test_kdfast(benchmark, workload):
    w, X, p, bank, expected = workload

    def run():
        bank.reset()
        return bank.fit(X, p, steps=STEPS, lr=LR, radius=RADIUS, temperature=TEMPERATURE, n_threads=THREADS)

    history = benchmark.pedantic(run, rounds=3, iterations=1)
    np.testing.assert_allclose(history.loss[[0, -1]], expected, rtol=RTOL)


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
    # One more step's loss is L(W_STEPS), the reference's last record.
    last = tb.batched_step(Xt, P)
    np.testing.assert_allclose(first.detach().numpy(), expected[0], rtol=RTOL)
    np.testing.assert_allclose(last.numpy(), expected[1], rtol=RTOL)


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
        jb.W.block_until_ready()  # JAX dispatches asynchronously: time the steps, not their dispatch
        return losses[0], jb

    first, jb = benchmark.pedantic(run, rounds=3, iterations=1)
    last = jb.step(X, P)
    np.testing.assert_allclose(np.asarray(first), expected[0], rtol=RTOL)
    np.testing.assert_allclose(np.asarray(last), expected[1], rtol=RTOL)
