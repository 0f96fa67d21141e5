"""kdfast against the plain-NumPy float64 reference (tests/reference.py).

Tolerances. float64 banks must agree with the reference to 1e-10: both do the
same float64 arithmetic in a different order, so they differ by a few ulps
per step (~1e-15), and a dozen steps of gradient descent on these small,
well-conditioned problems (unit-norm inputs, 1/sqrt(m) output scale) do not
amplify that beyond ~1e-13.

float32 banks are compared with the float64 reference run from the same
float32 W0 and X values, so the only difference is float32 arithmetic inside
kdfast. Unit roundoff is 6e-8; a forward pass sums d = 5 products and m <= 8
neurons, a gradient entry sums n = 50 samples, so one step is off by at most
~(n + d + m) * 6e-8 ~ 4e-6 relative (typically ~sqrt(n) * 6e-8 ~ 4e-7), and
12 steps add these up roughly linearly: ~1e-5 at worst. 1e-4 leaves a 10x
margin and still catches any real error in a term, which shows up at 1e-2.

Both tolerances are applied per column (per network for losses and logits,
per input coordinate for W): |actual - desired| <= tol * (|desired| +
max |desired in that column|). Entries near zero come out of cancellations of
entries of the column's size, so their error is set by that size, not by
their own.
"""

import numpy as np
import pytest

import kdfast
import reference as ref

TOL = {np.float64: 1e-10, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]
PROJECTIONS = ["neuron", "network", None]

D, WIDTHS, SEEDS = 5, (1, 3, 8), (0, 1)
K = len(WIDTHS) * len(SEEDS)
# one value per network (seeds outer, widths inner); radius inf = unprojected
LR = np.array([2.0, 1.5, 3.0, 2.5, 1.0, 2.0])
TEMPERATURE = np.array([0.5, 1.0, 2.0, 1.0, 3.0, 1.5])
RADIUS = np.array([0.3, 1.0, np.inf, 0.5, 2.0, 0.2])


def assert_close(actual, desired, tol, what):
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape} != {desired.shape}"
    if desired.size == 0:
        return
    scale = np.max(np.abs(desired), axis=0, keepdims=True) if desired.ndim == 2 else 0.0
    bound = tol * (np.abs(desired) + scale)
    err = np.abs(actual - desired)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (
        f"{what}: worst at {worst}: kdfast {actual[worst]!r} reference {desired[worst]!r} "
        f"|diff| {err[worst]:.3e} > bound {bound[worst]:.3e}"
    )


def make_data(n=50, d=D, seed=0):
    """Unit-norm inputs, labels of a random linear teacher, soft targets from its logits."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    v = rng.normal(size=d)
    score = 3.0 * X @ v / np.linalg.norm(v) + 0.3 * rng.normal(size=n)
    y = np.where(score > 0, 1.0, -1.0)
    p = ref.sigmoid(score)
    return X, y, p


def as_dtype(dtype, *arrays):
    """Round to the bank dtype; the reference is then fed these exact values."""
    return [None if x is None else np.asarray(x, dtype=dtype) for x in arrays]


def new_bank(dtype, d=D, widths=WIDTHS, seeds=SEEDS):
    bank = kdfast.StudentBank(d, widths, seeds=seeds, dtype=dtype)
    return bank, bank.W0.astype(np.float64), bank.a.astype(np.float64), np.asarray(bank.widths)


def compare_history(hist, want, dtype, acc_atol=0.0, drift_atol=0.0):
    """drift_atol: an absolute allowance for max_drift, a difference of W and W0
    that loses the relative accuracy of W when the drift is small beside |W|."""
    tol = TOL[dtype]
    np.testing.assert_array_equal(hist.steps, want.steps)
    assert hist.steps.dtype == np.int64
    for name in ["loss", "mean_loss", "final_loss", "max_drift", "test_loss"]:
        got, exp = getattr(hist, name), getattr(want, name)
        if exp is None:
            assert got is None, f"{name} should be None"
        else:
            assert got.dtype == np.float64, f"{name} dtype {got.dtype}"
            if name == "max_drift":
                bound = tol * np.abs(exp) + drift_atol
                assert np.all(np.abs(got - exp) <= bound), f"max_drift: kdfast {got} reference {exp} bound {bound}"
            else:
                assert_close(got, exp, tol, name)
    for name in ["train_acc", "test_acc"]:
        got, exp = getattr(hist, name), getattr(want, name)
        if exp is None:
            assert got is None, f"{name} should be None"
        else:
            # float32 may flip the sign of a logit within ~1e-6 of 0: allow one sample
            np.testing.assert_allclose(got, exp, rtol=0, atol=acc_atol, err_msg=name)


# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_logits(dtype):
    bank, W0, a, widths = new_bank(dtype)
    X, _, _ = make_data()
    (Xd,) = as_dtype(dtype, X)
    F = bank.logits(Xd)
    assert F.shape == (50, K) and F.dtype == dtype
    assert_close(F, ref.logits(W0, a, widths, Xd), TOL[dtype], "logits")


@pytest.mark.parametrize("dtype", DTYPES)
def test_logits_from_arrays(dtype):
    rng = np.random.default_rng(5)
    widths = np.array([2, 1, 4])
    W0 = rng.normal(size=(7, 4))
    a = rng.choice([-1.0, 1.0], size=7)
    W0d, ad = as_dtype(dtype, W0, a)
    bank = kdfast.StudentBank.from_arrays(W0d, ad, widths)
    X = rng.normal(size=(30, 4))
    (Xd,) = as_dtype(dtype, X)
    assert_close(bank.logits(Xd), ref.logits(W0d, ad, widths, Xd), TOL[dtype], "logits")


def targets(kind, X, y, p):
    """(target, target_index, y passed to fit, target_test) for one kind of target."""
    if kind == "soft":
        return p, None, y, None
    if kind == "hard":  # labels, y omitted: accuracy is measured against the target
        return y, None, None, None
    # (n, 3) matrix: soft, hard {0, 1} probabilities, a softer teacher
    T = np.stack([p, (1 + y) / 2, ref.sigmoid(np.log(p / (1 - p)) / 3)], axis=1)
    return T, np.array([0, 1, 2, 2, 1, 0]), y, T


@pytest.mark.parametrize("steps", [1, 12])
@pytest.mark.parametrize("kind", ["soft", "hard", "matrix"])
@pytest.mark.parametrize("projection", PROJECTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_per_network_params(dtype, projection, kind, steps):
    """Per-network lr, radius and temperature; every target kind; test records."""
    bank, W0, a, widths = new_bank(dtype)
    X, y, p = make_data(seed=1)
    X_test, y_test, p_test = make_data(n=20, seed=2)
    target, index, y_fit, _ = targets(kind, X, y, p)
    _, _, _, target_test = targets(kind, X_test, y_test, p_test)
    X, target, X_test, target_test = as_dtype(dtype, X, target, X_test, target_test)
    radius = None if projection is None else RADIUS
    kw = dict(
        steps=steps,
        lr=LR,
        radius=radius,
        projection=projection or "neuron",
        temperature=TEMPERATURE,
        target_index=index,
        y=y_fit,
        X_test=X_test,
        y_test=y_test,
        target_test=target_test,
    )
    hist = bank.fit(X, target, **kw)
    want = ref.fit(W0, a, widths, X, target, **kw)
    if projection is not None and steps > 1:
        assert want.n_projected > 0, "radii chosen so that the projection acts"
    assert bank.W.dtype == dtype
    assert_close(bank.W, want.W, TOL[dtype], "W")
    compare_history(hist, want, dtype, acc_atol=0.0 if dtype == np.float64 else 1.01 / 20)
    assert hist.train_acc is not None and hist.test_acc is not None
    assert_close(bank.logits(X), ref.logits(want.W, a, widths, X), TOL[dtype], "logits after fit")


@pytest.mark.parametrize("temperature", [0.25, 1.0, 4.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_scalar_params(dtype, temperature):
    bank, W0, a, widths = new_bank(dtype)
    X, y, p = make_data(seed=3)
    X, p = as_dtype(dtype, X, p)
    for steps in (1, 3):  # 1 step, then 3 more continuing from there
        kw = dict(steps=steps, lr=2.0, radius=0.5, temperature=temperature)
        start = bank.W.astype(np.float64)
        hist = bank.fit(X, p, **kw)
        want = ref.fit(W0, a, widths, X, p, W=start, **kw)
        assert_close(bank.W, want.W, TOL[dtype], "W")
        compare_history(hist, want, dtype)
        assert hist.train_acc is None, "no labels given: no accuracy"
        assert hist.test_loss is None and hist.test_acc is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_from_arrays(dtype):
    rng = np.random.default_rng(8)
    widths = np.array([3, 2])
    W0, a = as_dtype(dtype, rng.normal(size=(5, 4)), rng.choice([-1.0, 1.0], size=5))
    bank = kdfast.StudentBank.from_arrays(W0, a, widths)
    X, y, p = make_data(n=40, d=4, seed=4)
    X, p = as_dtype(dtype, X, p)
    kw = dict(
        steps=10,
        lr=np.array([1.0, 3.0]),
        radius=np.array([0.4, 0.8]),
        projection="network",
        temperature=np.array([2.0, 0.7]),
        y=y,
    )
    hist = bank.fit(X, p, **kw)
    want = ref.fit(W0, a, widths, X, p, **kw)
    assert want.n_projected > 0
    assert_close(bank.W, want.W, TOL[dtype], "W")
    compare_history(hist, want, dtype, acc_atol=0.0 if dtype == np.float64 else 1.01 / 40)


@pytest.mark.parametrize("dtype", DTYPES)
def test_record_every_and_zero_steps(dtype):
    bank, W0, a, widths = new_bank(dtype)
    X, y, p = make_data(seed=6)
    X, p = as_dtype(dtype, X, p)
    kw = dict(steps=10, lr=2.0, radius=RADIUS, temperature=TEMPERATURE, y=y, record_every=3)
    hist = bank.fit(X, p, **kw)
    want = ref.fit(W0, a, widths, X, p, **kw)
    np.testing.assert_array_equal(hist.steps, [0, 3, 6, 9, 10])
    assert hist.loss.shape == hist.train_acc.shape == (5, K)
    compare_history(hist, want, dtype, acc_atol=0.0 if dtype == np.float64 else 1.01 / 50)
    # mean_loss still averages all 10 steps, not only the recorded ones
    assert_close(hist.mean_loss, want.mean_loss, TOL[dtype], "mean_loss")

    bank.reset()
    hist0 = bank.fit(X, p, steps=0, temperature=TEMPERATURE, y=y)
    np.testing.assert_array_equal(hist0.steps, [0])
    assert hist0.loss.shape == (1, K)
    assert np.all(np.isnan(hist0.mean_loss)) and hist0.mean_loss.shape == (K,)
    assert_close(
        hist0.final_loss,
        ref.loss(ref.logits(W0, a, widths, X), ref.target_matrix(p, K), TEMPERATURE),
        TOL[dtype],
        "final_loss at W0",
    )
    np.testing.assert_array_equal(hist0.max_drift, np.zeros(K))
    np.testing.assert_array_equal(bank.W, bank.W0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_labels_equal_hard_probabilities(dtype):
    """Labels {-1, +1} and probabilities {0, 1} are the same target, bit for bit."""
    X, y, _ = make_data(seed=7)
    (X,) = as_dtype(dtype, X)
    runs = []
    for target in (y, (1 + y) / 2):
        bank, *_ = new_bank(dtype)
        target = np.asarray(target, dtype=dtype)
        hist = bank.fit(X, target, steps=8, lr=LR, radius=RADIUS, temperature=TEMPERATURE, y=y)
        runs.append((bank.W.copy(), hist))
    (W1, h1), (W2, h2) = runs
    np.testing.assert_array_equal(W1, W2)
    for name in ["loss", "mean_loss", "final_loss", "train_acc", "max_drift"]:
        np.testing.assert_array_equal(getattr(h1, name), getattr(h2, name), err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("projection", ["neuron", "network"])
def test_projection_respects_radius(dtype, projection):
    """A huge step size drives every network to its ball's boundary, never beyond."""
    bank, W0, a, widths = new_bank(dtype)
    X, y, _ = make_data(seed=9)
    (X,) = as_dtype(dtype, X)
    R = np.array([0.3, 1.0, 0.5, 0.5, 2.0, 0.2])
    hist = bank.fit(X, y, steps=10, lr=50.0, radius=R, projection=projection)
    # W is stored in the bank dtype: rounding it moves a neuron by at most
    # sqrt(d)/2 ulp of its largest entry; allow 4 ulp of max |W| in the norm.
    slack = 4 * np.finfo(dtype).eps * np.max(np.abs(bank.W))
    diff = bank.W.astype(np.float64) - bank.W0.astype(np.float64)
    row = np.linalg.norm(diff, axis=1)
    offsets = np.asarray(bank.offsets)
    for k in range(K):
        m, rows = widths[k], row[offsets[k] : offsets[k + 1]]
        drift = rows.max() * np.sqrt(m)
        if projection == "neuron":
            assert np.all(rows <= R[k] / np.sqrt(m) + slack), f"network {k}"
            assert hist.max_drift[k] <= R[k] + slack * np.sqrt(m), f"network {k}"
            assert hist.max_drift[k] >= R[k] * (1 - 1e-3), "the projection should be active"
        else:
            frob = np.sqrt(np.sum(rows**2))
            assert frob <= R[k] + slack * np.sqrt(m), f"network {k}"
            assert frob >= R[k] * (1 - 1e-3), "the projection should be active"
        np.testing.assert_allclose(hist.max_drift[k], drift, rtol=10 * np.finfo(dtype).eps, atol=slack * np.sqrt(m))


@pytest.mark.parametrize("dtype", DTYPES)
def test_infinite_radius_is_plain_gd(dtype):
    X, y, p = make_data(seed=10)
    X, p = as_dtype(dtype, X, p)
    kw = dict(steps=6, lr=LR, temperature=TEMPERATURE, y=y)
    plain, *_ = new_bank(dtype)
    mixed, *_ = new_bank(dtype)
    h_plain = plain.fit(X, p, radius=None, **kw)
    h_mixed = mixed.fit(X, p, radius=RADIUS, **kw)
    free = np.isinf(RADIUS)
    rows = np.repeat(free, np.asarray(plain.widths))
    tol = 10 * np.finfo(dtype).eps
    assert_close(mixed.W[rows], plain.W[rows], tol, "W of the radius-inf network")
    assert_close(h_mixed.loss[:, free], h_plain.loss[:, free], tol, "loss")
    assert not np.allclose(mixed.W[~rows], plain.W[~rows]), "finite radii should act"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("projection", PROJECTIONS)
def test_continuation_and_reset(dtype, projection):
    """fit(5) then fit(5) is fit(10); reset() returns to W0 and replays the same run."""
    X, y, p = make_data(seed=11)
    X, p = as_dtype(dtype, X, p)
    radius = None if projection is None else RADIUS
    kw = dict(lr=LR, radius=radius, projection=projection or "neuron", temperature=TEMPERATURE, y=y)
    once, *_ = new_bank(dtype)
    h10 = once.fit(X, p, steps=10, **kw)
    twice, *_ = new_bank(dtype)
    W0 = twice.W0.copy()
    h5a = twice.fit(X, p, steps=5, **kw)
    h5b = twice.fit(X, p, steps=5, **kw)
    np.testing.assert_array_equal(twice.W, once.W)
    np.testing.assert_array_equal(twice.W0, W0)
    # Each fit also records its end: the first fit's last row is the second's first.
    np.testing.assert_array_equal(h5a.loss[-1], h5b.loss[0])
    np.testing.assert_array_equal(np.concatenate([h5a.loss[:-1], h5b.loss]), h10.loss)
    np.testing.assert_array_equal(np.concatenate([h5a.train_acc[:-1], h5b.train_acc]), h10.train_acc)
    np.testing.assert_array_equal(h5a.final_loss, h5b.loss[0])
    np.testing.assert_array_equal(h5b.final_loss, h10.final_loss)
    np.testing.assert_array_equal(h5b.max_drift, h10.max_drift)  # drift measured from W0
    np.testing.assert_allclose((h5a.mean_loss + h5b.mean_loss) / 2, h10.mean_loss, rtol=1e-14)

    twice.reset()
    np.testing.assert_array_equal(twice.W, W0)
    h10_again = twice.fit(X, p, steps=10, **kw)
    np.testing.assert_array_equal(twice.W, once.W)
    np.testing.assert_array_equal(h10_again.loss, h10.loss)


@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_does_not_change_results(dtype):
    X, y, p = make_data(seed=12)
    X, p = as_dtype(dtype, X, p)
    results = []
    for n_threads in (1, 2):
        bank, *_ = new_bank(dtype)
        hist = bank.fit(X, p, steps=5, lr=LR, radius=RADIUS, temperature=TEMPERATURE, n_threads=n_threads)
        results.append((bank.W.copy(), hist.loss))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
