"""What the theory's modules share: checks of a label kind, a target loss eps and a step size; the eps factor."""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from .._metrics import MODES

# The exponent p of 1/gamma in each bound.
EXPONENTS = dict(zip(MODES, (2.0, 4.0)))


def check_kind(kind) -> str:
    return check.choice(kind, "kind", MODES)


def check_eps(value, name: str = "eps") -> np.ndarray:
    arr = check.finite_numbers(value, name)
    if ((arr <= 0) | (arr >= 1)).any():
        bad = arr[(arr <= 0) | (arr >= 1)].flat[0]
        raise check.InputValueError(f"{name}: must lie in the open interval (0, 1), got {bad}")
    return arr


def eps_factor(eps: np.ndarray, kind: str) -> np.ndarray:
    """The eps-dependence of the bound: 1/eps (soft) or ln(1/eps) (hard)."""
    return 1.0 / eps if kind == "soft" else np.log(1.0 / eps)


def scalar_or_array(arr: np.ndarray, *inputs):
    return float(arr) if all(np.ndim(x) == 0 for x in inputs) else arr


def step_size(value) -> float:
    """The step size eta of the theorems' analysis, which needs eta <= 1."""
    eta = check.positive_number(value, "lr")
    if eta > 1.0:
        raise check.InputValueError(f"lr: the theorem needs a step size eta <= 1, got {eta}")
    return eta


def unit_interval(value, name: str, high: float = 1.0) -> float:
    return check.real_number(value, name, minimum=0, maximum=high, exclusive=True)
