"""Teachers: kernel, margin, network and array teachers."""

import numpy as np
import pytest

import kdfast


def clusters(n, d, seed, shift=0.9, noise=0.3):
    """Two unit-norm Gaussian clusters along the first axis."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    X = noise * rng.standard_normal((n, d))
    X[:, 0] += shift * y
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, y


def xor(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(n, d)) / np.sqrt(d)
    return X, np.sign(X[:, 0] * X[:, 1])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="module")
def data():
    return clusters(1000, 10, seed=0)


def test_kernel_teacher_fits_in_defaults(data):
    X, y = data
    teacher = kdfast.KernelTeacher().fit(X, y)
    assert (teacher.predict(X) == y).mean() >= 0.95
    # Gradient descent on a convex loss with lr below 2 / smoothness
    # (smoothness <= max K / 4 <= 1/8 for unit rows) never goes up.
    assert np.all(np.diff(teacher.loss_curve_) <= 1e-12)
    # fit uses K(X) with its exact diagonal, logits K(X, X_train), whose
    # diagonal carries arccos's ~1e-8 relative error near parallel rows.
    np.testing.assert_allclose(teacher.logits(X), teacher.train_logits_, rtol=1e-7, atol=1e-9)
    X_new, _ = clusters(50, 10, seed=9)
    np.testing.assert_allclose(
        teacher.logits(X_new), kdfast.ntk_kernel(X_new, X) @ teacher.dual_coef_, rtol=1e-12, atol=1e-12
    )


def test_kernel_teacher_first_step_is_function_space_gradient_descent():
    # From f = 0, dl/df = -y sigmoid(0) = -y / 2, so one step gives
    # f = lr/n K (y / 2), the step the infinite-width student takes.
    X, y = xor(64, 5, seed=1)
    lr = 3.0
    teacher = kdfast.KernelTeacher(steps=1, lr=lr).fit(X, y)
    np.testing.assert_allclose(teacher.train_logits_, lr / 64 * kdfast.ntk_kernel(X) @ (y / 2), rtol=1e-12)
    assert teacher.loss_curve_[0] == pytest.approx(np.log(2))
    assert kdfast.KernelTeacher(steps=0).fit(X, y).logits(X) == pytest.approx(np.zeros(64))


def test_predict_proba_and_temperature(data):
    X, y = data
    teacher = kdfast.KernelTeacher(steps=50).fit(X, y)
    f = teacher.logits(X[:20])
    np.testing.assert_allclose(teacher.predict_proba(X[:20]), sigmoid(f), rtol=1e-12)
    np.testing.assert_allclose(teacher.predict_proba(X[:20], temperature=4.0), sigmoid(f / 4), rtol=1e-12)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="temperature"):
            teacher.predict_proba(X, temperature=bad)
    with pytest.raises(TypeError, match="temperature"):
        teacher.predict_proba(X, temperature="hot")


def test_margin_teacher_realises_the_margin():
    X, y = clusters(200, 5, seed=2, shift=0.5)
    teacher = kdfast.MarginTeacher(scale=3.0).fit(X, y)
    m = teacher.margin_
    f = teacher.logits(X)
    # The teacher's v(z) is the certified primal solution of the sample
    # problem, evaluated on the same draws: its margins are >= gamma - gap
    # (up to float64 rounding).
    assert np.min(y * f) >= 3.0 * (m.sample_gamma - m.gap) - 1e-9
    assert m.gap <= 1e-2 * m.sample_gamma
    # The hardest examples sit at the margin.
    np.testing.assert_allclose(y[m.hardest(3)] * f[m.hardest(3)], 3.0 * m.sample_gamma, rtol=0.05)
    # Scale is a plain factor; outputs on new inputs are bounded by scale |x|.
    teacher.scale = 6.0
    np.testing.assert_allclose(teacher.logits(X), 2 * f, rtol=1e-12)
    X_new, _ = clusters(30, 5, seed=3)
    assert np.all(np.abs(teacher.logits(X_new)) <= 6.0 + 1e-9)


def test_margin_teacher_refuses_inseparable_data():
    X, y = clusters(20, 3, seed=4)
    X[7] = X[3]
    y[7] = -y[3]
    with pytest.raises(ValueError, match="rows 3 and 7 are the same point"):
        kdfast.MarginTeacher().fit(X, y)


def test_network_teacher():
    X, y = clusters(300, 8, seed=5)
    teacher = kdfast.NetworkTeacher(width=512, steps=300, seed=2).fit(X, y)
    assert (teacher.predict(X) == y).mean() >= 0.95
    np.testing.assert_array_equal(teacher.logits(X), teacher.bank_.logits(X)[:, 0].astype(np.float64))
    # Its stream is disjoint from the students' (seeds below 2**63).
    assert teacher.bank_.widths.tolist() == [512] and teacher.bank_.seeds.tolist() == [2**63 + 2]
    assert teacher.history_.train_acc is not None
    # A wide student trained on hard labels agrees with its infinite-width limit.
    kernel = kdfast.KernelTeacher(steps=300).fit(X, y)
    assert (teacher.predict(X) == kernel.predict(X)).mean() >= 0.95
    projected = kdfast.NetworkTeacher(width=64, steps=50, radius=1.0, projection="network").fit(X, y)
    assert projected.history_.max_drift.max() <= 1.0 * np.sqrt(64) * 1.0001


def test_array_teacher_logits_and_test_inputs():
    X, y = clusters(40, 3, seed=6)
    X_test, _ = clusters(15, 3, seed=7)
    rng = np.random.default_rng(0)
    train, test = rng.standard_normal(40), rng.standard_normal(15)

    teacher = kdfast.ArrayTeacher(train_logits=train, test_logits=test, X_test=X_test).fit(X, y)
    np.testing.assert_array_equal(teacher.logits(X), train)
    np.testing.assert_array_equal(teacher.logits(X_test), test)
    np.testing.assert_allclose(teacher.predict_proba(X_test, temperature=2.0), sigmoid(test / 2), rtol=1e-12)
    with pytest.raises(ValueError, match="only knows its outputs"):
        teacher.logits(X_test + 1e-12)  # exact equality, not closeness

    # Without X_test the test outputs belong to no inputs (compare gives it the data set's);
    # asking never changes what the teacher knows.
    teacher = kdfast.ArrayTeacher(train_logits=train, test_logits=test).fit(X, y)
    for _ in range(2):
        with pytest.raises(ValueError, match="its test outputs have no X_test"):
            teacher.logits(X_test)
    assert teacher.X_test_ is None

    # Training outputs only: any other input is an error.
    teacher = kdfast.ArrayTeacher(train_logits=train).fit(X, y)
    with pytest.raises(ValueError, match="only knows its outputs"):
        teacher.logits(X_test)


def test_array_teacher_from_probabilities():
    X, y = clusters(5, 2, seed=8)
    proba = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    teacher = kdfast.ArrayTeacher(train_proba=proba).fit(X, y)
    np.testing.assert_allclose(teacher.predict_proba(X), proba, rtol=1e-12, atol=0)
    f = teacher.logits(X)
    assert f[0] == -np.inf and f[-1] == np.inf and f[2] == 0.0
    # Temperature sharpens or softens, keeping 0, 1/2 and 1 in place.
    soft = teacher.predict_proba(X, temperature=3.0)
    assert soft[0] == 0.0 and soft[2] == 0.5 and soft[4] == 1.0 and 0.5 < soft[3] < 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "exactly one of train_logits and train_proba"),
        ({"train_logits": np.zeros(6), "train_proba": np.zeros(6)}, ValueError, "exactly one"),
        ({"train_logits": np.zeros(5)}, ValueError, "logits: expected 6 values"),
        ({"train_logits": np.full(6, np.nan)}, ValueError, "logits: contains NaN"),
        ({"train_proba": np.full(6, 1.5)}, ValueError, "proba: probabilities must lie in \\[0, 1\\]"),
        (
            {"train_logits": np.zeros(6), "test_logits": np.zeros(2), "test_proba": np.zeros(2)},
            ValueError,
            "exactly one",
        ),
        ({"train_logits": np.zeros(6), "test_logits": np.zeros(3), "X_test": np.zeros((2, 2))}, ValueError, "X_test"),
        ({"train_logits": np.zeros(6), "X_test": np.zeros((2, 2))}, ValueError, "X_test: given without"),
        ({"train_logits": np.zeros((6, 2))}, ValueError, "logits: expected a vector"),
    ],
)
def test_array_teacher_bad_input(kwargs, error, match):
    X, y = clusters(6, 2, seed=9)
    y[:2] = [1, -1]
    with pytest.raises(error, match=match):
        kdfast.ArrayTeacher(**kwargs).fit(X, y)


@pytest.mark.parametrize(
    "teacher",
    [
        kdfast.KernelTeacher(),
        kdfast.MarginTeacher(),
        kdfast.NetworkTeacher(width=8),
        kdfast.ArrayTeacher(train_logits=[0.0]),
    ],
    ids=lambda t: type(t).__name__,
)
def test_not_fitted(teacher):
    with pytest.raises(kdfast.NotFittedError, match="not fitted"):
        teacher.logits(np.zeros((2, 2)))
    with pytest.raises(ValueError):  # NotFittedError is a ValueError too
        teacher.predict_proba(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("teacher", "error", "match"),
    [
        (kdfast.KernelTeacher(steps=-1), ValueError, "steps"),
        (kdfast.KernelTeacher(lr=0.0), ValueError, "lr"),
        (kdfast.KernelTeacher(steps=1.5), TypeError, "steps"),  # type: ignore[arg-type]
        (kdfast.MarginTeacher(scale=-1.0), ValueError, "scale"),
        (kdfast.MarginTeacher(tol=3.0), ValueError, "tol"),
        (kdfast.MarginTeacher(n_samples=7), ValueError, "n_samples"),
        (kdfast.NetworkTeacher(width=0), ValueError, "width"),
        (kdfast.NetworkTeacher(radius=-2.0), ValueError, "radius"),
    ],
)
def test_bad_parameters(teacher, error, match):
    X, y = clusters(20, 3, seed=10)
    with pytest.raises(error, match=match):
        teacher.fit(X, y)


@pytest.mark.parametrize(
    "make", [kdfast.KernelTeacher, kdfast.MarginTeacher, lambda: kdfast.NetworkTeacher(width=8, steps=2)]
)
def test_bad_data(make):
    X, y = clusters(20, 3, seed=11)
    with pytest.raises(ValueError, match="labels must be in \\{-1, \\+1\\} or \\{0, 1\\}"):
        make().fit(X, 2 * y)
    with pytest.raises(ValueError, match="all labels"):
        make().fit(X, np.ones(20))
    with pytest.raises(ValueError, match="expected shape \\(20,\\)"):
        make().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X: contains NaN"):
        make().fit(np.where(X > 0.5, np.nan, X), y)
    teacher = make().fit(X, y)
    with pytest.raises(ValueError, match="X: expected 3 columns"):
        teacher.logits(np.zeros((4, 2)))
