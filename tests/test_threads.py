"""Results are bitwise identical for any thread count."""

import sys

import numpy as np
import pytest

import kdfast
from kdfast import _core


@pytest.mark.skipif(sys.platform not in ("linux", "darwin"), reason="builds elsewhere need not have OpenMP")
def test_openmp_is_enabled():
    """The wheels and CI build with OpenMP on Linux and macOS: without it the tests below would prove nothing."""
    assert _core.openmp_enabled()
    assert _core.max_threads() >= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("radius", "projection"), [(None, "neuron"), (0.5, "neuron"), (2.0, "network")])
# The two layouts of the backward pass; d = 300 also runs the forward pass
# in several slices of coordinates and passes of neuron tiles.
@pytest.mark.parametrize("d", [7, 64, 300])
def test_fit_is_bitwise_identical_for_1_and_2_threads(dtype, radius, projection, d):
    if not _core.openmp_enabled():
        pytest.skip("built without OpenMP: every count runs on one thread")
    rng = np.random.default_rng(1)
    # n spans several sample tiles and M several neuron blocks, so that two
    # threads really split both passes.
    n = 150
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sign(X[:, 0] * X[:, 1] + 1e-3)
    results = []
    for threads in (1, 2):
        bank = kdfast.StudentBank(d, [1, 5, 40, 60], seeds=[3, 4], dtype=dtype)
        history = bank.fit(
            X,
            y,
            steps=6,
            lr=2.0,
            radius=radius,
            projection=projection,
            X_test=X[:30],
            y_test=y[:30],
            n_threads=threads,
        )
        results.append((bank.W, bank.logits(X, n_threads=threads), history))
    (W1, F1, h1), (W2, F2, h2) = results
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(F1, F2)
    for name in ("loss", "mean_loss", "final_loss", "train_acc", "test_loss", "test_acc", "max_drift"):
        np.testing.assert_array_equal(getattr(h1, name), getattr(h2, name), err_msg=name)


def test_n_threads_semantics(monkeypatch):
    from kdfast._threads import effective_n_threads

    available = _core.max_threads()
    assert effective_n_threads(None) == available
    assert effective_n_threads(-1) == available
    assert effective_n_threads(-(available + 5)) == 1
    assert effective_n_threads(3) == 3
