"""Training in chunks of samples when the activation bits would not fit.

A fit keeps the activation bits of at most KDFAST_ACTIVATION_BUDGET bytes
(one panel of samples at least). A tiny budget makes every fit run in many
chunks; it must compute the same step, to rounding (in float32, W is rounded
once per step, as without chunks), and stay independent of the thread count.
The engine reads the budget at every fit; the cases that compare thread
counts run in a child process.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kdfast
import reference as ref

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import kdfast
    from kdfast import _core

    args = json.loads(sys.stdin.read())
    X, y = np.array(args["X"]), np.array(args["y"])
    out = {"bytes": _core.activation_bytes(n_neurons=args["M"], n_samples=len(X), float32=False)}
    for threads in (1, 2):
        bank = kdfast.StudentBank(X.shape[1], args["widths"], seeds=[0, 1], dtype=np.float64)
        history = bank.fit(X, y, steps=6, lr=2.0, radius=args["radius"], projection=args["projection"],
                           X_test=X[:20], y_test=y[:20], n_threads=threads)
        out[threads] = {"W": bank.W.tolist(), "loss": history.loss.tolist(), "acc": history.train_acc.tolist(),
                        "mean_loss": history.mean_loss.tolist(), "test_loss": history.test_loss.tolist()}
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize(
    ("d", "projection", "radius"),
    [(5, "neuron", 0.5), (64, "network", 1.0), (5, "neuron", None), (300, "neuron", 0.5)],
)
def test_chunked_fit_equals_one_chunk(d, projection, radius):
    rng = np.random.default_rng(3)
    n, widths = 150, [1, 7, 30]
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    args = {
        "X": X.tolist(),
        "y": y.tolist(),
        "widths": widths,
        "M": 2 * sum(widths),
        "projection": projection,
        "radius": radius,
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "KDFAST_ACTIVATION_BUDGET": "1"},
    )
    out = json.loads(child.stdout)
    # One panel of samples per chunk: far less than all 150 samples' bits.
    assert 0 < out["bytes"] < kdfast._core.activation_bytes(n_neurons=args["M"], n_samples=n, float32=False) / 2
    # Chunked results are still bitwise independent of the thread count.
    assert out["1"] == out["2"]

    bank = kdfast.StudentBank(d, widths, seeds=[0, 1], dtype=np.float64)
    history = bank.fit(X, y, steps=6, lr=2.0, radius=radius, projection=projection, X_test=X[:20], y_test=y[:20])
    # The same arithmetic summed in another order (chunk by chunk): float64
    # rounding, ~1e-16 per operation, over 6 steps.
    np.testing.assert_allclose(out["1"]["W"], bank.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out["1"]["loss"], history.loss, rtol=1e-12)
    np.testing.assert_allclose(out["1"]["mean_loss"], history.mean_loss, rtol=1e-12)
    np.testing.assert_allclose(out["1"]["test_loss"], history.test_loss, rtol=1e-12)
    np.testing.assert_array_equal(out["1"]["acc"], history.train_acc)


@pytest.mark.parametrize("d", [16, 64, 300])
def test_a_float32_step_in_chunks_rounds_w_once(d, monkeypatch):
    """The chunks' gradient sums are added up before the step, so W is rounded once per step, as without chunks."""
    rng = np.random.default_rng(11)
    n, widths, seeds, lr = 400, [50, 100, 200], [0, 1], 2.0
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = 1 / (1 + np.exp(-3 * X[:, 0] * X[:, 1]))
    M = sum(widths) * len(seeds)
    whole = kdfast._core.activation_bytes(n_neurons=M, n_samples=n, float32=True)
    monkeypatch.setenv("KDFAST_ACTIVATION_BUDGET", "1")
    # One panel of samples per chunk: at least 12 chunks, whatever the vector width.
    assert kdfast._core.activation_bytes(n_neurons=M, n_samples=n, float32=True) * 12 <= whole
    bank = kdfast.StudentBank(d, widths, seeds=seeds, dtype=np.float32)
    bank.fit(X, p, steps=1, lr=lr)

    W0, a = bank.W0.astype(np.float64), bank.a.astype(np.float64)
    net_widths = widths * len(seeds)
    P = np.repeat(p[:, None], len(net_widths), axis=1)
    X32 = X.astype(np.float32).astype(np.float64)
    exact = W0 - lr * ref.gradient(W0, a, net_widths, X32, P, np.ones(len(net_widths)))
    ulps = np.abs(bank.W - exact) / np.spacing(np.abs(exact).astype(np.float32))
    # Rounding W once errs by at most 0.5 ulp of W; the float32 gradient's own
    # rounding (sums of n products, in an update of ~10^3 ulps of W at this
    # lr) adds up to about 0.3 at the 99.9th percentile: one step on all
    # samples measures 0.5-0.65 ulp here, the same step in NumPy float32
    # 0.5-0.8. Subtracting each chunk's part from W in turn rounded W once per
    # chunk: 4.7 ulp. The percentile leaves out the few entries where the
    # update all but cancels W, whose ulp is then far below the gradient's
    # error.
    assert np.percentile(ulps, 99.9) <= 1.0
