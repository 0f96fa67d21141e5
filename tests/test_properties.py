"""Property-based tests of the engine: random banks and fits against the NumPy reference, and invariants.

Sizes are drawn around the kernels' blocking, so that every full and
partial tile is exercised: samples in panels of 2 vectors (16 or 32
float32 samples, 8 or 16 float64 ones for AVX2 and AVX-512), neurons in
forward tiles of 6 or 12 and gradient tiles of 2 or 5, input coordinates in
vectors of 4 to 16 (the row path of the backward pass when d fills whole
vectors), and samples in chunks when KDFAST_ACTIVATION_BUDGET is tiny.

Tolerances are tests/test_reference.py's, argued there for n = 50, d = 5,
m <= 8 and 12 steps: float64 1e-10; float32 1e-4 against the float64
reference from the same rounded inputs. Here n <= 70, d <= 33, m <= 40 and
at most 6 steps, so a step's float32 error is at most ~(n + d + m) * 6e-8
~ 1e-5 relative, and 6 steps ~6e-5 at worst. The loss's curvature in the
logit is at most 1/4 at any temperature and rows have unit norm, so with
lr <= 4 gradient descent does not amplify earlier errors much beyond that.
"""

import os
from contextlib import contextmanager

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kdfast  # noqa: E402
import reference as ref  # noqa: E402
from kdfast import _core  # noqa: E402
from test_init import ATOL64, RTOL32, RTOL64  # noqa: E402
from test_reference import TOL, assert_close, compare_history  # noqa: E402

# Around every block size named above, and 1.
EDGES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33)
dtypes = st.sampled_from([np.float32, np.float64])
dims = st.sampled_from(EDGES)
sample_counts = st.one_of(st.sampled_from(EDGES), st.integers(1, 70))
width_lists = st.lists(
    st.one_of(st.sampled_from(EDGES + (29, 37)), st.integers(1, 40)), min_size=1, max_size=4, unique=True
)
seed_lists = st.lists(
    st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**63, 2**64 - 1])), min_size=1, max_size=2, unique=True
)
projections = st.sampled_from(["neuron", "network", None])
# None: the default budget (one chunk); small ones: a chunk per panel or a few panels.
budgets = st.sampled_from([None, 1, 100, 3000])


@contextmanager
def activation_budget(budget):
    """KDFAST_ACTIVATION_BUDGET for the engine, read at every fit; restored afterwards."""
    saved = os.environ.get("KDFAST_ACTIVATION_BUDGET")
    if budget is not None:
        os.environ["KDFAST_ACTIVATION_BUDGET"] = str(budget)
    try:
        yield
    finally:
        os.environ.pop("KDFAST_ACTIVATION_BUDGET", None)
        if saved is not None:
            os.environ["KDFAST_ACTIVATION_BUDGET"] = saved


def unit_rows(rng, n, d):
    X = rng.normal(size=(n, d))
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-300)


@st.composite
def problems(draw):
    """A bank, data, targets and per-network settings."""
    dtype, d, n = draw(dtypes), draw(dims), draw(sample_counts)
    widths, seeds = draw(width_lists), draw(seed_lists)
    K = len(widths) * len(seeds)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = np.asarray(unit_rows(rng, n, d), dtype=dtype)
    y = rng.choice([-1.0, 1.0], size=n)
    # Targets: soft columns from random logits, hard ones from the labels.
    kinds = draw(st.lists(st.sampled_from(["soft", "hard"]), min_size=1, max_size=3))
    columns = [ref.sigmoid(2 * rng.normal(size=n)) if kind == "soft" else (1 + y) / 2 for kind in kinds]
    target = np.stack(columns, axis=1)
    per_network = st.lists(st.floats(0.05, 3.0), min_size=K, max_size=K).map(np.array)
    projection = draw(projections)
    return dict(
        dtype=dtype,
        d=d,
        widths=widths,
        seeds=seeds,
        X=X,
        y=y,
        target=target,
        target_index=np.array(draw(st.lists(st.integers(0, len(kinds) - 1), min_size=K, max_size=K))),
        lr=draw(st.one_of(st.floats(0.1, 4.0), st.lists(st.floats(0.1, 4.0), min_size=K, max_size=K).map(np.array))),
        temperature=draw(
            st.one_of(st.floats(0.25, 4.0), st.lists(st.floats(0.25, 4.0), min_size=K, max_size=K).map(np.array))
        ),
        radius=None if projection is None else draw(st.one_of(st.floats(0.05, 3.0), per_network)),
        projection=projection or "neuron",
        steps=draw(st.integers(1, 6)),
    )


def fit_kwargs(p):
    return {k: p[k] for k in ("steps", "lr", "temperature", "radius", "projection", "target_index")}


@settings(max_examples=300)
@given(problems(), budgets)
def test_fit_matches_the_reference_for_any_threads_and_chunks(p, budget):
    X, y, target = p["X"], p["y"], p["target"]
    X_test, y_test = X[: max(1, len(X) // 2)], y[: max(1, len(X) // 2)]
    kw = dict(fit_kwargs(p), y=y, X_test=X_test, y_test=y_test, target_test=target[: len(X_test)])
    runs = []
    with activation_budget(budget):
        M = sum(p["widths"]) * len(p["seeds"])
        chunked = _core.activation_bytes(n_neurons=M, n_samples=len(X), float32=p["dtype"] == np.float32)
        for threads in (1, 2):
            bank = kdfast.StudentBank(p["d"], p["widths"], seeds=p["seeds"], dtype=p["dtype"])
            runs.append((bank, bank.fit(X, target, n_threads=threads, **kw), bank.logits(X, n_threads=threads)))
    if budget == 1:  # one panel of samples per chunk
        assert chunked <= _core.activation_bytes(n_neurons=M, n_samples=1, float32=p["dtype"] == np.float32)

    (bank, history, F), (bank2, history2, F2) = runs
    np.testing.assert_array_equal(bank.W, bank2.W)  # bitwise, whatever the thread count
    np.testing.assert_array_equal(F, F2)
    for name in ("loss", "mean_loss", "final_loss", "train_acc", "test_loss", "test_acc", "max_drift"):
        np.testing.assert_array_equal(getattr(history, name), getattr(history2, name), err_msg=name)

    W0, a = bank.W0.astype(np.float64), bank.a.astype(np.float64)
    want = ref.fit(W0, a, bank.widths, X, target, **kw)
    assert_close(bank.W, want.W, TOL[p["dtype"]], "W")
    # float32 may flip the sign of a logit within ~1e-6 of 0: one sample.
    acc_atol = 0.0 if p["dtype"] == np.float64 else 1.01 / len(X_test)
    # max_drift = sqrt(m) max_s |w_s - w_s(0)|: W's tolerance, per coordinate at
    # most TOL * 2 max|W|, bounds it to sqrt(m d) times that.
    drift_atol = 2 * TOL[p["dtype"]] * np.abs(want.W).max() * np.sqrt(bank.widths * p["d"])
    compare_history(history, want, p["dtype"], acc_atol=acc_atol, drift_atol=drift_atol)
    if p["radius"] is not None and p["projection"] == "neuron":
        limit = np.asarray(p["radius"]) * (1 + 10 * TOL[p["dtype"]])
        assert np.all(history.max_drift <= limit)


@settings(max_examples=100)
@given(dtypes, dims, width_lists, seed_lists, st.data())
def test_widths_nest_and_a_networks_start_ignores_its_bank(dtype, d, widths, seeds, data):
    bank = kdfast.StudentBank(d, widths, seeds=seeds, dtype=dtype)
    widest = {seed: kdfast.StudentBank(d, [max(widths)], seeds=[seed], dtype=dtype) for seed in seeds}
    for k, (m, seed) in enumerate(zip(bank.widths, bank.seeds)):
        rows = slice(bank.offsets[k], bank.offsets[k + 1])
        np.testing.assert_array_equal(bank.W0[rows], widest[int(seed)].W0[:m])  # a prefix of the wider network
        np.testing.assert_array_equal(bank.a[rows], widest[int(seed)].a[:m])
    # Any neuron of any stream, computed on its own by the reference (float64).
    seed, neuron = data.draw(st.sampled_from(seeds)), data.draw(st.integers(0, max(widths) - 1))
    w, sign = ref.init_neuron(d, seed, neuron)
    # (libm and NumPy may round log/cos/sin an ulp apart: test_init's tolerances)
    rtol = RTOL64 if dtype == np.float64 else RTOL32
    np.testing.assert_allclose(widest[seed].W0[neuron], w, rtol=rtol, atol=ATOL64)
    assert widest[seed].a[neuron] == sign


@settings(max_examples=100)
@given(problems(), st.data())
def test_a_network_trains_the_same_alone_as_in_any_bank(p, data):
    """The engine's results for a network do not depend on the others in its bank.

    Sums run over the network's own neurons in a fixed order, but the
    forward tiles group neurons across networks, so agreement is to
    rounding: float64 1e-12 relative per column (a few ulps per step,
    6 steps), float32 the reference tolerance.
    """
    kw = fit_kwargs(p)
    bank = kdfast.StudentBank(p["d"], p["widths"], seeds=p["seeds"], dtype=p["dtype"])
    history = bank.fit(p["X"], p["target"], y=p["y"], **kw)
    k = data.draw(st.integers(0, bank.n_networks - 1))
    one = {name: (value[k : k + 1] if isinstance(value, np.ndarray) else value) for name, value in kw.items()}
    alone = kdfast.StudentBank(p["d"], [int(bank.widths[k])], seeds=[int(bank.seeds[k])], dtype=p["dtype"])
    mine = alone.fit(p["X"], p["target"], y=p["y"], **one)
    tol = 1e-12 if p["dtype"] == np.float64 else TOL[np.float32]
    assert_close(alone.W, bank.W[bank.offsets[k] : bank.offsets[k + 1]], tol, "W")
    assert_close(mine.loss[:, 0], history.loss[:, k], tol, "loss")
    acc_atol = 0.0 if p["dtype"] == np.float64 else 1.01 / len(p["X"])
    np.testing.assert_allclose(mine.train_acc[:, 0], history.train_acc[:, k], rtol=0, atol=acc_atol)


@settings(max_examples=40)
@given(dtypes, width_lists, st.integers(1, 3), st.integers(0, 30), projections, st.floats(0.1, 3.0))
def test_soft_and_hard_students_of_a_seed_are_paired(dtype, widths, n_seeds, steps, projection, radius):
    """With a teacher that is certain of every label, soft labels are the hard ones.

    At temperature 1 the two students of a seed and width then see the same
    target and loss; starting from the same weights, they are the same
    network, bit for bit, at every step and record.
    """
    data = kdfast.datasets.xor2(n=40, d=4, n_test=20, seed=n_seeds)
    # sigmoid(100) is 1 exactly in float64 (1 - 4e-44 rounds to 1)
    certain = kdfast.ArrayTeacher(train_logits=100.0 * data.y_train, test_logits=100.0 * data.y_test)
    result = kdfast.compare(
        data,
        teacher=certain,
        widths=widths,
        seeds=n_seeds,
        steps=steps,
        lr=2.0,
        radius=None if projection is None else radius,
        projection=projection or "neuron",
        temperature=1.0,
        dtype=dtype,
        n_threads=1,
        progress=False,
    )
    keys = ["width", "seed"]
    soft = result.table[result.table["mode"] == "soft"].set_index(keys).sort_index()
    hard = result.table[result.table["mode"] == "hard"].set_index(keys).sort_index()
    assert len(soft) == len(hard) == len(widths) * n_seeds
    for column in ("mean_loss", "final_loss", "train_acc", "test_acc", "test_loss", "max_drift", "teacher_agreement"):
        np.testing.assert_array_equal(soft[column].to_numpy(), hard[column].to_numpy(), err_msg=column)
    # mode, teacher and temperature say which target a student trained on; the rest are its records.
    curves = result.curves.drop(columns=["mode", "teacher", "temperature"], errors="ignore")
    by_mode = [
        curves[result.curves["mode"] == mode].sort_values([*keys, "step"]).reset_index(drop=True)
        for mode in ("soft", "hard")
    ]
    np.testing.assert_array_equal(by_mode[0].to_numpy(), by_mode[1].to_numpy())
