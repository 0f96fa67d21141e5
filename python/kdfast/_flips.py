"""Label noise, one rule for both data layers: a flipped label becomes a uniformly drawn other class.

The two-layer data sets have two classes, labelled -1 and +1 (a flip
negates the label); the image data of the deep students have C classes
0 .. C-1 (a flip adds 1 .. C-1, uniform, modulo C). One bound holds the
rate: at most (C - 1) / C, which is 0.5 for two classes. At that rate a
noisy label is uniform over the classes and says nothing of the true one;
above it the labels point away from the truth, and the task is another.

Every label draws its uniform, also where the flip is not applied (the
test labels without ``flip_test``), so that the rest of a data set does
not depend on which labels are flipped. Which generator the draws come
from is the caller's: a two-layer family takes its flips from its one
seeded generator, after the rows and the pixel noise, in the order its
arrays have always had; image data take them from :func:`flip_stream`,
a generator of their own keyed by the seed and the rate, so that images
loaded with ``flip=f`` and the same images flipped later by
``with_flip(f)`` carry the same labels.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check

__all__ = ["flip_labels", "flip_rate", "flip_signs", "flip_stream"]


def flip_rate(flip, n_classes: int = 2, name: str = "flip") -> float:
    """`flip` as a label-noise rate for `n_classes` classes: a number in [0, (C - 1) / C]."""
    return check.real_number(flip, name, minimum=0, maximum=(n_classes - 1) / n_classes)


def flip_stream(seed: int, rate: float) -> np.random.Generator:
    """The generator of the flips of image data with this seed and rate (the rate in millionths)."""
    return np.random.default_rng([seed, round(rate * 1e6)])


def _shifts(size: int, rate: float, n_classes: int, rng: np.random.Generator, only: np.ndarray | bool) -> np.ndarray:
    """How far each of `size` labels moves round the classes: 0 (kept), or 1 .. C-1 with probability `rate`.

    With two classes the other class is determined, and no second draw is taken.
    """
    flipped = (rng.random((size,)) < rate) & only  # a shape, so that type checkers see an array
    if n_classes <= 2:
        return flipped.astype(np.int64)
    return np.where(flipped, rng.integers(1, n_classes, size=size), 0)


def flip_labels(y: np.ndarray, rate: float, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """y (classes 0 .. n_classes-1) with each label replaced, with probability `rate`, by a uniformly drawn other class.

    Adding 1 .. C-1 (uniform) modulo C lands on each other class with
    probability 1 / (C - 1) and never on the label itself. `rate` lies in
    [0, (C - 1) / C]: at (C - 1) / C the noisy labels are uniform over the
    classes.
    """
    rate = flip_rate(rate, n_classes, "rate")
    return ((y + _shifts(y.shape[0], rate, n_classes, rng, True)) % n_classes).astype(np.int64)


def flip_signs(y: np.ndarray, rate: float, rng: np.random.Generator, *, only: np.ndarray | bool = True) -> np.ndarray:
    """Labels in {-1, +1} with each negated with probability `rate`: the two-class :func:`flip_labels`.

    only : which labels may flip (a boolean mask, or one flag for all);
        the others draw all the same and stay.
    """
    return np.where(_shifts(y.shape[0], rate, 2, rng, only) != 0, -y, y)
