"""Data with a planted margin: the closed form of f*, the certified margin, and the rejection budget."""

import math

import numpy as np
import pytest

import kdfast
from kdfast import _specs
from kdfast import datasets as ds
from kdfast._planted import planted_function


def by_angles(target, X):
    """f*(x) = sum_j alpha_j <u_j, x> (pi - 2 theta_j) / (2 pi), theta_j the angle of x and w_j: the form derived."""
    cosines = (X @ target.W.T) / np.linalg.norm(X, axis=1, keepdims=True)
    theta = np.arccos(np.clip(cosines, -1.0, 1.0))
    return ((X @ target.U.T) * (math.pi - 2 * theta) / (2 * math.pi)) @ target.alphas


def test_the_closed_form_is_the_expectation_over_z():
    """f*(x) = E_z[<v(z), x> 1[<z, x> > 0]], estimated from 400,000 draws of z, within 5 standard errors."""
    d = 5
    target = planted_function(d, components=3, plant=2)
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((400_000, d))
    V = (np.sign(Z @ target.W.T) * target.alphas) @ target.U  # v(z), one row a draw
    assert np.linalg.norm(V, axis=1).max() <= 1.0  # the margin's constraint, at every draw
    X = rng.standard_normal((6, d))
    X[:3] /= np.linalg.norm(X[:3], axis=1, keepdims=True)  # three on the sphere, three off it
    samples = (V @ X.T) * (Z @ X.T > 0)
    mean, error = samples.mean(axis=0), samples.std(axis=0) / math.sqrt(len(Z))
    np.testing.assert_array_less(np.abs(mean - target(X)), 5 * error)
    # the arcsin form the module computes is the angle form, to rounding
    np.testing.assert_allclose(target(X), by_angles(target, X), rtol=1e-12, atol=1e-15)
    assert np.abs(target(X)).max() > 10 * error.max()  # the points test f*, not a function near 0


def test_the_planted_transport_is_feasible():
    for components, plant in ((1, 0), (4, 1), (50, 3)):
        target = planted_function(7, components, plant)
        np.testing.assert_allclose(np.linalg.norm(target.U, axis=1), 1.0, rtol=1e-15)
        np.testing.assert_allclose(np.linalg.norm(target.W, axis=1), 1.0, rtol=1e-15)
        assert math.fsum(np.abs(target.alphas) * np.linalg.norm(target.U, axis=1)) <= 1.0


@pytest.fixture(scope="module")
def data():
    return ds.planted(n=300, d=6, gamma=0.04, components=2, plant=1, flip=0.2, n_test=200, seed=3)


def test_every_kept_point_has_margin_gamma(data):
    target = planted_function(6, components=2, plant=1)
    gamma = data.params["gamma"]
    margins = data.y_train_clean * by_angles(target, data.X_train)
    assert margins.min() >= gamma
    assert data.params["certified_margin"] == pytest.approx(margins.min(), rel=1e-12)
    assert data.params["certified_margin"] >= gamma
    assert (data.y_test * by_angles(target, data.X_test)).min() >= gamma  # test labels are not flipped
    np.testing.assert_allclose(np.linalg.norm(data.X_train, axis=1), 1.0, rtol=1e-15)
    # the flips are of the training labels, after the selection
    flipped = np.mean(data.y_train != data.y_train_clean)
    assert 0.1 < flipped < 0.3  # 300 labels at rate 0.2: 4.3 standard deviations either side
    assert set(np.unique(data.y_train_clean)) == {-1.0, 1.0}
    assert data.params["alpha_l1"] <= 1.0


@pytest.mark.parametrize(("gamma", "components", "seed"), [(0.05, 1, 0), (0.02, 3, 1)])
def test_the_measured_margin_is_not_below_the_certified_one(gamma, components, seed):
    data = ds.planted(n=40, d=4, gamma=gamma, components=components, n_test=10, seed=seed)
    certified = data.params["certified_margin"]
    estimate = kdfast.margin(data.X_train, data.y_train_clean, n_threads=1)
    assert estimate.gamma_ci[1] >= certified
    # the kernel SVM margin bounds the true margin from above without Monte Carlo
    assert estimate.upper >= certified


def test_the_acceptance_rate_is_the_share_of_points_beyond_gamma():
    data = ds.planted(n=100, d=8, gamma=0.03, n_test=100, seed=2)
    target = planted_function(8)
    X = np.random.default_rng(5).standard_normal((200_000, 8))
    X /= np.linalg.norm(X, axis=1, keepdims=True)  # uniform on the sphere, as the candidates are
    share = np.mean(np.abs(target(X)) >= 0.03)
    rate = data.params["acceptance_rate"]  # over at least one block of 8192 draws
    error = math.sqrt(share * (1 - share) * (1 / 8192 + 1 / len(X)))
    assert abs(rate - share) < 5 * error


def test_replicates_and_test_sets_keep_the_task():
    data = ds.planted(n=50, d=5, gamma=0.03, n_test=20, seed=1)
    target = planted_function(5)
    other = data.redraw(2)
    assert not np.array_equal(other.X_train, data.X_train)
    np.testing.assert_array_equal(other.y_train_clean, np.sign(target(other.X_train)))  # the same f*
    # the k-th point kept does not depend on how many are asked for
    longer = ds.planted(n=50, d=5, gamma=0.03, n_test=2000, seed=1)
    np.testing.assert_array_equal(longer.X_train, data.X_train)
    # another plant is another task
    assert not np.array_equal(ds.planted(n=50, d=5, gamma=0.03, n_test=20, seed=1, plant=1).X_train, data.X_train)
    assert data.name == "planted(d=5, gamma=0.03)"


def test_the_command_lines_spec():
    name, options = _specs.spec("planted:n=50,d=4,gamma=0.05,components=2,n_test=10,seed=4")
    made = _specs.dataset(name, options)
    direct = ds.planted(n=50, d=4, gamma=0.05, components=2, n_test=10, seed=4)
    np.testing.assert_array_equal(made.X_train, direct.X_train)
    assert made.params == direct.params


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"gamma": 0.0}, ValueError, r"gamma: must lie in the open interval \(0, 0.5\), got 0.0"),
        ({"gamma": -0.1}, ValueError, "gamma: must lie in the open interval"),
        ({"gamma": 0.5}, ValueError, "gamma: must lie in the open interval"),
        # possible in principle (|f*| < 1/2), but no point of a block comes near: a bound, not a hang
        ({"gamma": 0.3, "d": 30}, ValueError, r"gamma: none of 8192 points drawn has \|f\*\(x\)\| >= gamma = 0.3"),
        ({"n": 10**6, "d": 30, "gamma": 0.05}, ValueError, r"n: 1001000 points \(n \+ n_test\) .* acceptance rate"),
        ({"n": 100, "gamma": 0.05, "max_draws": 1000}, ValueError, "beyond the budget max_draws = 1000"),
        ({"max_draws": 0}, ValueError, "max_draws: must be >= 1"),
        ({"components": 0}, ValueError, "components: must be >= 1"),
        ({"plant": -1}, ValueError, "plant: must be >= 0"),
        ({"d": 1}, ValueError, "d: must be >= 2"),
        ({"flip": 0.6}, ValueError, r"flip: must lie in \[0, 0.5\]"),
        ({"gamma": "0.1"}, TypeError, "gamma"),
    ],
)
def test_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        ds.planted(**kwargs)
