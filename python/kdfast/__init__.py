"""kdfast: soft-label vs hard-label training of two-layer ReLU students, batched.

A compiled engine trains thousands of two-layer ReLU networks of many widths,
seeds and targets in one call, so that the neurons needed by soft-label
(teacher) and hard-label training can be measured side by side.

- engine: StudentBank, History
- theory of the limiting kernel: ntk_kernel, margin (Margin), theory
- teachers: KernelTeacher, MarginTeacher, NetworkTeacher, ArrayTeacher
- experiments: datasets, compare (Comparison), sweep (Sweep),
  scaling (Scaling), load
"""

from importlib.metadata import PackageNotFoundError, version

from . import datasets, theory
from ._bank import StudentBank
from ._history import History
from .experiments import Comparison, compare
from .kernel import ntk_kernel
from .margin import Margin, margin
from .results import load
from .scaling import Scaling, scaling
from .sweep import Sweep, sweep
from .teachers import ArrayTeacher, KernelTeacher, MarginTeacher, NetworkTeacher, NotFittedError

try:
    __version__ = version("kdfast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ArrayTeacher",
    "Comparison",
    "History",
    "KernelTeacher",
    "Margin",
    "MarginTeacher",
    "NetworkTeacher",
    "NotFittedError",
    "StudentBank",
    "Scaling",
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
