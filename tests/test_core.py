"""The compiled engine's boundary: what `_core` exports, how it is called, what it refuses.

The public layer validates user input before it calls the engine; these
tests call `_core` directly, as a caller that skipped those checks would, and
expect a TypeError or ValueError naming the argument, never a crash.
"""

import ast
from pathlib import Path

import numpy as np
import pytest

import kdfast
from kdfast import _core

K, M, D, N = 2, 3, 4, 5


def bank_arrays(dtype=np.float64) -> dict:
    """The bank's arguments of a valid call: networks of 1 and 2 neurons."""
    rng = np.random.default_rng(0)
    W0 = rng.normal(size=(M, D)).astype(dtype)
    return dict(W0=W0, a=np.array([1.0, -1.0, 1.0], dtype=dtype), offsets=np.array([0, 1, M], dtype=np.int64))


def init_bank_call(**changes):
    arrays = bank_arrays()
    arrays["W0"] = np.empty_like(arrays["W0"])
    seeds = np.arange(K, dtype=np.uint64)
    return _core.init_bank(**{**arrays, "seeds": seeds, "symmetric": False, "n_threads": 1, **changes})


def logits_call(**changes):
    arrays = bank_arrays()
    X = np.ones((N, D))
    return _core.logits(**{**arrays, "W": arrays["W0"], "X": X, "n_threads": 1, **changes})


def train_call(**changes):
    arrays = bank_arrays()
    per_network = np.ones(K)
    kwargs = dict(
        arrays,
        W=arrays["W0"].copy(),
        X=np.ones((N, D)),
        target=np.full((N, 1), 0.5),
        y=None,
        X_test=None,
        target_test=None,
        y_test=None,
        target_index=np.zeros(K, dtype=np.int64),
        lr=per_network,
        radius=per_network,
        temperature=per_network,
        projection=1,
        steps=2,
        record_every=1,
        n_threads=1,
    )
    return _core.train(**{**kwargs, **changes})


def max_drift_call(**changes):
    arrays = bank_arrays()
    return _core.max_drift(**{**arrays, "W": arrays["W0"], "n_threads": 1, **changes})


def fit_bytes_call(**changes):
    sizes = dict(
        n_networks=K,
        n_neurons=M,
        d=D,
        n_samples=N,
        n_columns=1,
        n_test=0,
        labels=False,
        steps=2,
        record_every=1,
        n_threads=1,
        float32=False,
    )
    return _core.fit_bytes(**{**sizes, **changes})


CALLS = [init_bank_call, logits_call, train_call, max_drift_call, fit_bytes_call]


def test_the_stub_declares_every_export():
    stub = ast.parse((Path(kdfast.__file__).parent / "_core.pyi").read_text())
    declared = {node.name for node in stub.body if isinstance(node, ast.FunctionDef)}
    exported = {name for name in dir(_core) if not name.startswith("_")}
    assert declared == exported
    assert "__getattr__" not in declared


@pytest.mark.parametrize("call", CALLS)
def test_a_valid_call_runs(call):
    call()  # the baseline of the rejections below: only the changed argument is wrong


@pytest.mark.parametrize("n_threads", [0, -1])
@pytest.mark.parametrize("call", CALLS)
def test_every_binding_rejects_no_threads(call, n_threads):
    with pytest.raises(ValueError, match=rf"^n_threads: must be >= 1, got {n_threads}$"):
        call(n_threads=n_threads)


@pytest.mark.parametrize("call", [train_call, fit_bytes_call])
def test_steps_and_record_every_are_checked_alike(call):
    with pytest.raises(ValueError, match=r"^steps: must be >= 0, got -1$"):
        call(steps=-1)
    with pytest.raises(ValueError, match=r"^record_every: must be >= 1, got 0$"):
        call(record_every=0)


def test_train_rejects_an_unknown_projection():
    with pytest.raises(ValueError, match=r"^projection: must be 0 \(none\), 1 \(neuron\) or 2 \(network\), got 3$"):
        train_call(projection=3)


def test_arguments_are_keywords_only():
    arrays = bank_arrays()
    with pytest.raises(TypeError, match="incompatible function arguments"):
        _core.max_drift(arrays["W0"], arrays["W0"], arrays["a"], arrays["offsets"], 1)
    with pytest.raises(TypeError, match="incompatible function arguments"):
        _core.activation_bytes(10, 10, True)


def test_activation_bytes_rejects_empty_sizes():
    with pytest.raises(ValueError, match="sizes: need n_neurons, n_samples >= 1"):
        _core.activation_bytes(n_neurons=0, n_samples=10, float32=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("symmetric", [False, True])
def test_init_bank_is_independent_of_the_threads(dtype, symmetric):
    # More networks than threads, of widths that do not divide evenly among
    # them, so that threads share networks and networks share threads.
    widths = np.array([2, 130, 4, 66, 2, 8, 34, 2, 10], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(widths))).astype(np.int64)
    seeds = np.array([1, 1, 7, 7, 9, 2**63 + 5, 3, 3, 4], dtype=np.uint64)
    arrays = []
    for threads in (1, 2, 3):
        W0, a = np.empty((int(offsets[-1]), 9), dtype=dtype), np.empty(int(offsets[-1]), dtype=dtype)
        _core.init_bank(W0=W0, a=a, seeds=seeds, offsets=offsets, symmetric=symmetric, n_threads=threads)
        arrays.append((W0, a))
    for W0, a in arrays[1:]:
        np.testing.assert_array_equal(W0, arrays[0][0])
        np.testing.assert_array_equal(a, arrays[0][1])
