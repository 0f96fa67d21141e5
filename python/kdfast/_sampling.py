"""Seeded choices of rows: subsets of data sets, their splits and held-out parts of training sets.

Every choice is stratified by the label, but one: :func:`unstratified_split`,
the split of the two-layer families that pool their images (digits,
mnist1d, idx without test files), kept so that their data sets stay what
they have always been.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check

__all__ = ["holdout", "split", "stratified", "subset", "unstratified_split"]


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


def subset(labels: np.ndarray, size, rng: np.random.Generator, *, name: str, what: str, of: str = "") -> np.ndarray:
    """Indices of a stratified random subset of `size` rows (all rows, in order, when `size` is None).

    Asking for more rows than there are is an error: "{name}: {size} images
    asked for, {what} holds {count}{of}".
    """
    if size is None:
        return np.arange(labels.shape[0])
    size = check.positive_int(size, name)
    if size > labels.shape[0]:
        raise check.InputValueError(f"{name}: {size} images asked for, {what} holds {labels.shape[0]}{of}")
    return stratified(labels, size, rng)


def split(
    labels: np.ndarray, n, n_test, rng: np.random.Generator, *, test_fraction: float, what: str, of: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """(training, test) indices of a pool without a test set of its own, both stratified.

    `n_test` rows (default: `test_fraction` of the pool) are held out, and
    `n` rows (default: all the rest) are drawn from the others for training.
    """
    pool = labels.shape[0]
    n_test = round(test_fraction * pool) if n_test is None else check.positive_int(n_test, "n_test")
    n = pool - n_test if n is None else check.positive_int(n, "n")
    if n < 1 or n + n_test > pool:
        raise check.InputValueError(f"n, n_test: {n} + {n_test} images asked for, {what} holds {pool}{of}")
    held_out = stratified(labels, n_test, rng)
    rest = np.setdiff1d(np.arange(pool), held_out)
    return rest[stratified(labels[rest], n, rng)], held_out


def unstratified_split(
    pool: int, n: int | None, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(training, test) indices of a pool of `pool` rows, drawn without regard to the labels.

    `n` rows (an int >= 2; None, or not fewer than the pool: all of them)
    are drawn at random, then `test_fraction` of those, at least one and
    leaving at least one, is held out for testing.
    """
    rows = np.arange(pool)
    if n is not None and n < pool:
        rows = np.sort(rng.choice(pool, size=n, replace=False))
    n_test = min(rows.shape[0] - 1, max(1, round(test_fraction * rows.shape[0])))
    order = rng.permutation(rows.shape[0])
    return rows[order[n_test:]], rows[order[:n_test]]
