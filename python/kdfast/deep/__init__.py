"""Deep students in PyTorch: soft- vs hard-label training beyond two layers.

The two-layer theory predicts that a small student learns more from a
teacher's soft labels than from hard labels, the more so the harder the
task. This subpackage measures the same for convolutional and multi-layer
students on image data with label noise, and reports it in the tables and
plots of the rest of kdfast (a :class:`kdfast.Comparison`).

- data: :func:`mnist`, :func:`digits`, :func:`cifar10`, :func:`from_arrays`
  (:class:`ImageData`; label noise on the training labels only)
- students: :class:`CNN`, :class:`MLP`, or any ``width -> nn.Module`` factory
- losses: :func:`hard_loss`, :func:`soft_loss`, :func:`distillation_loss`
- training: :func:`train` (seeds and soft/hard students as one vectorised model)
- experiments: :func:`compare` (a :class:`kdfast.Comparison`), :func:`sweep`
- a teacher for the two-layer students: :class:`ConvTeacher`, a CNN for
  :func:`kdfast.compare` on image data sets of flattened rows

Needs PyTorch: ``pip install "kdfast[torch]"``.
"""

from importlib import import_module
from types import ModuleType
from importlib.util import find_spec

try:
    _found = find_spec("torch") is not None
except (ImportError, ValueError):  # a broken or blocked installation
    _found = False
if not _found:
    raise ImportError('kdfast.deep needs PyTorch: pip install "kdfast[torch]"')

# Each public name and the module that defines it. They are imported on
# first use (PEP 562), so that `kdfast --help` can list `kdfast deep`
# without paying for PyTorch's import (a second or more).
_EXPORTS = {
    "ImageData": "data",
    "cifar10": "data",
    "digits": "data",
    "from_arrays": "data",
    "mnist": "data",
    "flip_labels": "data",
    "CNN": "models",
    "MLP": "models",
    "ARCHS": "models",
    "student_factory": "models",
    "distillation_loss": "losses",
    "hard_loss": "losses",
    "soft_loss": "losses",
    "train": "train",
    "TrainingRecord": "train",
    "compare": "experiment",
    "sweep": "experiment",
    "ConvTeacher": "teacher",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    # Importing a submodule binds it on the package under its own name, and
    # the submodule `train` shares its name with the function `train`: keep
    # the public name for the function (the module stays kdfast.deep.train
    # in sys.modules, for `from kdfast.deep.train import ...`).
    if isinstance(globals().get("train"), ModuleType):
        del globals()["train"]
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
