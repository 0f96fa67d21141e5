"""A convex solver on the simplex, and the problems of the margin estimate it solves.

Each problem is a convex, 1-homogeneous F(q) = "norm of E(q)" on the
simplex, given through a linear embedding E(q) so that the solver can
extrapolate E for free. F has kinks where a norm vanishes (for the sample
problem they are common on structured data such as the hypercube, where
many draws share an activation pattern), so the solver minimises the
smoothed F_mu, replacing |V| by sqrt(|V|^2 + mu^2) - mu, and lowers mu.
The gradient of F_mu is the vector of margins of v = V / sqrt(|V|^2 + mu^2),
a primal-feasible solution (|v| < 1), so min of it is a valid lower bound
on min F for every mu, and F itself gives the upper bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["KernelProblem", "LinearProblem", "SampleProblem", "Solution", "minimise", "project_simplex"]

# The Monte-Carlo problem is computed in float64: in float32 the rounding of
# F (~1e-7 relative) stalls the line search before a 1e-3 duality gap on
# hard data (random labels), for a saving of at most half the time.
MC_DTYPE = np.float64


def _smooth(norms: np.ndarray, mu: float) -> np.ndarray:
    return np.sqrt(norms.astype(np.float64) ** 2 + mu * mu) if mu > 0 else norms.astype(np.float64)


class SampleProblem:
    """F(q) = (1/S) sum_z |V_z(q)| over S/2 antithetic pairs (z, -z).

    E(q) stacks V_z for the S/2 draws z and U = sum_i q_i y_i x_i in the last
    row; V_{-z} = U - V_z because each x != 0 is active for exactly one of
    z and -z.
    """

    def __init__(self, P: np.ndarray, X: np.ndarray, Zh: np.ndarray):
        self.P = P.astype(MC_DTYPE)  # (n, d) signed points y_i x_i
        self.M = (Zh @ X.T > 0).astype(MC_DTYPE)  # (S/2, n) activations
        self.S = 2 * Zh.shape[0]

    def embed(self, q: np.ndarray) -> np.ndarray:
        W = q.astype(MC_DTYPE)[:, None] * self.P
        E = np.empty((self.M.shape[0] + 1, self.P.shape[1]), dtype=MC_DTYPE)
        np.matmul(self.M, W, out=E[:-1])
        E[-1] = W.sum(axis=0, dtype=np.float64)
        return E

    @staticmethod
    def _norms(E: np.ndarray):
        Vp = E[:-1]
        Vm = E[-1] - Vp
        return Vp, Vm, np.sqrt(np.einsum("ij,ij->i", Vp, Vp)), np.sqrt(np.einsum("ij,ij->i", Vm, Vm))

    def pair_values(self, E: np.ndarray) -> np.ndarray:
        """(|V_z| + |V_-z|) / 2 for each pair: i.i.d. terms whose mean is F."""
        _, _, np_, nm = self._norms(E)
        return 0.5 * (np_.astype(np.float64) + nm)

    def value(self, E: np.ndarray, mu: float = 0.0):
        """(F_mu, F) at E."""
        _, _, np_, nm = self._norms(E)
        F = (np_.sum(dtype=np.float64) + nm.sum(dtype=np.float64)) / self.S
        if mu == 0:
            return F, F
        return (_smooth(np_, mu).sum() + _smooth(nm, mu).sum()) / self.S - mu, F

    def directions(self, E: np.ndarray, mu: float = 0.0):
        """v(z) = V_z / sqrt(|V_z|^2 + mu^2) for the draws and their negatives."""
        Vp, Vm, np_, nm = self._norms(E)
        sp, sm = _smooth(np_, mu), _smooth(nm, mu)
        Dp = Vp / np.where(sp > 0, sp, 1).astype(MC_DTYPE)[:, None]
        Dm = Vm / np.where(sm > 0, sm, 1).astype(MC_DTYPE)[:, None]
        F = (np_.sum(dtype=np.float64) + nm.sum(dtype=np.float64)) / self.S
        F_mu = (sp.sum() + sm.sum()) / self.S - mu
        return Dp, Dm, F_mu, F

    def value_grad(self, E: np.ndarray, mu: float = 0.0):
        """(F_mu, F, gradient of F_mu) at E."""
        Dp, Dm, F_mu, F = self.directions(E, mu)
        # sum_z [m_zi v(z) + (1 - m_zi) v(-z)] for every example i at once.
        B = self.M.T @ (Dp - Dm)
        B += Dm.sum(axis=0, dtype=np.float64).astype(MC_DTYPE)
        G = np.einsum("ij,ij->i", self.P, B, dtype=np.float64) / self.S
        return F_mu, F, G


class _NormProblem:
    """F(q) = |E(q)| for a linear E: the linear or the kernel SVM margin."""

    n: int  # the number of weights q

    def _square(self, E) -> float:
        """|E|^2."""
        raise NotImplementedError

    def _gradient_direction(self, E) -> np.ndarray:
        """The gradient of |E|^2 / 2 with respect to q."""
        raise NotImplementedError

    def value(self, E, mu: float = 0.0):
        sq = max(self._square(E), 0.0)
        F = math.sqrt(sq)
        return (math.sqrt(sq + mu * mu) - mu if mu > 0 else F), F

    def value_grad(self, E, mu: float = 0.0):
        F_mu, F = self.value(E, mu)
        s = F_mu + mu
        G = self._gradient_direction(E) / s if s > 0 else np.zeros(self.n)
        return F_mu, F, G


class LinearProblem(_NormProblem):
    """F(q) = |sum_i q_i y_i x_i|: its minimum is the linear margin gamma_lin."""

    def __init__(self, P: np.ndarray):
        self.P = P
        self.n = P.shape[0]

    def embed(self, q):
        return q @ self.P

    def _square(self, E):
        return float(E @ E)

    def _gradient_direction(self, E):
        return self.P @ E


class KernelProblem(_NormProblem):
    """F(q) = sqrt(q^T Q q): its minimum is the kernel SVM margin gamma_K."""

    def __init__(self, Q: np.ndarray):
        self.Q = Q
        self.n = Q.shape[0]

    def embed(self, q):
        return np.concatenate([q, self.Q @ q])

    def _square(self, E):
        return float(E[: self.n] @ E[self.n :])

    def _gradient_direction(self, E):
        return E[self.n :]


def project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {q >= 0, sum q = 1} (sort-based)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = np.flatnonzero(u - css / k > 0)[-1]
    return np.maximum(v - css[rho] / (rho + 1), 0.0)


@dataclass
class Solution:
    q: np.ndarray
    upper: float  # F(q): dual value, upper bound on the problem's minimum
    lower: float  # best primal margin seen: lower bound on the minimum
    E: np.ndarray  # embedding at q
    primal: tuple  # (E, mu) whose v = V / sqrt(|V|^2 + mu^2) has margins >= lower
    n_iter: int
    converged: bool


def minimise(problem, q0: np.ndarray, tol: float, max_iter: int, atol: float = 0.0) -> Solution:
    """Accelerated projected gradient (FISTA) with restarts on the smoothed F_mu.

    Stops when the certified gap F(q) - (best primal margin) is at most
    tol * F(q) (or F(q) <= atol). mu starts at a tenth of F and is divided
    by 4 whenever the smoothed problem is solved to within mu, so that
    smooth problems finish at once and kinked ones converge. The
    extrapolated point may leave the simplex; F is convex on all of R^n and
    the margins there still come from a primal-feasible v, so they remain
    valid lower bounds.
    """
    eps = 16 * np.finfo(MC_DTYPE).eps
    x = q0
    Ex = problem.embed(x)
    _, F0 = problem.value(Ex)
    mu = 0.1 * F0
    Fx_mu, Fx = problem.value(Ex, mu)
    x_prev, E_prev = x, Ex
    t, L = 1.0, None
    best_lower, primal = -np.inf, (Ex, mu)
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_next
        yv = x + beta * (x - x_prev) if beta else x
        Ey = Ex + beta * (Ex - E_prev) if beta else Ex
        Fy_mu, _, Gy = problem.value_grad(Ey, mu)
        if Gy.min() > best_lower:
            best_lower, primal = float(Gy.min()), (Ey, mu)
        if Fx - best_lower <= tol * Fx or Fx <= atol:
            converged = True
            break
        if beta == 0.0 and float(x @ Gy) - float(Gy.min()) <= mu:
            # The smoothed problem is solved to within mu: sharpen it.
            mu *= 0.25
            if L is not None:
                L *= 4.0
            Fx_mu, Fx = problem.value(Ex, mu)
            continue
        if L is None:
            # A first step that moves q by about its own size (1/n).
            L = L0 = max(float(Gy.max() - Gy.min()) * x.size, 1e-12)
        for _ in range(60):
            xn = project_simplex(yv - Gy / L)
            En = problem.embed(xn)
            Fn_mu, Fn = problem.value(En, mu)
            step = xn - yv
            if Fn_mu <= Fy_mu + Gy @ step + 0.5 * L * (step @ step) + eps * abs(Fy_mu):
                break
            L *= 2.0
        if Fn_mu > Fx_mu:
            if beta == 0.0:
                # Even a plain step did not descend: rounding decided the
                # test, so take a shorter step, or stop at the noise floor.
                L *= 2.0
                if L > 1e14 * L0:
                    break
            # Momentum overshot: restart from x without it.
            t = 1.0
            x_prev, E_prev = x, Ex
            continue
        x_prev, E_prev, x, Ex, Fx_mu, Fx = x, Ex, xn, En, Fn_mu, Fn
        t = t_next
        L *= 0.8
    _, Fx, Gx = problem.value_grad(Ex, 0.0)
    if Gx.min() > best_lower:
        best_lower, primal = float(Gx.min()), (Ex, 0.0)
    converged = converged or Fx - best_lower <= tol * Fx or Fx <= atol
    return Solution(x, Fx, best_lower, Ex, primal, it, converged)
