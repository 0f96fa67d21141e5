"""kdfast: soft-label vs hard-label training of two-layer ReLU students, batched.

A compiled engine trains thousands of two-layer ReLU networks of many widths,
seeds and targets in one call, so that the neurons needed by soft-label
(teacher) and hard-label training can be measured side by side.

- engine: StudentBank, History
- theory of the limiting kernel: ntk_kernel, margin (Margin), theory
- teachers: KernelTeacher, MarginTeacher, NetworkTeacher, ArrayTeacher,
  SklearnTeacher (any scikit-learn classifier; kdfast.deep.ConvTeacher for images)
- experiments: datasets, compare (Comparison: several teachers and
  temperatures per call, replicates over the data, early stopping),
  sweep (Sweep, its regime map), scaling (Scaling), load
"""

import os

# The engine's threads wait at its barriers. Sleeping there (the OpenMP
# policy PASSIVE) costs a few percent on an idle machine, while spinning,
# when other work shares the cores (a Dask worker, a notebook, a test run),
# made steps 1.5x (and up to 15x) slower. The OpenMP runtime reads
# OMP_WAIT_POLICY once, when it starts (GCC's when it is loaded, LLVM's at
# its first call), so kdfast sets PASSIVE only while it loads and starts its
# engine (unless the user set a policy) and then restores the environment:
# other libraries and child processes see the user's setting.
# If the same OpenMP runtime was loaded before kdfast (by another library
# imported first), it keeps the policy it started with.
_policy_set = "OMP_WAIT_POLICY" not in os.environ
if _policy_set:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
try:
    from . import _core

    _core.max_threads()
finally:
    if _policy_set:
        del os.environ["OMP_WAIT_POLICY"]
del _policy_set

from . import datasets, theory  # noqa: E402
from ._bank import StudentBank  # noqa: E402
from ._history import History  # noqa: E402
from ._validation import InputError  # noqa: E402
from ._version import __version__  # noqa: E402
from .comparison import Comparison  # noqa: E402
from .experiments import compare  # noqa: E402
from .kernel import ntk_kernel  # noqa: E402
from ._margin import Margin, margin  # noqa: E402
from .results import load  # noqa: E402
from ._scaling import Scaling, scaling  # noqa: E402
from ._sweep import Sweep, sweep  # noqa: E402
from .teachers import (  # noqa: E402
    ArrayTeacher,
    KernelTeacher,
    MarginTeacher,
    NetworkTeacher,
    NotFittedError,
    SklearnTeacher,
)

__all__ = [
    "ArrayTeacher",
    "Comparison",
    "History",
    "InputError",
    "KernelTeacher",
    "Margin",
    "MarginTeacher",
    "NetworkTeacher",
    "NotFittedError",
    "StudentBank",
    "Scaling",
    "SklearnTeacher",
    "Sweep",
    "__version__",
    "compare",
    "datasets",
    "load",
    "margin",
    "ntk_kernel",
    "scaling",
    "sweep",
    "theory",
]
