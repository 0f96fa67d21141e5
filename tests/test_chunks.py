"""Training in chunks of samples when the activation bits would not fit.

A fit keeps the activation bits of at most KDFAST_ACTIVATION_BUDGET bytes
(one panel of samples at least). A tiny budget makes every fit run in many
chunks; it must compute the same step, to rounding, and stay independent of
the thread count. The budget is read by the engine, so each case runs in a
child process.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kdfast

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
    args = {"X": X.tolist(), "y": y.tolist(), "widths": widths, "M": 2 * sum(widths),
            "projection": projection, "radius": radius}  # fmt: skip
    child = subprocess.run(
        [sys.executable, "-c", CHILD], input=json.dumps(args), capture_output=True, text=True, check=True,
        env={**os.environ, "KDFAST_ACTIVATION_BUDGET": "1"},
    )  # fmt: skip
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
