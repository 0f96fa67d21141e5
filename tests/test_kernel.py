"""kdfast.ntk_kernel: the closed-form limiting tangent kernel."""

import importlib

import numpy as np
import pytest

import kdfast


def _closed_form(x, xp):
    """K(x, x') for one pair, straight from the formula."""
    nx, nxp = np.linalg.norm(x), np.linalg.norm(xp)
    if nx == 0 or nxp == 0:
        return 0.0
    cos = np.clip(x @ xp / (nx * nxp), -1, 1)
    return x @ xp * (np.pi - np.arccos(cos)) / (2 * np.pi)


def test_known_values():
    e1, e2 = np.eye(2)
    c60 = np.array([0.5, np.sqrt(3) / 2])
    X = np.array([e1, 2 * e1, -e1, e2, c60])
    K = kdfast.ntk_kernel(X)
    assert K[0, 0] == 0.5  # |x|^2 / 2
    assert K[0, 1] == pytest.approx(1.0)  # parallel: <x, x'> / 2
    assert K[0, 2] == pytest.approx(0.0)  # opposite: never both active
    assert K[0, 3] == pytest.approx(0.0)  # orthogonal: <x, x'> = 0
    assert K[0, 4] == pytest.approx(0.5 * (np.pi - np.pi / 3) / (2 * np.pi))  # 60 degrees: 1/6
    for i in range(5):
        for j in range(5):
            assert K[i, j] == pytest.approx(_closed_form(X[i], X[j]), abs=1e-15)


def test_matches_monte_carlo_finite_width():
    # (1/m) sum_s 1[<w_s,x> > 0] 1[<w_s,x'> > 0] <x,x'> is a mean of m i.i.d.
    # terms <x,x'> * Bernoulli(p), p = (pi - theta) / (2 pi), so its standard
    # error is |<x,x'>| sqrt(p (1 - p) / m). With 21 pairs checked at a fixed
    # seed, 3.5 standard errors bounds all of them at about the 1% level.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 5)) * rng.uniform(0.2, 2.0, (6, 1))
    m = 200_000
    active = (X @ rng.standard_normal((5, m))) > 0
    estimate = (active.astype(np.float64) @ active.T) / m * (X @ X.T)
    K = kdfast.ntk_kernel(X)
    p = K / np.where(X @ X.T != 0, X @ X.T, 1)
    se = np.abs(X @ X.T) * np.sqrt(p * (1 - p) / m)
    iu = np.triu_indices(6)
    assert np.all(np.abs(estimate - K)[iu] <= 3.5 * se[iu])


def test_matches_empirical_tangent_kernel_of_a_wide_bank():
    # The student's gradient wrt w_s is a_s 1[<w_s,x> > 0] x / sqrt(m), so its
    # tangent kernel at initialisation is (1/m) sum_s a_s^2 1[.]1[.] <x,x'>.
    rng = np.random.default_rng(1)
    d, m = 6, 40_000
    X = rng.standard_normal((8, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    bank = kdfast.StudentBank(d, [m], seeds=(3,), dtype=np.float64)
    assert np.all(bank.a**2 == 1)
    active = (X @ bank.W0.T > 0).astype(np.float64)
    empirical = (active * bank.a**2) @ active.T / m * (X @ X.T)
    K = kdfast.ntk_kernel(X)
    p = np.clip(K / (X @ X.T), 0, 1)
    se = np.abs(X @ X.T) * np.sqrt(p * (1 - p) / m) + 1e-15
    assert np.all(np.abs(empirical - K) <= 4 * se)  # 36 pairs, see above

    # And the engine's gradient step moves f by that kernel: to first order
    # in lr, f_1 - f_0 = -lr/n * K_emp (sigmoid(f_0) - p). Activations that
    # flip in the step are O(lr) rare, so the relative error is O(lr).
    y = np.where(rng.random(8) < 0.5, -1.0, 1.0)
    f0 = bank.logits(X)[:, 0]
    lr = 1e-4
    bank.fit(X, y, steps=1, lr=lr)
    f1 = bank.logits(X)[:, 0]
    predicted = -lr / 8 * empirical @ (1 / (1 + np.exp(-f0)) - (1 + y) / 2)
    np.testing.assert_allclose(f1 - f0, predicted, rtol=1e-3, atol=1e-12)


def test_symmetric_psd_and_zero_rows():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((150, 7))
    X[[3, 77]] = 0.0
    K = kdfast.ntk_kernel(X)
    assert np.array_equal(K, K.T)
    assert np.all(K[[3, 77]] == 0) and np.all(K[:, [3, 77]] == 0)
    np.testing.assert_array_equal(np.diag(K), 0.5 * np.einsum("ij,ij->i", X, X))
    # PSD: Schur product of the linear and the order-0 arc-cosine kernels.
    # eigvalsh is backward stable, so negative eigenvalues are at most a few
    # n * eps * |K| in size.
    eig = np.linalg.eigvalsh(K)
    assert eig.min() >= -150 * 1e-15 * eig.max()


def test_general_and_symmetric_paths_agree_and_blocks_do_not_matter(monkeypatch):
    rng = np.random.default_rng(3)
    X1 = rng.standard_normal((70, 4))
    X2 = rng.standard_normal((33, 4))
    full = kdfast.ntk_kernel(np.vstack([X1, X2]))
    np.testing.assert_allclose(kdfast.ntk_kernel(X1, X2), full[:70, 70:], rtol=1e-13, atol=1e-15)
    # The general path takes arccos of a cosine that rounds to ~1 - 1e-16 on
    # the diagonal, which moves theta by ~1e-8; the symmetric one sets it exactly.
    np.testing.assert_allclose(kdfast.ntk_kernel(X1, X1), full[:70, :70], rtol=1e-7, atol=1e-15)
    one_block = kdfast.ntk_kernel(X1, X2)
    module = importlib.import_module("kdfast.kernel")
    monkeypatch.setattr(module, "_BLOCK_ELEMENTS", 50)  # one or two rows per block
    np.testing.assert_allclose(module.ntk_kernel(X1, X2), one_block, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(module.ntk_kernel(np.vstack([X1, X2])), full, rtol=1e-13, atol=1e-15)
    assert np.array_equal(module.ntk_kernel(X1), module.ntk_kernel(X1).T)


def test_dtypes():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 3))
    K64 = kdfast.ntk_kernel(X)
    K32 = kdfast.ntk_kernel(X.astype(np.float32))
    assert K64.dtype == np.float64 and K32.dtype == np.float32
    # Computed in float64 from the float32 inputs, then rounded once: the
    # difference is the inputs' rounding (~6e-8 relative) amplified by the
    # angle, well inside 1e-5.
    np.testing.assert_allclose(K32, K64, rtol=1e-5, atol=1e-6)
    assert kdfast.ntk_kernel(X.astype(np.float32), X).dtype == np.float64
    assert kdfast.ntk_kernel(np.array([[1, 0], [0, 2]])).dtype == np.float64
    assert kdfast.ntk_kernel(np.empty((0, 3)), X).shape == (0, 20)


@pytest.mark.parametrize(
    ("X1", "X2", "error", "match"),
    [
        (np.ones(3), None, ValueError, "X1.*2-D"),
        (np.ones((2, 3)), np.ones((2, 4)), ValueError, "X2.*3 columns"),
        (np.array([[1.0, np.nan]]), None, ValueError, "X1.*NaN"),
        (np.ones((2, 2)), np.array([[np.inf, 0.0]]), ValueError, "X2.*infinity"),
        (np.array([["a", "b"]]), None, TypeError, "X1"),
        (np.ones((2, 2), dtype=complex), None, TypeError, "X1"),
    ],
)
def test_bad_input(X1, X2, error, match):
    with pytest.raises(error, match=match):
        kdfast.ntk_kernel(X1, X2)
