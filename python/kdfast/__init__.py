"""kdfast: soft-label vs hard-label training of two-layer ReLU students, batched.

A compiled engine trains thousands of two-layer ReLU networks of many widths,
seeds and targets in one call, so that the neurons needed by soft-label
(teacher) and hard-label training can be measured side by side.
"""

from importlib.metadata import PackageNotFoundError, version

from ._bank import StudentBank
from ._history import History

try:
    __version__ = version("kdfast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["History", "StudentBank", "__version__"]
