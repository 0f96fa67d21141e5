"""Students run in the theorems' regime: each one's radius and steps from the margin gamma and a target loss eps."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _validation as check
from ._checks import check_kind, unit_interval


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
        unit_interval(self.eps, "eps")
        for name in ("radius_constant", "steps_constant"):
            check.positive_number(getattr(self, name), name)
        if self.soft_radius_constant is not None:
            check.positive_number(self.soft_radius_constant, "soft_radius_constant")
        if self.gamma is not None:
            check.positive_number(self.gamma, "gamma")
        if self.max_steps is not None and (
            isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1
        ):
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
        if check_kind(kind) == "hard":
            return self.radius_constant * math.log(1.0 / self.eps) / g
        soft = self.radius_constant if self.soft_radius_constant is None else self.soft_radius_constant
        return soft / g

    def steps(self, kind: str, lr: float, gamma=None) -> int:
        """T = ceil(steps_constant R^2 / (lr eps)), capped at max_steps."""
        eta = check.positive_number(lr, "lr")
        T = math.ceil(self.steps_constant * self.radius(kind, gamma) ** 2 / (eta * self.eps))
        return max(1, T if self.max_steps is None else min(T, self.max_steps))
