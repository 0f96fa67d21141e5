"""kdfast.theory: the neuron bounds, their crossover, and power-law fits."""

import math

import numpy as np
import pytest
from scipy import stats

import kdfast
from kdfast import theory


def test_neurons_bound_orders():
    # soft: 1 / (gamma^2 eps); hard: ln(1/eps) / gamma^4 (C = 1).
    assert theory.neurons_bound(0.1, 0.01, "soft") == pytest.approx(1e4, rel=1e-12)
    assert theory.neurons_bound(0.1, 0.01, "hard") == pytest.approx(math.log(100) / 1e-4, rel=1e-12)
    assert theory.neurons_bound(0.1, 0.01, "hard", C=3.0) == pytest.approx(3 * math.log(100) / 1e-4, rel=1e-12)
    assert isinstance(theory.neurons_bound(0.1, 0.01), float)


def test_neurons_bound_broadcasts():
    gammas = np.array([0.05, 0.1, 0.2])
    m = theory.neurons_bound(gammas, 0.01, "soft")
    assert m.shape == (3,)
    # Halving gamma multiplies the soft bound by 4 and the hard bound by 16.
    assert m[0] / m[1] == pytest.approx(4.0, rel=1e-12)
    h = theory.neurons_bound(gammas, 0.01, "hard")
    assert h[0] / h[1] == pytest.approx(16.0, rel=1e-12)
    grid = theory.neurons_bound(gammas[:, None], np.array([0.1, 0.01]), "soft")
    assert grid.shape == (3, 2)


@pytest.mark.parametrize("eps", [0.3, 0.01, 1e-4, 1e-8])
def test_crossover_is_where_the_bounds_meet(eps):
    g = theory.crossover(eps)
    assert g == pytest.approx(math.sqrt(eps * math.log(1 / eps)), rel=1e-12)
    assert theory.neurons_bound(g, eps, "soft") == pytest.approx(theory.neurons_bound(g, eps, "hard"), rel=1e-9)
    # Below the crossover soft labels need fewer neurons, above it more.
    assert theory.neurons_bound(0.9 * g, eps, "soft") < theory.neurons_bound(0.9 * g, eps, "hard")
    assert theory.neurons_bound(1.1 * g, eps, "soft") > theory.neurons_bound(1.1 * g, eps, "hard")


def test_crossover_with_constants():
    eps = 0.01
    g = theory.crossover(eps, C_soft=2.0, C_hard=5.0)
    soft = theory.neurons_bound(g, eps, "soft", C=2.0)
    hard = theory.neurons_bound(g, eps, "hard", C=5.0)
    assert soft == pytest.approx(hard, rel=1e-9)


def least_squares(gammas, neurons, kind, eps=None, exponent=None, confidence=0.95):
    """fit_scaling's estimates and intervals, derived another way: (exponent, its interval, constant, its interval).

    The fit as the linear least-squares problem A coef ~ v, with v = ln(m / f(eps))
    (f = 1/eps soft, ln(1/eps) hard) and A = [1, ln(1/gamma)], or A = [1] and
    v - p ln(1/gamma) for a fixed exponent p, solved by np.linalg.lstsq; the
    intervals are coef +- t * sqrt(diag(s^2 (A^T A)^-1)), the textbook
    covariance of the coefficients, with s^2 the residual sum of squares over
    the degrees of freedom.
    """
    u, v = np.log(1 / np.asarray(gammas)), np.log(np.asarray(neurons))
    if eps is not None:
        eps = np.asarray(eps, dtype=float)
        v = v - np.log(1 / eps if kind == "soft" else np.log(1 / eps))
    if exponent is None:
        A = np.column_stack([np.ones_like(u), u])
    else:
        A, v = np.ones((u.size, 1)), v - exponent * u
    coef = np.linalg.lstsq(A, v, rcond=None)[0]
    dof = u.size - A.shape[1]
    s2 = np.sum((v - A @ coef) ** 2) / dof
    half = stats.t.ppf((1 + confidence) / 2, dof) * np.sqrt(np.diag(s2 * np.linalg.inv(A.T @ A)))
    log_c, half_c = coef[0], half[0]
    p, half_p = (coef[1], half[1]) if exponent is None else (exponent, 0.0)
    return p, (p - half_p, p + half_p), math.exp(log_c), (math.exp(log_c - half_c), math.exp(log_c + half_c))


@pytest.mark.parametrize(
    "case",
    [
        {"gammas": [0.02, 0.05, 0.1, 0.2, 0.4], "neurons": [3000.0, 410.0, 90.0, 9.0, 2.0], "kind": "soft"},
        {"gammas": [0.03, 0.06, 0.09, 0.15], "neurons": [5000.0, 700.0, 120.0, 33.0], "kind": "hard", "eps": 0.1},
        {
            "gammas": [0.05, 0.1, 0.2],
            "neurons": [64.0, 20.0, 4.0],
            "kind": "soft",
            "eps": [0.1, 0.05, 0.2],
            "confidence": 0.9,
        },
        {"gammas": [0.05, 0.1, 0.2, 0.3], "neurons": [64.0, 20.0, 4.0, 3.0], "kind": "hard", "exponent": 4.0},
    ],
)
def test_fit_scaling_is_the_least_squares_fit_with_its_intervals(case):
    # Noisy data (the intervals have width), scalar and per-point eps of
    # both kinds, another confidence, a fixed exponent. Both sides do a few
    # float64 operations on five or fewer logarithms of order 10, so the
    # interval ends agree to ~1e-13 in log space and, after exp, relatively:
    # 1e-10 leaves room and still catches any wrong term.
    kw = dict(case)
    gammas, neurons = np.array(kw.pop("gammas")), np.array(kw.pop("neurons"))
    fit = theory.fit_scaling(gammas, neurons, **kw)
    exponent, exponent_ci, constant, constant_ci = least_squares(gammas, neurons, **kw)
    got = [fit.exponent, *fit.exponent_ci, fit.constant, *fit.constant_ci]
    np.testing.assert_allclose(got, [exponent, *exponent_ci, constant, *constant_ci], rtol=1e-10, atol=0)
    assert fit.dof == gammas.size - (1 if "exponent" in kw else 2)


def test_fit_scaling_exact_power_law():
    gammas = np.array([0.02, 0.05, 0.1, 0.2, 0.4])
    eps = 0.01
    neurons = 3.0 * np.log(1 / eps) / gammas**4
    fit = theory.fit_scaling(gammas, neurons, "hard", eps=eps)
    assert fit.exponent == pytest.approx(4.0, rel=1e-10)
    assert fit.constant == pytest.approx(3.0, rel=1e-10)
    assert fit.expected_exponent == 4.0
    lo, hi = fit.exponent_ci
    assert hi - lo < 1e-8  # no residuals, no width
    # Without eps the constant absorbs ln(1/eps).
    raw = theory.fit_scaling(gammas, neurons, "hard")
    assert raw.constant == pytest.approx(3.0 * math.log(100), rel=1e-10)
    assert fit.predict(0.1, eps) == pytest.approx(3.0 * math.log(100) / 1e-4, rel=1e-9)


def test_fit_scaling_noisy_covers_truth_and_matches_ols():
    rng = np.random.default_rng(0)
    gammas = np.geomspace(0.02, 0.5, 12)
    neurons = 2.0 / gammas**2 * np.exp(0.1 * rng.standard_normal(12))
    fit = theory.fit_scaling(gammas, neurons, "soft")
    slope, intercept = np.polyfit(np.log(1 / gammas), np.log(neurons), 1)
    assert fit.exponent == pytest.approx(slope, rel=1e-10)
    assert fit.constant == pytest.approx(math.exp(intercept), rel=1e-10)
    assert fit.exponent_ci[0] < 2.0 < fit.exponent_ci[1]
    assert fit.constant_ci[0] < fit.constant < fit.constant_ci[1]
    assert fit.dof == 10


def test_fit_scaling_ci_matches_scipy():
    rng = np.random.default_rng(1)
    gammas = np.geomspace(0.05, 0.5, 6)
    neurons = 5.0 / gammas**2.3 * np.exp(0.2 * rng.standard_normal(6))
    fit = theory.fit_scaling(gammas, neurons, "soft", confidence=0.9)
    res = stats.linregress(np.log(1 / gammas), np.log(neurons))
    half = stats.t.ppf(0.95, 4) * res.stderr
    assert fit.exponent_ci == pytest.approx((res.slope - half, res.slope + half), rel=1e-9)


def test_fit_scaling_fixed_exponent():
    gammas = np.array([0.05, 0.1, 0.2])
    neurons = np.array([800.0, 210.0, 49.0])
    fit = theory.fit_scaling(gammas, neurons, "soft", exponent=2.0)
    assert fit.fixed_exponent and fit.exponent == 2.0 and fit.exponent_ci == (2.0, 2.0)
    assert fit.constant == pytest.approx(math.exp(np.mean(np.log(neurons * gammas**2))), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: theory.neurons_bound(0.0, 0.1), ValueError, "gamma"),
        (lambda: theory.neurons_bound(-0.1, 0.1), ValueError, "gamma"),
        (lambda: theory.neurons_bound(0.1, 0.0), ValueError, "eps"),
        (lambda: theory.neurons_bound(0.1, 1.0), ValueError, "eps"),
        (lambda: theory.neurons_bound(0.1, np.nan), ValueError, "eps"),
        (lambda: theory.neurons_bound(0.1, 0.1, "medium"), ValueError, "kind"),
        (lambda: theory.neurons_bound(0.1, 0.1, C=0), ValueError, "C"),
        (lambda: theory.neurons_bound("a", 0.1), TypeError, "gamma"),
        (lambda: theory.crossover(1.5), ValueError, "eps"),
        (lambda: theory.fit_scaling([0.1, 0.2], [10, 5]), ValueError, "at least 3"),
        (lambda: theory.fit_scaling([0.1, 0.2, 0.3], [10, 5]), ValueError, "same length"),
        (lambda: theory.fit_scaling([0.1, 0.1, 0.1], [10, 5, 4]), ValueError, "equal"),
        (lambda: theory.fit_scaling([0.1, 0.2, 0.3], [10, 0, 4]), ValueError, "neurons"),
        (lambda: theory.fit_scaling([0.1, 0.2, 0.3], [10, 5, 4], eps=2.0), ValueError, "eps"),
        (lambda: theory.fit_scaling([0.1, 0.2, 0.3], [10, 5, 4], confidence=1.0), ValueError, "confidence"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_docstrings_say_constants_are_unknown():
    for obj in (theory, theory.neurons_bound, theory.fit_scaling):
        assert "unknown" in obj.__doc__
    assert kdfast.theory is theory
