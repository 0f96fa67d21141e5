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

import os
from importlib.metadata import PackageNotFoundError, version

# Threads that wait at the engine's barriers sleep instead of spinning
# (unless the user chose otherwise): spinning costs a few percent less on an
# idle machine but, when other work shares the cores (a Dask worker, a
# notebook, a test run), made steps 1.5x (and up to 15x) slower. Read by
# the OpenMP runtime when the compiled engine first loads it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import datasets, theory  # noqa: E402
from ._bank import StudentBank  # noqa: E402
from ._history import History  # noqa: E402
from .experiments import Comparison, compare  # noqa: E402
from .kernel import ntk_kernel  # noqa: E402
from .margin import Margin, margin  # noqa: E402
from .results import load  # noqa: E402
from .scaling import Scaling, scaling  # noqa: E402
from .sweep import Sweep, sweep  # noqa: E402
from .teachers import ArrayTeacher, KernelTeacher, MarginTeacher, NetworkTeacher, NotFittedError  # noqa: E402

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
