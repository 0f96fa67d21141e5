"""The teacher a name, an array of logits or a teacher object stands for."""

from __future__ import annotations

import copy
import inspect

import numpy as np

from .. import _validation as check
from .adapters import ArrayTeacher
from .builtin import KernelTeacher, MarginTeacher, NetworkTeacher

# The teachers kdfast.compare builds by name.
TEACHERS = {"kernel": KernelTeacher, "margin": MarginTeacher, "network": NetworkTeacher}


def make_teacher(teacher="kernel", teacher_params=None, *, n_threads=None, X_test=None):
    """An unfitted teacher from a name, an array of logits, or a teacher object.

    `teacher` is "kernel", "margin" or "network" (built with
    `teacher_params` as keyword arguments), an array of training logits
    (an :class:`ArrayTeacher`), or any object with ``fit(X, y)`` and
    ``logits(X)``. An ArrayTeacher with test outputs but no `X_test` is
    given `X_test` (the data set's test inputs), as a copy.
    """
    params = check.keywords(teacher_params, "teacher_params")
    if isinstance(teacher, str):
        if teacher == "array":
            raise check.InputValueError(
                "teacher: 'array' needs the teacher's outputs: pass kdfast.ArrayTeacher(train_logits=..., "
                "test_logits=...) or the training logits as an array"
            )
        if teacher not in TEACHERS:
            raise check.InputValueError(
                f"teacher: expected one of {', '.join(map(repr, TEACHERS))}, an array or a teacher object, "
                f"got {teacher!r}"
            )
        cls = TEACHERS[teacher]
        if n_threads is not None and "n_threads" in inspect.signature(cls).parameters:
            params = {"n_threads": n_threads, **params}
        try:
            return cls(**params)
        except TypeError as err:
            raise check.InputTypeError(f"teacher_params: {err}") from None
    if isinstance(teacher, np.ndarray):
        teacher = ArrayTeacher(train_logits=teacher, **params)
    elif not (callable(getattr(teacher, "fit", None)) and callable(getattr(teacher, "logits", None))):
        raise check.InputTypeError(
            "teacher: expected a name, an array of logits or an object with fit and logits, "
            f"got {type(teacher).__name__}"
        )
    elif params:
        raise check.InputValueError("teacher_params: only for a teacher given by name or as an array")
    has_test = isinstance(teacher, ArrayTeacher) and (teacher.test_logits is not None or teacher.test_proba is not None)
    if has_test and teacher.X_test is None and X_test is not None and len(X_test):
        teacher = copy.copy(teacher).set_params(X_test=X_test)
    return teacher
