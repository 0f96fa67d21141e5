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

from .bounds import crossover, expected_exponent, neurons_bound
from .fitting import ScalingFit, fit_scaling
from .parameters import TheoremParameters, hard_label_theorem, soft_label_theorem
from .protocol import Protocol

__all__ = [
    "Protocol",
    "ScalingFit",
    "TheoremParameters",
    "crossover",
    "expected_exponent",
    "fit_scaling",
    "hard_label_theorem",
    "neurons_bound",
    "soft_label_theorem",
]
