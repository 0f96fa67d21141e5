"""Fitting the bounds' power law to measured neurons-needed data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# scipy.special rather than scipy.stats: the same quantile functions, and
# `import kdfast` stays light (scipy.stats alone adds ~45 MB and most of the import time).
from scipy import special

from .. import _validation as check
from ._checks import EXPONENTS, check_eps, check_kind, eps_factor, scalar_or_array


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
        factor = 1.0 if eps is None else eps_factor(check_eps(eps), self.kind)
        m = self.constant * factor / g**self.exponent
        return scalar_or_array(np.asarray(m, dtype=np.float64), gamma, *(() if eps is None else (eps,)))


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
    kind = check_kind(kind)
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
        e = check_eps(eps)
        if e.ndim not in (0, 1) or (e.ndim == 1 and e.shape != g.shape):
            raise check.InputValueError(f"eps: expected a scalar or shape {g.shape}, got shape {e.shape}")
        v = v - np.log(eps_factor(e, kind))
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
        expected_exponent=EXPONENTS[kind],
        confidence=conf,
        n_points=n,
        dof=dof,
        residual_std=float(s),
        fixed_exponent=fixed,
    )
