"""The engine's gradient against central finite differences of its own loss, in float64.

The gradient is read off one step of plain gradient descent: the update uses
grad L(W_0) whatever the step size, so (W_0 - W_1) / lr = grad L(W_0) up to
the rounding of W_1 (W_0 - W_1 itself is exact, the two being close): at most
half an ulp of W_1, eps/2 * |W| / lr. With lr = 1e-3 and |W| < 4 that is
< 1e-12: far below the finite-difference tolerance, and the bound READ_ERR
`read_error` (twice it) is the atol when the same reading is compared with the
reference's analytic gradient.

The loss L_k(W) for the finite differences is computed from kdfast's own
logits (a from_arrays bank holding the perturbed weights) with the loss
formula of the contract, so this checks the engine's backward pass against its
forward pass.

Finite-difference error with step h = 1e-5:
- truncation: h^2/6 * |d^3 L / dw^3|; the logit is piecewise linear in w with
  slope |a x_j| / sqrt(m) <= 1 (unit-norm x), and the loss's third derivative
  in f is at most tau^2 * max|sigma''| / tau^3 < 0.1 / tau, so this is
  < 1e-10 / 6 / tau, ~4e-11 for tau = 0.4;
- rounding: L_k (< 10) is computed to a few ulps, ~1e-15 * 10, and divided by
  2h: ~5e-10.
Gradient entries here are ~1e-2 to 1e-1, so we require
|g_engine - g_fd| <= 1e-8 + 1e-6 |g_fd|, a few times above both error
sources; a wrong term (a missing 1/sqrt(m), tau or 1/n) would be off by O(1).
The inputs are chosen so that no pre-activation <w_s, x_i> is within 100 h of 0
(a perturbation of size h moves it by at most h), so relu is differentiable
at every point the differences touch.
"""

import numpy as np
import pytest

import kdfast
import reference as ref

H = 1e-5
LR = 1e-3
WIDTHS = np.array([1, 3, 8])


def problem(kind, n=30, d=4, seed=0):
    rng = np.random.default_rng(seed)
    M = int(WIDTHS.sum())
    W0 = rng.normal(size=(M, d))
    a = rng.choice([-1.0, 1.0], size=M)
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    score = X @ rng.normal(size=d)
    y = np.where(score > 0, 1.0, -1.0)
    target = y if kind == "hard" else ref.sigmoid(2 * score)
    return W0, a, X, y, target


def read_error(W):
    return np.finfo(np.float64).eps * np.max(np.abs(W)) / LR


def fd_gradient(W0, a, X, P, tau):
    """Central differences of L_k(W) from kdfast's logits, all 2*M*d perturbed copies in one bank."""
    M, d = W0.shape
    K = len(WIDTHS)
    E = H * np.eye(M * d).reshape(M * d, M, d)  # copy i moves coordinate i
    copies = np.concatenate([W0 + E, W0 - E])  # (2Md, M, d)
    bank = kdfast.StudentBank.from_arrays(copies.reshape(-1, d), np.tile(a, 2 * M * d), np.tile(WIDTHS, 2 * M * d))
    F = bank.logits(X).reshape(X.shape[0], 2 * M * d, K)
    L = ref.pointwise_loss(F, P[:, None, :], tau).mean(axis=0)  # (2Md, K)
    net_of_coordinate = np.repeat(np.repeat(np.arange(K), WIDTHS), d)  # (Md,)
    diff = L[: M * d] - L[M * d :]
    return (diff[np.arange(M * d), net_of_coordinate] / (2 * H)).reshape(M, d)


@pytest.mark.parametrize("temperature", [1.0, 0.4, 3.0])
@pytest.mark.parametrize("kind", ["soft", "hard"])
def test_gradient_matches_finite_differences(kind, temperature):
    W0, a, X, y, target = problem(kind)
    assert np.min(np.abs(X @ W0.T)) > 100 * H, "pick data away from relu kinks"
    K = len(WIDTHS)
    P = ref.target_matrix(target, K)

    bank = kdfast.StudentBank.from_arrays(W0, a, WIDTHS)
    bank.fit(X, target, steps=1, lr=LR, radius=None, temperature=temperature)
    g_engine = (W0 - bank.W) / LR

    g_fd = fd_gradient(W0, a, X, P, temperature)
    np.testing.assert_allclose(g_engine, g_fd, rtol=1e-6, atol=1e-8)
    # the engine's gradient is also the reference's analytic one
    g_ref = ref.gradient(W0, a, WIDTHS, X, P, temperature)
    np.testing.assert_allclose(g_engine, g_ref, rtol=1e-10, atol=read_error(W0))


def test_relu_derivative_at_zero_is_zero():
    """A pre-activation of exactly 0 contributes nothing to the gradient."""
    W0, a, X, y, target = problem("soft", n=10, d=4, seed=1)
    X[0] = [1.0, 0.0, 0.0, 0.0]
    W0[:, 0] = 0.0  # <w_s, x_0> == 0 exactly for every neuron, in any summation order
    assert np.all(X[0] @ W0.T == 0)
    bank = kdfast.StudentBank.from_arrays(W0, a, WIDTHS)
    bank.fit(X, target, steps=1, lr=LR, radius=None)
    g_engine = (W0 - bank.W) / LR
    P = ref.target_matrix(target, len(WIDTHS))
    g_ref = ref.gradient(W0, a, WIDTHS, X, P, np.ones(len(WIDTHS)))
    np.testing.assert_allclose(g_engine, g_ref, rtol=1e-10, atol=read_error(W0))
