"""Teachers: the functions whose soft labels the students are trained on.

Every teacher follows scikit-learn's habits: parameters are stored by
``__init__``, the work is done by ``fit(X, y)`` (labels in {-1, +1}), which
returns the teacher, and fitted attributes end in ``_``. A fitted teacher
gives logits f_T(x), soft labels ``predict_proba(X, temperature)`` =
sigmoid(f_T / temperature) (the probability of class +1), and labels
``predict(X)`` in {-1, +1}.

* :class:`KernelTeacher`: kernel gradient descent with the limiting kernel,
  the infinite-width limit of the student trained on hard labels.
* :class:`MarginTeacher`: the infinite-width function that realises the
  NTK margin gamma, scaled.
* :class:`NetworkTeacher`: a wide kdfast student trained on hard labels.
* :class:`ArrayTeacher`: outputs computed elsewhere (e.g. by PyTorch).
* :class:`SklearnTeacher`: any scikit-learn classifier.

:class:`kdfast.deep.ConvTeacher` (a convolutional network for image data,
needs PyTorch) follows the same habits.
"""

from ._base import BaseTeacher, NotFittedError
from .adapters import ArrayTeacher, SklearnTeacher
from .builtin import KernelTeacher, MarginTeacher, NetworkTeacher
from .factory import make_teacher

# Not in __all__: the experiments and the command line take these from here.
from .builtin import TEACHER_STREAMS as TEACHER_STREAMS
from .factory import TEACHERS as TEACHERS

__all__ = [
    "ArrayTeacher",
    "BaseTeacher",
    "KernelTeacher",
    "MarginTeacher",
    "NetworkTeacher",
    "NotFittedError",
    "SklearnTeacher",
    "make_teacher",
]
