"""Students run in the theorems' regime: each one's radius and steps from the margin gamma and a target loss eps."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .. import _validation as check
from ._checks import check_kind, step_size, unit_interval
from .parameters import DELTA, TheoremParameters, hard_label_theorem, soft_label_theorem

RULES = ("orders", "theorems")
# The fields one rule does not read.
UNUSED = {"orders": ("delta",), "theorems": ("radius_constant", "soft_radius_constant", "steps_constant")}
# The cap on the steps of Protocol.theorems unless another is given: the
# hard-label theorem asks for 2 lambda^2 / (eta eps) steps, about 2e7 at
# gamma = eps = 0.05 and n = 200.
THEOREM_MAX_STEPS = 100_000


@dataclass(frozen=True)
class Protocol:
    """Radius and steps of each student from gamma and eps: the theorems' dependence, or their own formulas.

    For a data set of margin gamma, target loss eps and step size eta, the
    rule "orders" (the default) sets

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

    The rule "theorems" (the preset :meth:`theorems`) sets R and T to what
    :func:`hard_label_theorem` and :func:`soft_label_theorem` compute, with
    their constants::

        hard labels:  lambda = 4 (sqrt(2 ln(4n/delta)) + ln(4/eps)) / gamma,
                      R = 4 lambda / gamma,  T = ceil(2 lambda^2 / (eta eps))
        soft labels:  R = 1 / gamma,         T = ceil(R^2 / (eta eps))

    both at most max_steps, which it requires. The hard-label R is the
    theorem's bound on the drift, so the theorem's iterates never reach the
    projection; the sqrt term is dropped for students that start
    symmetric (init="symmetric", f = 0 at the start). n is the number of
    training examples (compare passes the data's), and the step size must
    be at most 1, as the analysis needs.

    Parameters
    ----------
    eps : float in (0, 1)
        The target average loss the radii and steps are set for.
    radius_constant, soft_radius_constant, steps_constant : float > 0
        The rule "orders"' constants; soft_radius_constant defaults to
        radius_constant. The rule "theorems" takes the theorems' own and
        refuses others.
    gamma : float > 0 or None
        The margin; None: measured by :func:`kdfast.margin` on the data set's
        clean training labels (a sweep with ``gamma=True`` passes its own).
    max_steps : int or None
        A cap on T, so that a small gamma cannot ask for days of training;
        required by the rule "theorems".
    rule : "orders" or "theorems"
    delta : float in (0, 1/3)
        The rule "theorems"' failure probability 3 delta (the hard-label
        theorem holds with probability 1 - 3 delta over the start).
    """

    eps: float
    radius_constant: float = 1.0
    soft_radius_constant: float | None = None
    steps_constant: float = 1.0
    gamma: float | None = None
    max_steps: int | None = None
    rule: str = "orders"
    delta: float = DELTA

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
        unit_interval(self.delta, "delta", 1.0 / 3.0)
        # A value set for the other rule would be ignored without a word, so it is refused.
        unused = UNUSED[check.choice(self.rule, "rule", RULES)]
        for field in dataclasses.fields(self):
            if field.name in unused and getattr(self, field.name) != field.default:
                raise check.InputValueError(
                    f"{field.name}: not used by rule={self.rule!r}; leave it at its default ({field.default})"
                )
        if self.rule == "theorems" and self.max_steps is None:
            raise check.InputValueError(
                "max_steps: rule='theorems' needs a cap on the steps (the hard-label theorem asks for millions "
                f"at small gamma), e.g. max_steps={THEOREM_MAX_STEPS}"
            )

    @classmethod
    def theorems(cls, eps, *, max_steps=THEOREM_MAX_STEPS, delta=DELTA, gamma=None) -> Protocol:
        """The preset whose radius and steps are the theorems' own (rule "theorems"), capped at `max_steps`.

        ``kdfast.compare(data, lr=1.0, protocol=Protocol.theorems(0.05))``
        trains each student for the steps and within the radius the theorems
        prescribe at the data's margin (measured, unless `gamma` is given),
        at most `max_steps` (default 100,000) steps. compare's `lr` must
        then be at most 1.
        """
        return cls(eps=eps, max_steps=max_steps, rule="theorems", delta=delta, gamma=gamma)

    def check_lr(self, lr) -> float:
        """The step size `lr` as this protocol takes it: > 0, and at most 1 under the rule "theorems"."""
        return step_size(lr) if self.rule == "theorems" else check.positive_number(lr, "lr")

    def _gamma(self, gamma) -> float:
        if gamma is None:
            gamma = self.gamma
        if gamma is None:
            raise check.InputValueError("gamma: the protocol has no margin; give one or let compare measure it")
        return check.positive_number(gamma, "gamma")

    def _theorem(self, kind: str, gamma: float, lr: float, n, init: str) -> TheoremParameters:
        if kind == "soft":
            return soft_label_theorem(gamma, self.eps, lr)
        if n is None:
            raise check.InputValueError("n: rule='theorems' needs the number of training examples for hard labels")
        return hard_label_theorem(gamma, self.eps, n, self.delta, lr, init=init)

    def radius(self, kind: str, gamma=None, *, n=None, init: str = "gaussian") -> float:
        """R for soft or hard labels at margin gamma (default: the protocol's own).

        n, init : the number of training examples and the students' start;
            only the hard-label R of the rule "theorems" depends on them.
        """
        g = self._gamma(gamma)
        if self.rule == "theorems":  # (the theorems' radii do not depend on the step size)
            return self._theorem(check_kind(kind), g, 1.0, n, init).radius
        if check_kind(kind) == "hard":
            return self.radius_constant * math.log(1.0 / self.eps) / g
        soft = self.radius_constant if self.soft_radius_constant is None else self.soft_radius_constant
        return soft / g

    def steps(self, kind: str, lr: float, gamma=None, *, n=None, init: str = "gaussian") -> int:
        """T for soft or hard labels at step size lr and margin gamma, capped at max_steps (n, init: see radius)."""
        eta = self.check_lr(lr)
        if self.rule == "theorems":
            T = self._theorem(check_kind(kind), self._gamma(gamma), eta, n, init).steps
        else:
            T = math.ceil(self.steps_constant * self.radius(kind, gamma) ** 2 / (eta * self.eps))
        return max(1, int(T if self.max_steps is None else min(T, self.max_steps)))
