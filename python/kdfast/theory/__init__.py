"""Neuron bounds of the soft- vs hard-label theory, and fitting them to data.

Mandal, Lin & Srikant (L4DC 2025), building on Ji & Telgarsky (ICLR 2020),
bound the width a two-layer ReLU network trained by projected gradient
descent needs to reach an average loss below eps, in terms of the NTK
separation margin gamma of the data (see :func:`kdfast.margin`):

    soft labels (teacher probabilities):  m_soft = O( 1 / (gamma^2 eps) )
    hard labels (logistic loss):           m_hard = O( ln(1/eps) / gamma^4 )

**Only the orders come from the theory; the constants are unknown** (the
orders are those of the seed paper's abstract, PMLR 283:1078-1089). The
functions here report the orders with a constant C (1 by default), compare
them, and fit exponent and constant to neurons-needed measurements so that
the predicted orders can be checked against experiment.

The theorems' own parameters: :func:`hard_label_theorem` gives what Ji &
Telgarsky's Theorem 2.2 prescribes for a measured gamma (its lambda, the
width it requires, the steps and the distance from initialisation, as
kdfast's `radius`), :func:`soft_label_theorem` the soft-label counterpart
in the orders the seed paper states, and :class:`Protocol` runs students
with the theorems' dependence of radius and steps on gamma and eps, with
chosen constants (``kdfast.compare(..., protocol=...)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# scipy.special rather than scipy.stats: the same quantile functions, and
# `import kdfast` stays light (scipy.stats alone adds ~45 MB and most of the import time).
from scipy import special

from .. import _validation as check
from .._metrics import MODES

__all__ = [
    "Protocol", "ScalingFit", "TheoremParameters", "crossover", "expected_exponent", "fit_scaling",
    "hard_label_theorem", "neurons_bound", "soft_label_theorem",
]  # fmt: skip

# The exponent p of 1/gamma in each bound.
_EXPONENTS = dict(zip(MODES, (2.0, 4.0)))


def _check_kind(kind) -> str:
    return check.choice(kind, "kind", MODES)


def _eps(value, name: str = "eps") -> np.ndarray:
    arr = check.finite_numbers(value, name)
    if ((arr <= 0) | (arr >= 1)).any():
        bad = arr[(arr <= 0) | (arr >= 1)].flat[0]
        raise check.InputValueError(f"{name}: must lie in the open interval (0, 1), got {bad}")
    return arr


def _eps_factor(eps: np.ndarray, kind: str) -> np.ndarray:
    """The eps-dependence of the bound: 1/eps (soft) or ln(1/eps) (hard)."""
    return 1.0 / eps if kind == "soft" else np.log(1.0 / eps)


def _scalar_or_array(arr: np.ndarray, *inputs):
    return float(arr) if all(np.ndim(x) == 0 for x in inputs) else arr


def expected_exponent(kind: str) -> float:
    """The exponent p of 1/gamma in the bound: 2 for soft labels, 4 for hard."""
    return _EXPONENTS[_check_kind(kind)]


def neurons_bound(gamma, eps, kind: str = "soft", C: float = 1.0):
    """The theory's width bound, up to its unknown constant C.

        soft:  m = C / (gamma^2 eps)
        hard:  m = C ln(1/eps) / gamma^4

    Parameters
    ----------
    gamma : float or array, > 0
        NTK separation margin of the data.
    eps : float or array in (0, 1)
        Target average loss.
    kind : "soft" or "hard"
    C : float > 0
        The constant. It is **not known**; C = 1 gives the order only, so
        compare shapes (how m scales with gamma and eps), not values.

    Returns
    -------
    float, or an array broadcast from `gamma` and `eps`.
    """
    kind = _check_kind(kind)
    g = check.positive_numbers(gamma, "gamma")
    e = _eps(eps)
    c = check.positive_numbers(C, "C")
    if c.ndim != 0:
        raise check.InputValueError(f"C: expected a scalar, got shape {c.shape}")
    m = c * _eps_factor(e, kind) / g ** _EXPONENTS[kind]
    return _scalar_or_array(m, gamma, eps)


def crossover(eps, C_soft: float = 1.0, C_hard: float = 1.0):
    """The margin below which the soft-label bound is the smaller one.

    C_soft / (gamma^2 eps) < C_hard ln(1/eps) / gamma^4
        <=>  gamma^2 < (C_hard / C_soft) eps ln(1/eps)
        <=>  gamma < gamma* = sqrt((C_hard / C_soft) eps ln(1/eps)).

    With the default C = 1 (orders only; the true constants are unknown)
    gamma* = sqrt(eps ln(1/eps)): e.g. 0.21 at eps = 0.01, 0.030 at
    eps = 1e-4. Since eps ln(1/eps) <= 1/e, gamma* <= 0.61 for any eps:
    for the small margins of hard data soft labels always win.
    """
    e = _eps(eps)
    cs = check.positive_numbers(C_soft, "C_soft")
    ch = check.positive_numbers(C_hard, "C_hard")
    g = np.sqrt(ch / cs * e * np.log(1.0 / e))
    return _scalar_or_array(g, eps, C_soft, C_hard)


# ------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class ScalingFit:
    """Power law m = C * f(eps) * gamma^(-exponent) fitted in log-log space.

    f(eps) = 1/eps for soft labels and ln(1/eps) for hard labels when
    `eps` was given to :func:`fit_scaling` (then `constant` estimates the
    theory's unknown C), else f = 1 (and `constant` absorbs the eps factor).

    Attributes
    ----------
    kind : "soft" or "hard"
    exponent : fitted p (the theory predicts `expected_exponent`)
    exponent_ci : (low, high) confidence interval of p (t-distribution on
        the OLS slope); (p, p) when the exponent was fixed
    constant, constant_ci : C and its confidence interval (exp of the
        interval of the OLS intercept ln C)
    expected_exponent : 2 (soft) or 4 (hard)
    confidence : level of the intervals
    n_points, dof : measurements used and residual degrees of freedom
    residual_std : standard deviation of the residuals of ln m
    """

    kind: str
    exponent: float
    exponent_ci: tuple
    constant: float
    constant_ci: tuple
    expected_exponent: float
    confidence: float
    n_points: int
    dof: int
    residual_std: float
    fixed_exponent: bool = False

    def predict(self, gamma, eps=None):
        """Neurons predicted by the fit: constant * f(eps) * gamma^(-exponent)."""
        g = check.positive_numbers(gamma, "gamma")
        factor = 1.0 if eps is None else _eps_factor(_eps(eps), self.kind)
        m = self.constant * factor / g**self.exponent
        return _scalar_or_array(np.asarray(m, dtype=np.float64), gamma, *(() if eps is None else (eps,)))


def fit_scaling(gammas, neurons, kind: str = "soft", *, eps=None, exponent=None, confidence: float = 0.95):
    """Fit m = C f(eps) gamma^(-p) to measured neurons-needed data.

    Ordinary least squares of ln(m / f(eps)) on ln(1/gamma): the slope is
    the exponent p (theory: 2 for soft labels, 4 for hard labels) and the
    intercept is ln C. Confidence intervals use Student's t with n - 2
    degrees of freedom on the slope and the intercept (n - 1 when the
    exponent is fixed), which assumes independent, homoscedastic errors in
    ln m: a rough but standard description of width sweeps, where m is
    resolved on a grid such as powers of two.

    **The constants in the theory are unknown**: only the orders (the
    exponent of 1/gamma and the eps factor) are predictions; C is whatever
    the data says.

    Parameters
    ----------
    gammas : array (n,), > 0
        Margins of the data sets.
    neurons : array (n,), > 0
        Neurons needed (e.g. the smallest width reaching the target loss).
    kind : "soft" or "hard"
    eps : float or array (n,) in (0, 1), optional
        Target loss of each measurement; divides out 1/eps (soft) or
        ln(1/eps) (hard) so that `constant` is the theory's C.
    exponent : float, optional
        Fix p (e.g. at the theory's value) and fit only C.
    confidence : float in (0, 1)

    Returns
    -------
    ScalingFit
    """
    kind = _check_kind(kind)
    g = check.positive_numbers(gammas, "gammas")
    m = check.positive_numbers(neurons, "neurons")
    if g.ndim != 1 or m.ndim != 1 or g.shape != m.shape:
        raise check.InputValueError(
            f"gammas, neurons: expected two 1-D arrays of the same length, got shapes {g.shape} and {m.shape}"
        )
    conf = float(check.finite_numbers(confidence, "confidence"))
    if not 0.0 < conf < 1.0:
        raise check.InputValueError(f"confidence: must lie in (0, 1), got {conf}")
    n = g.size
    fixed = exponent is not None
    if n < (2 if fixed else 3):
        raise check.InputValueError(
            f"gammas: need at least {2 if fixed else 3} measurements for a confidence interval, got {n}"
        )
    u = np.log(1.0 / g)
    v = np.log(m)
    if eps is not None:
        e = _eps(eps)
        if e.ndim not in (0, 1) or (e.ndim == 1 and e.shape != g.shape):
            raise check.InputValueError(f"eps: expected a scalar or shape {g.shape}, got shape {e.shape}")
        v = v - np.log(_eps_factor(e, kind))
    alpha = 1.0 - conf

    if fixed:
        p = float(check.finite_numbers(exponent, "exponent"))
        dof = n - 1
        resid = v - p * u
        log_c = resid.mean()
        s = resid.std(ddof=1)
        half_c = special.stdtrit(dof, 1 - alpha / 2) * s / math.sqrt(n)
        exponent_ci = (p, p)
    else:
        u_mean = u.mean()
        sxx = float(((u - u_mean) ** 2).sum())
        if sxx <= 1e-24 * max(1.0, float((u**2).sum())):
            raise check.InputValueError("gammas: all values are equal, so the exponent cannot be fitted")
        p = float(((u - u_mean) * (v - v.mean())).sum() / sxx)
        log_c = float(v.mean() - p * u_mean)
        dof = n - 2
        resid = v - (log_c + p * u)
        s = math.sqrt(float((resid**2).sum()) / dof)
        t = special.stdtrit(dof, 1 - alpha / 2)
        half_p = t * s / math.sqrt(sxx)
        half_c = t * s * math.sqrt(1.0 / n + u_mean**2 / sxx)
        exponent_ci = (p - half_p, p + half_p)
    return ScalingFit(
        kind=kind,
        exponent=p,
        exponent_ci=(float(exponent_ci[0]), float(exponent_ci[1])),
        constant=math.exp(log_c),
        constant_ci=(math.exp(log_c - half_c), math.exp(log_c + half_c)),
        expected_exponent=_EXPONENTS[kind],
        confidence=conf,
        n_points=n,
        dof=dof,
        residual_std=float(s),
        fixed_exponent=fixed,
    )


# ------------------------------------------------------- the theorems' parameters


@dataclass(frozen=True)
class TheoremParameters:
    """What a width theorem prescribes for one data set: see :func:`hard_label_theorem`.

    Attributes
    ----------
    kind : "soft" or "hard"
    lam : the distance ||W_ref - W0||_F of the theorem's reference network
        (Ji & Telgarsky's lambda)
    width : the width from which on the theorem holds (a float: it can
        exceed any integer type)
    steps : gradient steps T (an integer, as a float for the same reason)
    radius : kdfast's `radius` under neuron projection: every neuron stays
        within radius / sqrt(m) of its start
    lr : the step size eta the steps were computed for
    source : where the formulas come from
    """

    kind: str
    lam: float
    width: float
    steps: float
    radius: float
    lr: float
    source: str


def _unit_interval(value, name: str, high: float = 1.0) -> float:
    return check.real_number(value, name, minimum=0, maximum=high, exclusive=True)


def hard_label_theorem(
    gamma, eps, n, delta=0.1, lr=1.0, *, init="gaussian",
    lam_constant=4.0, width_constant=4096.0, steps_constant=2.0, radius_constant=4.0,
) -> TheoremParameters:  # fmt: skip
    """Ji & Telgarsky's hard-label theorem for a measured margin gamma.

    Ji & Telgarsky, "Polylogarithmic width suffices for gradient descent to
    achieve arbitrarily small test error with shallow ReLU networks", ICLR
    2020 (arXiv:1909.12292), Theorem 2.2 (see **Constants** below: its
    numbers are unchecked), for exactly kdfast's student
    f(x) = (1/sqrt(m)) sum_s a_s relu(<w_s, x>), ``|x| <= 1``, w_s(0) ~ N(0, I),
    a_s uniform on {-1, +1}, first layer trained by full-batch gradient
    descent on the logistic loss with step eta <= 1. Under the margin
    assumption with margin gamma, for eps in (0, 1) and delta in (0, 1/3),
    with probability at least 1 - 3 delta over the initialisation::

        lambda = (sqrt(2 ln(4n/delta)) + ln(4/eps)) / (gamma / 4)
        width  m >= M = 4096 lambda^2 / gamma^6
        steps  T = ceil(2 lambda^2 / (eta eps))   gives   (1/T) sum_{t<T} R(W_t) <= eps
        drift  ||w_s(t) - w_s(0)|| <= 4 lambda / (gamma sqrt(m))   for all t < T, s

    so the theorem's iterates never leave kdfast's neuron ball of radius
    4 lambda / gamma (projecting there changes nothing), and T uses the
    theorem's own lambda. lambda is the Frobenius distance of the
    reference network W0 + lambda v(w_s) / sqrt(m) from the start:
    sqrt(2 ln(4n/delta)) bounds the initial outputs ``|f(x_i; W0)|``, ln(4/eps)
    is the logit the reference adds, and 4 / gamma the distance per unit of
    logit.

    **Constants: not checked against the text.** The statement above was
    written from memory of the paper; the text of Theorem 2.2 (and of the
    margin assumption, Assumption 2.1) could not be retrieved to check it.
    What was checked is the paper's abstract and introduction (arXiv
    1909.12292v4): a width polylogarithmic in n, 1/delta and 1/eps, of order
    ln(n/delta) + ln(1/eps)^2 times a power of 1/gamma, and Theta~(1/eps)
    steps, which the formulas match in order (lambda^2 ~ ln(n/delta) +
    ln(1/eps)^2 over gamma^2, so M ~ that over gamma^8, and T ~ lambda^2 /
    eps). Every number in them is unchecked: the 4 in gamma / 4, the 4096,
    the 2 of T, the 4 of the drift, the 4n/delta and 4/eps inside the
    logarithms, and delta < 1/3 with probability 1 - 3 delta. The four that
    scale a result are parameters (lam_constant is the 4 in gamma / 4,
    width_constant the 4096, steps_constant the 2 and radius_constant the
    4 of the drift), so that a reader with the text at hand can set them.
    Note that the width this theorem asks for grows as 1/gamma^8 at fixed
    eps, n and delta; the 1/gamma^4 of :func:`neurons_bound` is the seed
    paper's adaptation of it, not this theorem.

    **init="symmetric"** (not in the paper): the symmetric start has
    f(x; W0) = 0, so the sqrt(2 ln(4n/delta)) term, which only bounds the
    initial outputs, is dropped from lambda. This is kdfast's reading of
    the proof, not a statement of the paper.

    Parameters
    ----------
    gamma : float > 0, the NTK margin (e.g. ``kdfast.margin(X, y).gamma``)
    eps : float in (0, 1), the target average training loss
    n : int >= 1, the number of training examples
    delta : float in (0, 1/3), the failure probability is 3 delta
    lr : float in (0, 1], the step size eta
    init : "gaussian" or "symmetric"

    Returns
    -------
    TheoremParameters
    """
    g = check.positive_number(gamma, "gamma")
    e = _unit_interval(eps, "eps")
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise check.InputValueError(f"n: expected a positive number of examples, got {n!r}")
    d = _unit_interval(delta, "delta", 1.0 / 3.0)
    eta = check.positive_number(lr, "lr")
    if eta > 1.0:
        raise check.InputValueError(f"lr: the theorem needs a step size eta <= 1, got {eta}")
    check.init(init)
    c_lam, c_width, c_steps, c_radius = (
        check.positive_number(v, name) for v, name in ((lam_constant, "lam_constant"), (width_constant, "width_constant"),
                                                  (steps_constant, "steps_constant"), (radius_constant, "radius_constant"))
    )  # fmt: skip
    initial = 0.0 if init == "symmetric" else math.sqrt(2.0 * math.log(4.0 * n / d))
    lam = (initial + math.log(4.0 / e)) * c_lam / g
    return TheoremParameters(
        kind="hard", lam=lam, width=c_width * lam**2 / g**6, steps=float(math.ceil(c_steps * lam**2 / (eta * e))),
        radius=c_radius * lam / g, lr=eta, source="Ji & Telgarsky (ICLR 2020), Theorem 2.2 (constants unchecked)",
    )  # fmt: skip


def soft_label_theorem(gamma, eps, lr=1.0, *, C=1.0, radius_constant=1.0, steps_constant=1.0) -> TheoremParameters:
    """The soft-label counterpart, in the orders Mandal, Lin & Srikant state.

    Mandal, Lin & Srikant, "A Theoretical Analysis of Soft-Label vs
    Hard-Label Training in Neural Networks", L4DC 2025, PMLR 283:1078-1089
    (arXiv:2412.09579v1): soft-label training by gradient descent needs
    O(1 / (gamma^2 eps)) neurons for a loss averaged over the steps below
    eps, hard-label training O(ln(1/eps) / gamma^4), "derived from an
    adapted version of" Ji & Telgarsky's analysis (both from the abstract,
    the only part of the paper checked here). The theorems' own statements,
    their numbering and their constants could not be retrieved, so each
    constant is a parameter (1 by default) and only the orders are the
    paper's:

        width  m = C / (gamma^2 eps)                         (the paper's order)
        radius R = radius_constant / gamma                   (kdfast's reading)
        steps  T = ceil(steps_constant R^2 / (eta eps))      (kdfast's reading)

    The radius and steps are kdfast's counterpart of the hard-label
    theorem's, not statements of the paper: a teacher's logits are bounded,
    so the reference network needs a distance of order 1 / gamma (no
    ln(1/eps) factor, which the hard labels need to drive their logits to
    infinity), and T has the same R^2 / (eta eps) form as the hard-label
    analysis. `lam` is R here.
    """
    g = check.positive_number(gamma, "gamma")
    e = _unit_interval(eps, "eps")
    eta = check.positive_number(lr, "lr")
    c, c_radius, c_steps = (check.positive_number(v, name) for v, name in
                            ((C, "C"), (radius_constant, "radius_constant"), (steps_constant, "steps_constant")))  # fmt: skip
    radius = c_radius / g
    return TheoremParameters(
        kind="soft", lam=radius, width=c / (g**2 * e), steps=float(math.ceil(c_steps * radius**2 / (eta * e))),
        radius=radius, lr=eta, source="Mandal, Lin & Srikant (L4DC 2025), orders; radius and steps: kdfast's reading",
    )  # fmt: skip


@dataclass(frozen=True)
class Protocol:
    """Radius and steps of each student from gamma and eps, with the theorems' dependence.

    For a data set of margin gamma, target loss eps and step size eta:

        hard labels:  R = radius_constant * ln(1/eps) / gamma
        soft labels:  R = soft_radius_constant / gamma
        both:         T = ceil(steps_constant * R^2 / (eta * eps)), at most max_steps

    R is kdfast's `radius` (neuron projection: each neuron within R/sqrt(m)
    of its start; network projection: ||W - W0||_F <= R). The hard-label R
    is the order of Ji & Telgarsky's lambda, the distance of the reference
    network the analysis compares with, which lies inside either ball, and
    T = 2 lambda^2 / (eta eps) is their step count (see
    :func:`hard_label_theorem`; the theorem's own constants are
    radius_constant ~ 4 ln(4/eps)/ln(1/eps) plus an initialisation term,
    steps_constant = 2); the soft-label R is the counterpart of
    :func:`soft_label_theorem`. Small constants give "the theorem's regime
    with smaller constants": the same dependence on gamma and eps, at
    budgets that run.

    Parameters
    ----------
    eps : float in (0, 1)
        The target average loss the radii and steps are set for.
    radius_constant, soft_radius_constant, steps_constant : float > 0
        soft_radius_constant defaults to radius_constant.
    gamma : float > 0 or None
        The margin; None: measured by :func:`kdfast.margin` on the data set's
        clean training labels (a sweep with ``gamma=True`` passes its own).
    max_steps : int or None
        A cap on T, so that a small gamma cannot ask for days of training.
    """

    eps: float
    radius_constant: float = 1.0
    soft_radius_constant: float | None = None
    steps_constant: float = 1.0
    gamma: float | None = None
    max_steps: int | None = None

    def __post_init__(self):
        _unit_interval(self.eps, "eps")
        for name in ("radius_constant", "steps_constant"):
            check.positive_number(getattr(self, name), name)
        if self.soft_radius_constant is not None:
            check.positive_number(self.soft_radius_constant, "soft_radius_constant")
        if self.gamma is not None:
            check.positive_number(self.gamma, "gamma")
        if self.max_steps is not None and (isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int)
                                           or self.max_steps < 1):  # fmt: skip
            raise check.InputValueError(f"max_steps: expected None or an integer >= 1, got {self.max_steps!r}")

    def _gamma(self, gamma) -> float:
        if gamma is None:
            gamma = self.gamma
        if gamma is None:
            raise check.InputValueError("gamma: the protocol has no margin; give one or let compare measure it")
        return check.positive_number(gamma, "gamma")

    def radius(self, kind: str, gamma=None) -> float:
        """R for soft or hard labels at margin gamma (default: the protocol's own)."""
        g = self._gamma(gamma)
        if _check_kind(kind) == "hard":
            return self.radius_constant * math.log(1.0 / self.eps) / g
        soft = self.radius_constant if self.soft_radius_constant is None else self.soft_radius_constant
        return soft / g

    def steps(self, kind: str, lr: float, gamma=None) -> int:
        """T = ceil(steps_constant R^2 / (lr eps)), capped at max_steps."""
        eta = check.positive_number(lr, "lr")
        T = math.ceil(self.steps_constant * self.radius(kind, gamma) ** 2 / (eta * self.eps))
        return max(1, T if self.max_steps is None else min(T, self.max_steps))
