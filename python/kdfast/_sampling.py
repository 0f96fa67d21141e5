"""Seeded, stratified choices of rows: subsets of data sets and held-out parts of training sets."""

from __future__ import annotations

import numpy as np

from . import _validation as check

__all__ = ["holdout", "stratified"]


def stratified(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a random subset of `size` rows with the classes in their proportions.

    Each class gets the floor of its share; the rows left by the rounding go
    to the classes with the largest fractional shares (ties: the smaller
    label first).
    """
    classes, counts = np.unique(labels, return_counts=True)
    share = size * counts / counts.sum()
    quota = np.floor(share).astype(np.int64)
    quota[np.argsort(quota - share, kind="stable")[: size - int(quota.sum())]] += 1
    picks = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picks))


def holdout(labels: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a stratified `share` of the rows, at least one and leaving at least one."""
    n = labels.shape[0]
    if n < 2:
        raise check.InputValueError(f"validation: cannot hold out part of {n} sample(s)")
    return stratified(labels, min(n - 1, max(1, round(share * n))), rng)
