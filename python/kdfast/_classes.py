"""Two-layer labels from class labels: the classes labelled +1 and -1, as a pair or two groups.

The image families of :mod:`kdfast.datasets` take two classes as
``pair=(a, b)`` (y = +1 for a, -1 for b), or two disjoint groups of
classes as ``classes=(positive, negative)``; errors name the argument
that chose them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as check

__all__ = ["Classes", "choose_classes", "select_classes"]


def _input_error(err: Exception) -> type[check.InputError]:
    """kdfast's error of the same kind as `err` (unpacking and int checks raise plain ones)."""
    return check.InputTypeError if isinstance(err, TypeError) else check.InputValueError


class Classes(NamedTuple):
    """The classes labelled +1 and -1, and the argument that chose them (errors name it)."""

    positive: tuple[int, ...]
    negative: tuple[int, ...]
    argument: str  # "pair" or "classes"

    @property
    def sides(self) -> tuple[str, str]:
        """Each group as text: single digits run together ("13579"), larger labels comma-separated."""
        sep = "" if max(self.positive + self.negative) <= 9 else ","
        return sep.join(map(str, self.positive)), sep.join(map(str, self.negative))

    @property
    def title(self) -> str:
        """What the data set's name shows: "4 vs 9", "13579 vs 02468"."""
        return " vs ".join(self.sides)

    def params(self) -> dict:
        """{"pair": [a, b]} for one class a side (however given), else {"classes": [[...], [...]]}."""
        if len(self.positive) == len(self.negative) == 1:
            return {"pair": [self.positive[0], self.negative[0]]}
        return {"classes": [list(self.positive), list(self.negative)]}


def _pair(pair) -> tuple[int, int]:
    try:
        a, b = (check.positive_int(v, "pair", minimum=0) for v in pair)
    except (TypeError, ValueError) as err:
        raise _input_error(err)(
            f"pair: expected two distinct class labels (positive, negative), got {pair!r}"
        ) from None
    if a == b:
        raise check.InputValueError(f"pair: the two classes must differ, got {pair!r}")
    return a, b


def _groups(classes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """`classes` as two disjoint non-empty groups of class labels (positive, negative)."""
    try:
        positive, negative = (tuple(check.positive_int(c, "classes", minimum=0) for c in group) for group in classes)
    except (TypeError, ValueError) as err:
        raise _input_error(err)(
            f"classes: expected two groups of class labels >= 0 (positive, negative), e.g. "
            f"((1, 3, 5, 7, 9), (0, 2, 4, 6, 8)), got {classes!r}"
        ) from None
    if not positive or not negative:
        raise check.InputValueError(f"classes: each group needs at least one class, got {classes!r}")
    listed = positive + negative
    repeated = sorted({c for c in listed if listed.count(c) > 1})
    if repeated:
        raise check.InputValueError(
            f"classes: class {repeated[0]} is listed more than once (the groups must be disjoint), got {classes!r}"
        )
    return positive, negative


def choose_classes(pair, classes, default: tuple[int, int], kinds: str | None) -> Classes:
    """The classes labelled +1 and -1, from `pair` or `classes` (neither: the `default` pair).

    kinds : what the classes are called in the 0-9 range check ("MNIST
        digits"); None for label sets of any size (IDX files).
    """
    if pair is not None and classes is not None:
        raise check.InputValueError("pair, classes: give one or the other (pair=(a, b) is classes=((a,), (b,)))")
    if classes is None:
        a, b = _pair(default if pair is None else pair)
        chosen, given = Classes((a,), (b,), "pair"), pair
    else:
        chosen, given = Classes(*_groups(classes), "classes"), classes
    if kinds is not None and max(chosen.positive + chosen.negative) > 9:
        raise check.InputValueError(f"{chosen.argument}: {kinds} are 0-9, got {given!r}")
    return chosen


def select_classes(X: np.ndarray, labels: np.ndarray, chosen: Classes, what: str):
    """Rows of the chosen classes; y = +1 for the positive group, -1 for the negative one."""
    wanted = chosen.positive + chosen.negative
    present = np.unique(labels)
    for c in wanted:
        if c not in present:
            raise check.InputValueError(
                f"{chosen.argument}: class {c} does not occur in {what} (classes present: {present[:20].tolist()})"
            )
    keep = np.isin(labels, wanted)
    return X[keep], np.where(np.isin(labels[keep], chosen.positive), 1.0, -1.0)
