"""What the width theorems prescribe for a measured margin: the width, the steps and the radius."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _validation as check
from ._checks import step_size, unit_interval


# The hard-label theorem's default delta: it holds with probability 1 - 3 delta.
DELTA = 0.1


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


def hard_label_theorem(
    gamma,
    eps,
    n,
    delta=DELTA,
    lr=1.0,
    *,
    init="gaussian",
    lam_constant=4.0,
    width_constant=4096.0,
    steps_constant=2.0,
    radius_constant=4.0,
) -> TheoremParameters:
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
    e = unit_interval(eps, "eps")
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise check.InputValueError(f"n: expected a positive number of examples, got {n!r}")
    d = unit_interval(delta, "delta", 1.0 / 3.0)
    eta = step_size(lr)
    check.init(init)
    c_lam, c_width, c_steps, c_radius = (
        check.positive_number(v, name)
        for v, name in (
            (lam_constant, "lam_constant"),
            (width_constant, "width_constant"),
            (steps_constant, "steps_constant"),
            (radius_constant, "radius_constant"),
        )
    )
    initial = 0.0 if init == "symmetric" else math.sqrt(2.0 * math.log(4.0 * n / d))
    lam = (initial + math.log(4.0 / e)) * c_lam / g
    return TheoremParameters(
        kind="hard",
        lam=lam,
        width=c_width * lam**2 / g**6,
        steps=float(math.ceil(c_steps * lam**2 / (eta * e))),
        radius=c_radius * lam / g,
        lr=eta,
        source="Ji & Telgarsky (ICLR 2020), Theorem 2.2 (constants unchecked)",
    )


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
    e = unit_interval(eps, "eps")
    eta = check.positive_number(lr, "lr")
    c, c_radius, c_steps = (
        check.positive_number(v, name)
        for v, name in ((C, "C"), (radius_constant, "radius_constant"), (steps_constant, "steps_constant"))
    )
    radius = c_radius / g
    return TheoremParameters(
        kind="soft",
        lam=radius,
        width=c / (g**2 * e),
        steps=float(math.ceil(c_steps * radius**2 / (eta * e))),
        radius=radius,
        lr=eta,
        source="Mandal, Lin & Srikant (L4DC 2025), orders; radius and steps: kdfast's reading",
    )
