"""The data layer both kinds of student read: labelled training and test sets, and how they are drawn again.

:class:`LabelledData` holds what every data set has: inputs and labels
for training and testing, the training labels before label noise, a name,
the arguments that made it, and its recipe. The two-layer students'
:class:`Dataset` (rows of features, labels -1 and +1) and the deep
students' ImageData (images, classes 0 .. C-1) derive from it.

A family (a function returning a data set from arguments and a ``seed``)
is made :func:`redrawable`: each data set it returns carries the family
with every argument but the seed bound, and :meth:`LabelledData.redraw`
calls it with another seed. Every draw of a family comes from one
:func:`generator` of its seed, or from streams derived from it.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field, replace
from typing import Callable, TypeVar, cast

import numpy as np

from . import _validation as check

__all__ = ["Dataset", "LabelledData", "features", "generator", "redrawable"]

Data = TypeVar("Data", bound="LabelledData")


@dataclass(frozen=True)
class LabelledData:
    """Training and test inputs with their labels, and how they were made.

    X_train, X_test : (n, ...) inputs, rows of the same shape (the test set
        may have no rows)
    y_train : (n,) training labels, after label noise
    y_test : (n_test,) test labels
    name : shown in tables and plots
    params : the arguments that made the data set
    y_train_clean : (n,) training labels before label noise (default: y_train)
    recipe : how the data set is drawn again with another seed (see
        :meth:`redraw`): a picklable callable taking ``seed=``, which the
        families set to themselves with every other argument bound; None
        for arrays given by hand
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    params: dict = field(default_factory=dict)
    y_train_clean: np.ndarray | None = None
    recipe: Callable[..., LabelledData] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        train, test = np.shape(self.X_train), np.shape(self.X_test)
        if len(train) < 2 or test[1:] != train[1:]:
            raise check.InputValueError(
                f"X_train, X_test: expected inputs (n, ...) with rows of one shape, got {train} and {test}"
            )
        for name, labels, rows in (("y_train", self.y_train, train[0]), ("y_test", self.y_test, test[0])):
            if np.shape(labels) != (rows,):
                raise check.InputValueError(
                    f"{name}: expected shape ({rows},), one label a row, got {np.shape(labels)}"
                )
        # The training labels before any label noise: what the margin of the
        # task is measured on. Without flips they are the training labels.
        if self.y_train_clean is None:
            object.__setattr__(self, "y_train_clean", self.y_train)
        elif np.shape(self.y_train_clean) != np.shape(self.y_train):
            raise check.InputValueError(
                f"y_train_clean: expected shape {np.shape(self.y_train)}, got {np.shape(self.y_train_clean)}"
            )

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    def redraw(self: Data, seed: int) -> Data:
        """The same family with the same arguments, drawn with `seed` instead: a replicate.

        Everything the family's seed controls is drawn again: the split, the
        subsets, pixel noise, label flips, the synthetic points (and so the
        test set, wherever the family draws it from the seed). The name is
        unchanged, ``params["seed"]`` is the new seed, and
        ``data.redraw(data.params["seed"])`` gives the arrays of `data`.
        The family checks `seed` (an integer >= 0) as it checks its own.

        Raises InputValueError for a data set without a recipe (from a
        ``from_arrays``, or built by hand).
        """
        if self.recipe is None:
            raise check.InputValueError(
                "data: arrays given by from_arrays cannot be redrawn with another seed; "
                "pass replicates=1 or build each replicate yourself"
            )
        return cast(Data, self.recipe(seed=seed))


@dataclass(frozen=True)
class Dataset(LabelledData):
    """Train and test inputs (n, d) with labels in {-1, +1}, and how they were made.

    The test set may be empty (0 rows) when none was given to
    :func:`~kdfast.datasets.from_arrays`; experiments then report no test
    metrics. `y_train_clean` holds the training labels before label noise
    (`flip`), so that the margin of the noise-free task can be measured; it
    equals `y_train` when no label was flipped.

    `recipe` is how the data set is drawn again with another seed (see
    :meth:`redraw`): a picklable callable taking ``seed=``, which the
    families set to themselves with every other argument bound; None for
    arrays given by :func:`~kdfast.datasets.from_arrays`.
    """

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape[0]}, test={self.X_test.shape[0]}, "
            f"d={self.d}, params={self.params})"
        )


Family = TypeVar("Family", bound=Callable[..., LabelledData])


def redrawable(family: Family) -> Family:
    """`family`, with each data set it returns carrying its recipe for :meth:`LabelledData.redraw`.

    The recipe is the public (decorated) function with every argument but
    `seed` bound: pickle stores a function by its qualified name, so a data
    set still pickles (for process pools and Dask workers) and redraws after
    unpickling. The arguments are bound after the family has checked them.
    """
    signature = inspect.signature(family)

    @functools.wraps(family)
    def drawn(*args, **kwargs) -> LabelledData:
        data = family(*args, **kwargs)
        arguments = signature.bind(*args, **kwargs).arguments
        arguments.pop("seed", None)
        return replace(data, recipe=functools.partial(drawn, **arguments))

    return cast(Family, drawn)


def generator(seed) -> np.random.Generator:
    """The generator of every draw of a data set: NumPy's default one, from a seed >= 0."""
    return np.random.default_rng(check.positive_int(seed, "seed", minimum=0))


def features(X: np.ndarray, normalize: bool, bias: bool) -> np.ndarray:
    """Rows scaled to unit norm (zero rows stay) with `normalize`, and a constant feature appended with `bias`."""
    if normalize:
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1.0)
    if bias:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
        if normalize:
            # Unit-norm rows (zero rows excepted) keep unit norm with the constant.
            X /= math.sqrt(2.0)
    return X
