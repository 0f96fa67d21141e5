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
import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

# scipy.special rather than scipy.stats: the same quantile functions, and
# `import kdfast` stays light (scipy.stats alone adds ~45 MB and most of the import time).
from scipy import special

from . import _validation as check
from ._simplex import KernelProblem, LinearProblem, SampleProblem, Solution, minimise
from ._threads import effective_n_threads
from .kernel import ntk_kernel

__all__ = ["Margin", "Transport", "estimate", "margin"]
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


def _blas_threads(n_threads):
    """Limit BLAS threads when threadpoolctl is installed; advisory otherwise.

    `n_threads` has the package's meaning (see :func:`kdfast._threads.effective_n_threads`);
    None leaves the BLAS pool as it is, which already uses every thread
    (or what OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set). The work here is
    NumPy's matrix products, whose threads only threadpoolctl can change at
    run time.
    """
    if check.thread_count(n_threads) is None:
        return nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=effective_n_threads(n_threads), user_api="blas")


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
    sol = minimise(LinearProblem(P), np.full(P.shape[0], 1.0 / P.shape[0]), tol, max_iter, atol=1e-12 * scale)
    return 0.5 * sol.lower if sol.lower > 0 else None


def _kernel_upper(X: np.ndarray, y: np.ndarray, tol: float, max_iter: int) -> float:
    """A certified upper bound on gamma_K (the dual value at a feasible q)."""
    Q = ntk_kernel(X)
    Q *= y[:, None]
    Q *= y[None, :]
    sol = minimise(KernelProblem(Q), np.full(X.shape[0], 1.0 / X.shape[0]), tol, max_iter)
    return sol.upper


@dataclass(frozen=True, eq=False)
class Transport:
    """The primal solution v(z) of a margin estimate, on the solver's own draws.

    f(x) = E_z[<v(z), x> 1[<z, x> > 0]], averaged over the draws z and -z,
    is the infinite-width function with margin about gamma on the training
    points (:class:`~kdfast.MarginTeacher` scales it).

    Attributes
    ----------
    Z : (S/2, d) the draws z (each also used as -z)
    V_plus, V_minus : (S/2, d) v(z) and v(-z), each of norm < 1
    """

    Z: np.ndarray
    V_plus: np.ndarray
    V_minus: np.ndarray


def _check_sampling(n_samples, n_batches) -> tuple[int, int]:
    n_samples = check.positive_int(n_samples, "n_samples", minimum=2)
    if n_samples % 2:
        raise check.InputValueError(f"n_samples: must be even (draws are used in pairs z, -z), got {n_samples}")
    n_batches = check.positive_int(n_batches, "n_batches", minimum=2)
    if n_samples < 4 * n_batches:
        raise check.InputValueError(f"n_samples: need at least 4 * n_batches = {4 * n_batches} draws, got {n_samples}")
    return n_samples, n_batches


def _lower_limit(P, X, Zh, q, tol: float, n_batches: int, max_iter: int) -> float:
    """The lower confidence limit: the certified lower values on independent batches of the draws.

    Only their certified lower values enter, so a looser tolerance just
    makes the limit a little more conservative, and saves time.
    """
    batch_lowers = np.array([
        minimise(SampleProblem(P, X, Zh[idx]), q, max(tol, _BATCH_TOL), max_iter).lower
        for idx in np.array_split(np.arange(Zh.shape[0]), n_batches)
    ])  # fmt: skip
    t = special.stdtrit(n_batches - 1, 0.5 + _CONFIDENCE / 2)
    return float(batch_lowers.mean() - t * batch_lowers.std(ddof=1) / math.sqrt(n_batches))


def _upper_limit(P, X, Zf, q) -> tuple[float, float]:
    """(F(q) on fresh draws, the upper confidence limit): F(q) >= gamma estimated without bias.

    More fresh draws than the fit used (evaluating F at one q is cheap),
    taken in blocks of the fit's size to bound memory.
    """
    values = np.concatenate([
        fresh.pair_values(fresh.embed(q))
        for fresh in (SampleProblem(P, X, block) for block in np.split(Zf, _FRESH_FACTOR))
    ])  # fmt: skip
    z = special.ndtri(0.5 + _CONFIDENCE / 2)
    fresh_gamma = float(values.mean())
    return fresh_gamma, fresh_gamma + z * values.std(ddof=1) / math.sqrt(values.size)


def _bounds(X, y, P, tol: float, max_iter: int) -> tuple[float | None, float]:
    """The certified (gamma_lin / 2 or None, gamma_K)."""
    return _linear_lower(P, tol, max_iter), _kernel_upper(X, y, tol, max_iter)


def _warn_unconverged(sol: Solution, tol: float) -> None:
    if not sol.converged:
        warnings.warn(
            f"margin: the solver stopped after {sol.n_iter} iterations with a relative duality gap of "
            f"{(sol.upper - sol.lower) / max(sol.upper, 1e-300):.2g} > tol = {tol:g}; increase max_iter or tol",
            UserWarning,
            stacklevel=4,
        )


def estimate(
    X, y, *, n_samples: int = 4096, seed: int = 0, tol: float = 1e-2, n_batches: int = 4, bounds: bool = True,
    max_iter: int = 2000, n_threads=None, inseparable: str = "warn",
) -> tuple[Margin, Transport | None]:  # fmt: skip
    """:func:`margin` and the primal solution v(z) it found (None when gamma = 0 for a structural reason).

    inseparable : "warn" (return gamma = 0 with a warning) or "raise" (a ValueError)
    """
    X = check.matrix(X, "X", np.float64, copy=True)
    n, d = X.shape
    y = check.labels(y, "y", n, both_classes=True).astype(np.float64)
    n_samples, n_batches = _check_sampling(n_samples, n_batches)
    seed = check.positive_int(seed, "seed", minimum=0)
    tol = check.real_number(tol, "tol", minimum=0, maximum=1, exclusive=True)
    max_iter = check.positive_int(max_iter, "max_iter")
    bounds = check.flag(bounds, "bounds")

    with _blas_threads(n_threads):
        degenerate = _inseparable(X, y)
        if degenerate is not None:
            message, q = degenerate
            if inseparable == "raise":
                raise check.InputValueError(message)
            warnings.warn(message, UserWarning, stacklevel=3)
            q.flags.writeable = False
            return Margin(0.0, (0.0, 0.0), q, n_samples, None, 0.0 if bounds else None, 0.0, 0, True), None

        P = y[:, None] * X
        fit_seq, fresh_seq = np.random.SeedSequence(seed).spawn(2)
        half = n_samples // 2
        Zh = np.random.default_rng(fit_seq).standard_normal((half, d))
        Zf = np.random.default_rng(fresh_seq).standard_normal((_FRESH_FACTOR * half, d))

        problem = SampleProblem(P, X, Zh)
        sol = minimise(problem, np.full(n, 1.0 / n), tol, max_iter)
        ci_low = _lower_limit(P, X, Zh, sol.q, tol, n_batches, max_iter)
        fresh_gamma, ci_high = _upper_limit(P, X, Zf, sol.q)
        lower, upper = _bounds(X, y, P, tol, max_iter) if bounds else (None, None)
        ci_low = max(ci_low, lower if lower is not None else 0.0)
        ci_high = min(ci_high, upper if upper is not None else np.inf)
        _warn_unconverged(sol, tol)
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
        return result, Transport(Zh, Dp.astype(np.float64), Dm.astype(np.float64))


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

    ::

        gamma = max_{|v(z)| <= 1} min_i y_i E_z[<v(z), x_i> 1[<z, x_i> > 0]]
              = min_{q in simplex} E_z |sum_i q_i y_i x_i 1[<z, x_i> > 0]|

    See the module documentation for the method, the confidence interval
    and the certified bounds gamma_lin / 2 <= gamma <= gamma_K.

    Parameters
    ----------
    X : array (n, d)
        Inputs (the theory assumes ``|x| <= 1``; gamma scales with ``|x|``).
    y : array (n,)
        Labels in {-1, +1} (or {0, 1}, meaning -1 and +1), both present.
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
        Threads for NumPy's BLAS, with scikit-learn's meaning as everywhere
        in kdfast (None: all, which leaves BLAS as it is and so honours
        OMP_NUM_THREADS / OPENBLAS_NUM_THREADS; -k: all but k - 1). Applied
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
    result, _ = estimate(
        X, y, n_samples=n_samples, seed=seed, tol=tol, n_batches=n_batches, bounds=bounds,
        max_iter=max_iter, n_threads=n_threads,
    )  # fmt: skip
    return result
