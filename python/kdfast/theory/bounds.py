"""The orders of the width bounds, soft against hard labels, and the margin where they cross."""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from ._checks import EXPONENTS, check_eps, check_kind, eps_factor, scalar_or_array


def expected_exponent(kind: str) -> float:
    """The exponent p of 1/gamma in the bound: 2 for soft labels, 4 for hard."""
    return EXPONENTS[check_kind(kind)]


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
    kind = check_kind(kind)
    g = check.positive_numbers(gamma, "gamma")
    e = check_eps(eps)
    c = check.positive_numbers(C, "C")
    if c.ndim != 0:
        raise check.InputValueError(f"C: expected a scalar, got shape {c.shape}")
    m = c * eps_factor(e, kind) / g ** EXPONENTS[kind]
    return scalar_or_array(m, gamma, eps)


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
    e = check_eps(eps)
    cs = check.positive_numbers(C_soft, "C_soft")
    ch = check.positive_numbers(C_hard, "C_hard")
    g = np.sqrt(ch / cs * e * np.log(1.0 / e))
    return scalar_or_array(g, eps, C_soft, C_hard)
