"""The NTK separation margin gamma of a labelled data set (Ji & Telgarsky, 2020).

For inputs x_i with labels y_i in {-1, +1},

    gamma = max_{v: |v(z)| <= 1 for all z}  min_i  y_i E_z[ <v(z), x_i> 1[<z, x_i> > 0] ]     (primal)
          = min_{q in simplex}  E_z | V_z(q) |,   V_z(q) = sum_i q_i y_i x_i 1[<z, x_i> > 0]    (dual)

with z ~ N(0, I_d). The primal asks for the best unit-length "transport"
v(z) of the infinite-width network; gamma is the margin it achieves on the
hardest example. gamma > 0 unless two inputs point in the same direction
with opposite labels (or an input is zero).

Estimation
----------
E_z is replaced by an average over S Monte-Carlo draws taken in
antithetic pairs (z, -z): for x != 0 exactly one of <z, x>, <-z, x> is
positive, so every example is active in exactly half the samples, which
removes part of the noise and makes the sample problem inherit the exact
bound gamma >= gamma_lin / 2 below.

The sample problem is solved in its dual, a convex, 1-homogeneous
function F on the simplex, by accelerated projected gradient with
backtracking and restarts. Its gradient is the vector of primal margins:
for any weights q, v(z) = V_z / |V_z| is primal-feasible and
G_i = y_i E_S[<v(z), x_i> 1[<z, x_i> > 0]], so min_i G_i is a lower bound
and F(q) = sum_i q_i G_i an upper bound on the sample problem's value. The
solver stops when the two agree to the relative tolerance `tol`. F has
kinks where some V_z vanishes (common on structured data such as the
hypercube), so the solver works on a smoothed F whose smoothing it
lowers as it goes; its margins still come from feasible v(z), so the
bounds stay certified.

Uncertainty (`gamma_ci`, about 95%) follows Mak, Morton & Wood (1999):
  * the sample problem's optimum is biased low (E min <= min E), so the
    certified lower values of the sample problem on n_batches independent
    batches of the draws, averaged, give a lower confidence limit
    (Student's t over the batches). Each batch has n_samples / n_batches
    draws and so a larger bias: on hard data (small gamma, n large against
    the draws) this bias, not the spread, sets the lower limit;
  * the fitted weights q evaluated on fresh, independent draws (four times
    as many as the fit used) estimate
    F(q) >= gamma without bias, giving the upper confidence limit
    (normal, the pairs being independent).
The interval is then intersected with the certified bounds below. The
point estimate `gamma` is the fresh draws' mean of F(q), moved into the
interval if it lies outside; the sample problem's own value, which reuses
the fit's draws and so carries their noise twice, is kept as
`sample_gamma`.

Certified bounds (no Monte Carlo)
---------------------------------
  * lower = gamma_lin / 2 when the data is linearly separable through the
    origin with margin gamma_lin = max_{|u| <= 1} min_i y_i <u, x_i>: take
    v(z) = u, and P(<z, x> > 0) = 1/2. None when separability is not
    certified.
  * upper = gamma_K, the hard-margin SVM margin of the limiting kernel K
    (no bias), since E|V_z| <= sqrt(E |V_z|^2) = sqrt(q^T Q q) with
    Q_ij = y_i y_j K(x_i, x_j).
Both are computed by the same solver on their own min-norm duals, and the
values reported are the certified sides (a feasible u for the lower bound,
a feasible q for the upper bound), so they are valid even before full
convergence.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import _validation as check
from .kernel import ntk_kernel

__all__ = ["Margin", "margin"]

# The Monte-Carlo problem is computed in float64: in float32 the rounding of
# F (~1e-7 relative) stalls the line search before a 1e-3 duality gap on
# hard data (random labels), for a saving of at most half the time.
_MC_DTYPE = np.float64
_CONFIDENCE = 0.95
_BATCH_TOL = 0.03
# Fresh draws for the upper confidence limit, as a multiple of the fit's.
_FRESH_FACTOR = 4


# ------------------------------------------------------------------ result


@dataclass(frozen=True, eq=False, repr=False)
class Margin:
    """Estimate of the NTK separation margin gamma, with its uncertainty.

    Attributes
    ----------
    gamma : float
        Point estimate of the true gamma: the dual objective at the solver's
        weights `q` averaged over the fresh draws of the upper confidence
        limit (an unbiased estimate of F(q) >= gamma, so biased high by the
        suboptimality of `q` only), moved into `gamma_ci` when it falls
        outside (the certified bounds or the batches' lower limit can cut
        it). It always lies in `gamma_ci`.
    gamma_ci : (float, float)
        About 95% confidence interval for the true gamma, from independent
        z draws (see the module notes), clipped to [lower, upper].
    sample_gamma : float
        Value of the Monte-Carlo sample problem the solver minimised (its
        dual objective at `q` on the fit's own draws, within `gap` of that
        problem's optimum). Not an estimate to report: on structured data
        its draws' noise can put it outside `gamma_ci`.
    q : ndarray (n,)
        Dual weights on the simplex; the examples with the largest weights
        are the hardest ones (their margin is gamma). Read-only.
    n_samples : int
        Monte-Carlo draws of z used by the solver.
    lower : float or None
        Certified gamma_lin / 2 (linearly separable data), else None.
    upper : float or None
        Certified upper bound gamma_K (kernel hard-margin SVM margin); None
        when not computed (bounds=False).
    gap : float
        Certified duality gap of the sample problem: a feasible v(z) with
        margin sample_gamma - gap on every training example of the fit's
        draws was found (it is the function MarginTeacher uses).
    n_iter : int
        Solver iterations.
    converged : bool
        Whether the relative gap reached `tol` within `max_iter`.
    """

    gamma: float
    gamma_ci: tuple
    q: np.ndarray
    n_samples: int
    lower: float | None
    upper: float | None
    gap: float = 0.0
    n_iter: int = 0
    converged: bool = True
    sample_gamma: float | None = None

    def __post_init__(self):
        if self.sample_gamma is None:
            object.__setattr__(self, "sample_gamma", self.gamma)

    def hardest(self, k: int = 10) -> np.ndarray:
        """Indices of the k examples with the largest dual weight, largest first."""
        k = min(int(k), self.q.size)
        order = np.argsort(-self.q, kind="stable")
        return order[:k]

    def __repr__(self) -> str:
        def fmt(v):
            return "None" if v is None else f"{v:.6g}"

        return (
            f"Margin(gamma={self.gamma:.6g}, gamma_ci=({self.gamma_ci[0]:.6g}, {self.gamma_ci[1]:.6g}), "
            f"lower={fmt(self.lower)}, upper={fmt(self.upper)}, n_samples={self.n_samples}, "
            f"support={int((self.q > 1e-3 / self.q.size).sum())}/{self.q.size}, converged={self.converged})"
        )


# -------------------------------------------------------------- validation


def _check_X(X, name: str = "X") -> np.ndarray:
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected a 2-D array of shape (n, d) with n, d >= 1, got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64, order="C")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def _check_labels(y, n: int, name: str = "y") -> np.ndarray:
    """Labels in {-1, +1} of shape (n,), both classes present, as float64."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected labels in {{-1, +1}} as numbers, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) to match X, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    values = np.unique(arr)
    if not np.isin(values, (-1.0, 1.0)).all():
        raise ValueError(f"{name}: labels must be -1 or +1, got values {values[:6].tolist()}")
    if values.size < 2:
        raise ValueError(f"{name}: all labels are {values[0]:+g}; need both classes -1 and +1")
    return arr


def _check_tol(tol, name: str = "tol") -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"{name}: expected a float, got {type(tol).__name__}")
    tol = float(tol)
    if not 0.0 < tol < 1.0:
        raise ValueError(f"{name}: must lie in (0, 1), got {tol}")
    return tol


def _blas_threads(n_threads):
    """Limit BLAS threads when threadpoolctl is installed; advisory otherwise.

    scikit-learn's meaning: None = leave the BLAS pool alone (all threads, or
    what OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set), k > 0 = k threads,
    -k = all but k - 1. The work here is NumPy's matrix products, whose
    threads only threadpoolctl can change at run time.
    """
    n_threads = check.thread_count(n_threads)
    if n_threads is None:
        return nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    if n_threads < 0:
        n_threads = max(1, (os.cpu_count() or 1) + 1 + n_threads)
    return threadpool_limits(limits=n_threads, user_api="blas")


# ---------------------------------------------------------------- problems
# Each problem is a convex, 1-homogeneous F(q) = "norm of E(q)" on the
# simplex, given through a linear embedding E(q) so that the solver can
# extrapolate E for free. F has kinks where a norm vanishes (for the sample
# problem they are common on structured data such as the hypercube, where
# many draws share an activation pattern), so the solver minimises the
# smoothed F_mu, replacing |V| by sqrt(|V|^2 + mu^2) - mu, and lowers mu.
# The gradient of F_mu is the vector of margins of v = V / sqrt(|V|^2 + mu^2),
# a primal-feasible solution (|v| < 1), so min of it is a valid lower bound
# on min F for every mu, and F itself gives the upper bound.


def _smooth(norms: np.ndarray, mu: float) -> np.ndarray:
    return np.sqrt(norms.astype(np.float64) ** 2 + mu * mu) if mu > 0 else norms.astype(np.float64)


class _SampleProblem:
    """F(q) = (1/S) sum_z |V_z(q)| over S/2 antithetic pairs (z, -z).

    E(q) stacks V_z for the S/2 draws z and U = sum_i q_i y_i x_i in the last
    row; V_{-z} = U - V_z because each x != 0 is active for exactly one of
    z and -z.
    """

    def __init__(self, P: np.ndarray, X: np.ndarray, Zh: np.ndarray):
        self.P = P.astype(_MC_DTYPE)  # (n, d) signed points y_i x_i
        self.M = (Zh @ X.T > 0).astype(_MC_DTYPE)  # (S/2, n) activations
        self.S = 2 * Zh.shape[0]

    def embed(self, q: np.ndarray) -> np.ndarray:
        W = q.astype(_MC_DTYPE)[:, None] * self.P
        E = np.empty((self.M.shape[0] + 1, self.P.shape[1]), dtype=_MC_DTYPE)
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
        Dp = Vp / np.where(sp > 0, sp, 1).astype(_MC_DTYPE)[:, None]
        Dm = Vm / np.where(sm > 0, sm, 1).astype(_MC_DTYPE)[:, None]
        F = (np_.sum(dtype=np.float64) + nm.sum(dtype=np.float64)) / self.S
        F_mu = (sp.sum() + sm.sum()) / self.S - mu
        return Dp, Dm, F_mu, F

    def value_grad(self, E: np.ndarray, mu: float = 0.0):
        """(F_mu, F, gradient of F_mu) at E."""
        Dp, Dm, F_mu, F = self.directions(E, mu)
        # sum_z [m_zi v(z) + (1 - m_zi) v(-z)] for every example i at once.
        B = self.M.T @ (Dp - Dm)
        B += Dm.sum(axis=0, dtype=np.float64).astype(_MC_DTYPE)
        G = np.einsum("ij,ij->i", self.P, B, dtype=np.float64) / self.S
        return F_mu, F, G


class _NormProblem:
    """F(q) = |E(q)| for a linear E: the linear or the kernel SVM margin."""

    def value(self, E, mu: float = 0.0):
        sq = max(self._square(E), 0.0)
        F = math.sqrt(sq)
        return (math.sqrt(sq + mu * mu) - mu if mu > 0 else F), F

    def value_grad(self, E, mu: float = 0.0):
        F_mu, F = self.value(E, mu)
        s = F_mu + mu
        G = self._gradient_direction(E) / s if s > 0 else np.zeros(self.n)
        return F_mu, F, G


class _LinearProblem(_NormProblem):
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


class _KernelProblem(_NormProblem):
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


# ------------------------------------------------------------------ solver


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {q >= 0, sum q = 1} (sort-based)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = np.flatnonzero(u - css / k > 0)[-1]
    return np.maximum(v - css[rho] / (rho + 1), 0.0)


@dataclass
class _Solution:
    q: np.ndarray
    upper: float  # F(q): dual value, upper bound on the problem's minimum
    lower: float  # best primal margin seen: lower bound on the minimum
    E: np.ndarray  # embedding at q
    primal: tuple  # (E, mu) whose v = V / sqrt(|V|^2 + mu^2) has margins >= lower
    n_iter: int
    converged: bool


def _minimise(problem, q0: np.ndarray, tol: float, max_iter: int, atol: float = 0.0) -> _Solution:
    """Accelerated projected gradient (FISTA) with restarts on the smoothed F_mu.

    Stops when the certified gap F(q) - (best primal margin) is at most
    tol * F(q) (or F(q) <= atol). mu starts at a tenth of F and is divided
    by 4 whenever the smoothed problem is solved to within mu, so that
    smooth problems finish at once and kinked ones converge. The
    extrapolated point may leave the simplex; F is convex on all of R^n and
    the margins there still come from a primal-feasible v, so they remain
    valid lower bounds.
    """
    eps = 16 * np.finfo(_MC_DTYPE).eps
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
            xn = _project_simplex(yv - Gy / L)
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
    return _Solution(x, Fx, best_lower, Ex, primal, it, converged)


# ---------------------------------------------------------------- helpers


def _inseparable(X: np.ndarray, y: np.ndarray):
    """(message, q) when gamma = 0 for a structural reason, else None.

    gamma = 0 exactly when an input is zero or two inputs point in the
    same direction with opposite labels (then their features coincide up
    to scale). Directions are compared after rounding to 1e-10.
    """
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    n = X.shape[0]
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        i = int(zero[0])
        q = np.zeros(n)
        q[i] = 1.0
        return f"X row {i} is zero, so its margin is 0 for every v and gamma = 0", q
    U = np.round(X / norms[:, None], 10) + 0.0  # + 0.0 turns -0.0 into 0.0
    _, inverse = np.unique(U, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    groups = inverse.max() + 1
    pos = np.zeros(groups, bool)
    neg = np.zeros(groups, bool)
    pos[inverse[y > 0]] = True
    neg[inverse[y < 0]] = True
    both = np.flatnonzero(pos & neg)
    if not both.size:
        return None
    members = inverse == both[0]
    i = int(np.flatnonzero(members & (y > 0))[0])
    j = int(np.flatnonzero(members & (y < 0))[0])
    # q_i y_i x_i + q_j y_j x_j = 0 for x_j = c x_i when q_i / q_j = c = |x_j| / |x_i|.
    q = np.zeros(n)
    q[i], q[j] = norms[j], norms[i]
    q /= q.sum()
    what = "the same point" if np.array_equal(X[i], X[j]) else "the same direction"
    first, second = sorted((i, j))
    return (
        f"X rows {first} and {second} are {what} but have opposite labels "
        f"({y[first]:+.0f} and {y[second]:+.0f}): no function of the limiting kernel separates them, "
        "so gamma = 0",
        q,
    )


def _linear_lower(P: np.ndarray, tol: float, max_iter: int):
    """gamma_lin / 2 from a feasible separator, or None when not certified."""
    scale = float(np.sqrt(np.einsum("ij,ij->i", P, P)).max())
    sol = _minimise(_LinearProblem(P), np.full(P.shape[0], 1.0 / P.shape[0]), tol, max_iter, atol=1e-12 * scale)
    return 0.5 * sol.lower if sol.lower > 0 else None


def _kernel_upper(X: np.ndarray, y: np.ndarray, tol: float, max_iter: int) -> float:
    """A certified upper bound on gamma_K (the dual value at a feasible q)."""
    Q = ntk_kernel(X)
    Q *= y[:, None]
    Q *= y[None, :]
    sol = _minimise(_KernelProblem(Q), np.full(X.shape[0], 1.0 / X.shape[0]), tol, max_iter)
    return sol.upper


def _estimate(X, y, *, n_samples, seed, tol, n_batches, bounds, max_iter, n_threads, inseparable="warn"):
    """margin() and, for the margin teacher, the draws and v(z) of the primal solution.

    inseparable: "warn" (return gamma = 0 with a warning) or "raise" (ValueError).
    """
    X = _check_X(X)
    n, d = X.shape
    y = _check_labels(y, n)
    n_samples = check.positive_int(n_samples, "n_samples", minimum=2)
    if n_samples % 2:
        raise ValueError(f"n_samples: must be even (draws are used in pairs z, -z), got {n_samples}")
    n_batches = check.positive_int(n_batches, "n_batches", minimum=2)
    if n_samples < 4 * n_batches:
        raise ValueError(f"n_samples: need at least 4 * n_batches = {4 * n_batches} draws, got {n_samples}")
    seed = check.positive_int(seed, "seed", minimum=0)
    tol = _check_tol(tol)
    max_iter = check.positive_int(max_iter, "max_iter")
    bounds = check.flag(bounds, "bounds")

    with _blas_threads(n_threads):
        degenerate = _inseparable(X, y)
        if degenerate is not None:
            message, q = degenerate
            if inseparable == "raise":
                raise ValueError(message)
            warnings.warn(message, UserWarning, stacklevel=3)
            q.flags.writeable = False
            result = Margin(0.0, (0.0, 0.0), q, n_samples, None, 0.0 if bounds else None, 0.0, 0, True)
            return result, None

        P = y[:, None] * X
        fit_seq, fresh_seq = np.random.SeedSequence(seed).spawn(2)
        half = n_samples // 2
        Zh = np.random.default_rng(fit_seq).standard_normal((half, d))
        Zf = np.random.default_rng(fresh_seq).standard_normal((_FRESH_FACTOR * half, d))

        problem = _SampleProblem(P, X, Zh)
        sol = _minimise(problem, np.full(n, 1.0 / n), tol, max_iter)

        # Lower confidence limit from independent batches. Only their
        # certified lower values enter, so a looser tolerance just makes the
        # limit a little more conservative, and saves time.
        batch_lowers = []
        for idx in np.array_split(np.arange(half), n_batches):
            b = _minimise(_SampleProblem(P, X, Zh[idx]), sol.q, max(tol, _BATCH_TOL), max_iter)
            batch_lowers.append(b.lower)
        batch_lowers = np.array(batch_lowers)
        t = stats.t.ppf(0.5 + _CONFIDENCE / 2, n_batches - 1)
        ci_low = batch_lowers.mean() - t * batch_lowers.std(ddof=1) / math.sqrt(n_batches)

        # Upper confidence limit: F(q) >= gamma estimated on fresh draws,
        # more of them than the fit used (evaluating F at one q is cheap),
        # taken in blocks of the fit's size to bound memory.
        values = np.concatenate([
            fresh.pair_values(fresh.embed(sol.q))
            for fresh in (_SampleProblem(P, X, block) for block in np.split(Zf, _FRESH_FACTOR))
        ])  # fmt: skip
        z = stats.norm.ppf(0.5 + _CONFIDENCE / 2)
        fresh_gamma = float(values.mean())
        ci_high = fresh_gamma + z * values.std(ddof=1) / math.sqrt(values.size)

        lower = upper = None
        if bounds:
            lower = _linear_lower(P, tol, max_iter)
            upper = _kernel_upper(X, y, tol, max_iter)
        ci_low = max(ci_low, lower if lower is not None else 0.0)
        ci_high = min(ci_high, upper if upper is not None else np.inf)

        if not sol.converged:
            warnings.warn(
                f"margin: the solver stopped after {sol.n_iter} iterations with a relative duality gap of "
                f"{(sol.upper - sol.lower) / max(sol.upper, 1e-300):.2g} > tol = {tol:g}; increase max_iter or tol",
                UserWarning,
                stacklevel=3,
            )
        q = sol.q.copy()
        q.flags.writeable = False
        result = Margin(
            gamma=float(min(max(fresh_gamma, ci_low), ci_high)),
            gamma_ci=(float(ci_low), float(ci_high)),
            q=q,
            n_samples=n_samples,
            lower=None if lower is None else float(lower),
            upper=None if upper is None else float(upper),
            gap=float(sol.upper - sol.lower),
            n_iter=sol.n_iter,
            converged=sol.converged,
            sample_gamma=float(sol.upper),
        )
        Dp, Dm, _, _ = problem.directions(*sol.primal)
        return result, (Zh, Dp.astype(np.float64), Dm.astype(np.float64))


def margin(
    X,
    y,
    *,
    n_samples: int = 4096,
    seed: int = 0,
    tol: float = 1e-2,
    n_batches: int = 4,
    bounds: bool = True,
    max_iter: int = 2000,
    n_threads=None,
) -> Margin:
    """Estimate Ji & Telgarsky's NTK separation margin gamma of (X, y).

        gamma = max_{|v(z)| <= 1} min_i y_i E_z[<v(z), x_i> 1[<z, x_i> > 0]]
              = min_{q in simplex} E_z |sum_i q_i y_i x_i 1[<z, x_i> > 0]|

    See the module documentation for the method, the confidence interval
    and the certified bounds gamma_lin / 2 <= gamma <= gamma_K.

    Parameters
    ----------
    X : array (n, d)
        Inputs (the theory assumes |x| <= 1; gamma scales with |x|).
    y : array (n,)
        Labels in {-1, +1}, both present.
    n_samples : int, even
        Monte-Carlo draws of z ~ N(0, I_d) (used in pairs z, -z). The error
        of gamma shrinks like 1/sqrt(n_samples); the sample problem is
        biased low, noticeably when n_samples is small against n.
    seed : int
        Seed of the draws (NumPy's SeedSequence).
    tol : float in (0, 1)
        Relative duality gap at which the solver stops. The default 1%
        is below the Monte-Carlo error of the default n_samples.
    n_batches : int >= 2
        Independent batches of the draws for the lower confidence limit
        (each solved to a relative gap of max(tol, 0.03): only their
        certified lower values enter, so that is merely conservative).
    bounds : bool
        Compute the certified `lower` and `upper`. `upper` needs the n x n
        kernel matrix (8 n^2 bytes).
    max_iter : int
        Solver iterations per problem; a warning says when it was not enough.
    n_threads : None or int
        Threads for NumPy's BLAS, scikit-learn style (None: leave BLAS as it
        is, which honours OMP_NUM_THREADS / OPENBLAS_NUM_THREADS). Applied
        through threadpoolctl when it is installed; advisory otherwise.

    Returns
    -------
    Margin

    Warns
    -----
    UserWarning
        When the data cannot be separated (a zero input, or two inputs in
        the same direction with opposite labels): gamma = 0 is returned.
        Also when the solver did not reach `tol`.

    Cost: each solver iteration is about two products of the (S/2, n)
    activation matrix with (n, d) matrices; the whole estimate solves the
    sample problem about twice (full and in batches).
    """
    result, _ = _estimate(
        X, y, n_samples=n_samples, seed=seed, tol=tol, n_batches=n_batches, bounds=bounds,
        max_iter=max_iter, n_threads=n_threads,
    )
    return result
