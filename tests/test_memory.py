"""What a fit allocates: `_core.fit_bytes` against the engine's allocations, and the check before a fit.

StudentBank.fit refuses, with a MemoryError stating the size, a fit that
cannot fit in memory; it asks the engine (`_core.fit_bytes`) how much the
engine will allocate, so the sizes are worked out in one place. Whether that
count is what the engine really allocates is observed through glibc's
allocator statistics (mallinfo2), sampled while a fit runs.
"""

import ctypes
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kdfast
from kdfast import _core
from kdfast import _validation as check

# Runs _core.train on the arrays StudentBank.fit would pass and prints, per
# case, fit_bytes and the most memory in use during the fit beyond what was
# in use before it: malloc's heap (uordblks) and its mmapped blocks (hblkhd),
# which hold every C++ buffer and NumPy array of the fit. A thread samples
# them while the fit runs (the engine releases the GIL).
CHILD = textwrap.dedent(
    """
    import ctypes, json, os, sys, threading, time
    import numpy as np
    import kdfast
    from kdfast import _core

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2

    def in_use():
        info = libc.mallinfo2()
        return info.uordblks + info.hblkhd

    def peak_during(fit):
        done, peak = threading.Event(), [0]
        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], in_use())
                time.sleep(0.0005)
        sampler = threading.Thread(target=sample)
        sampler.start()
        before = in_use()
        try:
            fit()
        finally:
            done.set()
            sampler.join()
        return peak[0] - before

    def measure(c):
        if c["budget"] is None:
            os.environ.pop("KDFAST_ACTIVATION_BUDGET", None)
        else:
            os.environ["KDFAST_ACTIVATION_BUDGET"] = str(c["budget"])
        dtype = np.dtype(c["dtype"])
        n, n_test, d = c["n"], c["n_test"], c["d"]
        bank = kdfast.StudentBank(d, c["widths"], seeds=[0, 1], dtype=dtype)
        K, M = bank.n_networks, bank.n_neurons
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n + n_test, d)).astype(dtype)
        P = rng.uniform(size=(n + n_test, 1))
        y = np.where(rng.normal(size=n + n_test) > 0, 1, -1).astype(np.int8)
        test = (X[n:], P[n:], y[n:]) if n_test else (None, None, None)
        per_network, W = np.ones(K), bank.W.copy()

        def fit():
            _core.train(W=W, W0=bank.W0, a=bank.a, offsets=bank.offsets, X=X[:n], target=P[:n],
                        y=y[:n] if c["labels"] else None, X_test=test[0], target_test=test[1], y_test=test[2],
                        target_index=np.zeros(K, np.int64), lr=per_network, radius=per_network,
                        temperature=per_network, projection=1, steps=c["steps"], record_every=1,
                        n_threads=c["threads"])

        fit()  # the OpenMP runtime sets up its threads once
        # The sampler may miss the fit's peak on a busy machine, never exceed it.
        observed = max(peak_during(fit) for _ in range(3))
        want = _core.fit_bytes(n_networks=K, n_neurons=M, d=d, n_samples=n, n_columns=1, n_test=n_test,
                               labels=c["labels"], steps=c["steps"], record_every=1, n_threads=c["threads"],
                               float32=dtype == np.float32)
        return {"observed": observed, "fit_bytes": want}

    print(json.dumps([measure(c) for c in json.loads(sys.stdin.read())]))
    """
)


def case(**changes):
    # 2 x 79 networks of 6,320 neurons in all on 600 samples, d = 40 (the
    # backward pass's row path): every buffer but a few (K,) vectors larger
    # than the tolerance below. Eight steps keep the buffers alive for tens of
    # milliseconds, so the sampler sees them even on a busy machine.
    base = dict(
        dtype="float32", d=40, widths=list(range(1, 80)), n=600, n_test=0, labels=True, steps=8, threads=1, budget=None
    )
    return {**base, **changes}


CASES = {
    "float32": case(),
    "float64": case(dtype="float64"),
    "larger n": case(n=1500),
    "fewer neurons": case(widths=list(range(1, 40))),
    "test set": case(n_test=400),
    "no labels, d=5 (sample path), 2 threads": case(labels=False, d=5, threads=2),
    "chunks of one panel": case(budget=1),
    "chunks of a few panels": case(budget=30_000, n_test=300),
    "many records": case(widths=[1] * 400, n=40, n_test=40, steps=500),
}


def _has_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _has_mallinfo2(), reason="observing allocations needs glibc's mallinfo2 (glibc >= 2.33)")
def test_fit_bytes_is_what_a_fit_allocates():
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(list(CASES.values())),
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "KDFAST_ACTIVATION_BUDGET"},
    )
    results = dict(zip(CASES, json.loads(child.stdout)))
    for name, got in results.items():
        # malloc's own bookkeeping: 8 to 16 bytes a block, up to a page for a
        # large one, over a few hundred blocks at most (a few kB seen).
        # fit_bytes leaves out the forward kernel's own per-thread work space,
        # which inputs as narrow as these do not need.
        assert abs(got["observed"] - got["fit_bytes"]) <= 64 * 1024, (name, got)
    # The counts differ as the buffers do, so the agreement says something.
    wanted = {name: got["fit_bytes"] for name, got in results.items()}
    assert wanted["float32"] > 2_000_000
    assert wanted["float64"] > 1.5 * wanted["float32"]
    assert wanted["larger n"] > 1.5 * wanted["float32"]
    assert wanted["fewer neurons"] < 0.5 * wanted["float32"]
    assert wanted["test set"] > wanted["float32"] + 400 * 40 * 4
    # The activation bits of one chunk at a time, 6,320 neurons x 32 samples
    # (not x 600: 474 kB), for a few (K,) vectors per chunk.
    assert wanted["chunks of one panel"] < wanted["float32"] - 300_000
    assert wanted["many records"] > 4 * 501 * 800 * 8  # 4 arrays of 501 x 800 records


def fit_bytes(**changes):
    sizes = dict(
        n_networks=4,
        n_neurons=100,
        d=10,
        n_samples=1000,
        n_columns=1,
        n_test=0,
        labels=True,
        steps=10,
        record_every=1,
        n_threads=1,
        float32=True,
    )
    return _core.fit_bytes(**{**sizes, **changes})


def test_fit_bytes_grows_with_every_size():
    base = fit_bytes()
    for changes in [
        dict(n_networks=8),
        dict(n_neurons=200),
        dict(d=20),
        dict(n_samples=2000),
        dict(n_columns=3),
        dict(n_test=100),
        dict(steps=100),
        dict(record_every=1, steps=20),
        dict(float32=False),
    ]:
        assert fit_bytes(**changes) > base, changes
    assert fit_bytes(labels=False) < base
    assert fit_bytes(record_every=5) < base


def test_fit_bytes_follows_the_activation_budget(monkeypatch):
    sizes = dict(n_neurons=10_000, n_samples=100_000)
    unchunked = fit_bytes(**sizes)
    monkeypatch.setenv("KDFAST_ACTIVATION_BUDGET", "1")
    chunked = fit_bytes(**sizes)
    # One panel's bits instead of all samples' (10,000 x 100,000 bits: 125 MB).
    assert chunked < unchunked - 100_000_000
    assert chunked - _core.activation_bytes(n_neurons=10_000, n_samples=100_000, float32=True) > 0


@pytest.mark.parametrize(
    "changes",
    [
        dict(n_networks=0),
        dict(n_neurons=3),
        dict(d=0),
        dict(n_samples=0),
        dict(n_columns=0),
        dict(n_test=-1),
        dict(steps=-1),
        dict(record_every=0),
        dict(n_threads=0),
    ],
)
def test_fit_bytes_rejects_impossible_sizes(changes):
    with pytest.raises(ValueError):
        fit_bytes(**changes)


def test_a_fit_too_large_is_a_memory_error_stating_the_size():
    bank = kdfast.StudentBank(3, [2, 3])
    X = np.eye(3)
    # The records alone of 2**40 steps: 2 networks x 2**40 rows x 2 arrays x 8 bytes.
    with pytest.raises(MemoryError, match=r"fitting 2 networks of 5 neurons on 3 samples needs [0-9.]+ GiB"):
        bank.fit(X, [1, -1, 1], steps=2**40)


def test_the_check_before_a_fit_counts_the_engine_and_the_weights(monkeypatch):
    bank = kdfast.StudentBank(3, [2, 3], dtype=np.float64)
    X, y = np.eye(3), np.array([1.0, -1.0, 1.0])
    threads = 1
    needed = bank.W.nbytes + _core.fit_bytes(
        n_networks=2,
        n_neurons=5,
        d=3,
        n_samples=3,
        n_columns=1,
        n_test=2,
        labels=True,
        steps=7,
        record_every=2,
        n_threads=threads,
        float32=False,
    )
    kwargs = dict(steps=7, record_every=2, X_test=X[:2], y_test=y[:2], n_threads=threads)
    monkeypatch.setattr(check, "_memory_available", lambda: needed - 1)
    with pytest.raises(MemoryError, match="needs"):
        bank.fit(X, y, **kwargs)
    monkeypatch.setattr(check, "_memory_available", lambda: needed)
    bank.fit(X, y, **kwargs)
