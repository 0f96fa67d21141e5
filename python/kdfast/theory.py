"""Neuron bounds of the soft- vs hard-label theory, and fitting them to data.

Mandal, Lin & Srikant (L4DC 2025), building on Ji & Telgarsky (ICLR 2020),
bound the width a two-layer ReLU network trained by projected gradient
descent needs to reach an average loss below eps, in terms of the NTK
separation margin gamma of the data (see :func:`kdfast.margin`):

    soft labels (teacher probabilities):  m_soft = O( 1 / (gamma^2 eps) )
    hard labels (logistic loss):           m_hard = O( ln(1/eps) / gamma^4 )

**Only the orders come from the theory; the constants are unknown.** The
functions here report the orders with a constant C (1 by default), compare
them, and fit exponent and constant to neurons-needed measurements so that
the predicted orders can be checked against experiment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["ScalingFit", "crossover", "expected_exponent", "fit_scaling", "neurons_bound"]

_KINDS = ("soft", "hard")
_EXPONENTS = {"soft": 2.0, "hard": 4.0}


def _check_kind(kind) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind: expected 'soft' or 'hard', got {kind!r}")
    return kind


def _real(value, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.dtype.kind == "b":
        raise TypeError(f"{name}: expected real numbers, got {type(value).__name__} of dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def _positive(value, name: str) -> np.ndarray:
    arr = _real(value, name)
    if (arr <= 0).any():
        raise ValueError(f"{name}: must be > 0, got {arr.min()}")
    return arr


def _eps(value, name: str = "eps") -> np.ndarray:
    arr = _real(value, name)
    if ((arr <= 0) | (arr >= 1)).any():
        bad = arr[(arr <= 0) | (arr >= 1)].flat[0]
        raise ValueError(f"{name}: must lie in the open interval (0, 1), got {bad}")
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
    g = _positive(gamma, "gamma")
    e = _eps(eps)
    c = _positive(C, "C")
    if c.ndim != 0:
        raise ValueError(f"C: expected a scalar, got shape {c.shape}")
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
    cs = _positive(C_soft, "C_soft")
    ch = _positive(C_hard, "C_hard")
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
        g = _positive(gamma, "gamma")
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
    g = _positive(gammas, "gammas")
    m = _positive(neurons, "neurons")
    if g.ndim != 1 or m.ndim != 1 or g.shape != m.shape:
        raise ValueError(f"gammas, neurons: expected two 1-D arrays of the same length, got shapes {g.shape} and {m.shape}")
    conf = float(_real(confidence, "confidence"))
    if not 0.0 < conf < 1.0:
        raise ValueError(f"confidence: must lie in (0, 1), got {conf}")
    n = g.size
    fixed = exponent is not None
    if n < (2 if fixed else 3):
        raise ValueError(
            f"gammas: need at least {2 if fixed else 3} measurements for a confidence interval, got {n}"
        )
    u = np.log(1.0 / g)
    v = np.log(m)
    if eps is not None:
        e = _eps(eps)
        if e.ndim not in (0, 1) or (e.ndim == 1 and e.shape != g.shape):
            raise ValueError(f"eps: expected a scalar or shape {g.shape}, got shape {e.shape}")
        v = v - np.log(_eps_factor(e, kind))
    alpha = 1.0 - conf

    if fixed:
        p = float(_real(exponent, "exponent"))
        dof = n - 1
        resid = v - p * u
        log_c = resid.mean()
        s = resid.std(ddof=1)
        half_c = stats.t.ppf(1 - alpha / 2, dof) * s / math.sqrt(n)
        exponent_ci = (p, p)
    else:
        u_mean = u.mean()
        sxx = float(((u - u_mean) ** 2).sum())
        if sxx <= 1e-24 * max(1.0, float((u**2).sum())):
            raise ValueError("gammas: all values are equal, so the exponent cannot be fitted")
        p = float(((u - u_mean) * (v - v.mean())).sum() / sxx)
        log_c = float(v.mean() - p * u_mean)
        dof = n - 2
        resid = v - (log_c + p * u)
        s = math.sqrt(float((resid**2).sum()) / dof)
        t = stats.t.ppf(1 - alpha / 2, dof)
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
