"""Argument checks shared by the public API.

Every check raises TypeError (wrong kind of object) or ValueError (right
kind, wrong value or shape) with a message that names the argument.
Conversions are explicit and documented where they happen: inputs are
copied to the bank's dtype (float64 inputs are rounded to float32 for a
float32 bank), targets are held in float64, labels as int8.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

_REAL_KINDS = "biuf"  # bool, signed/unsigned integer, floating point


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """An integer >= minimum (bools are refused: True is not a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return int(value)


def real_array(value, name: str) -> np.ndarray:
    """`value` as an ndarray of real numbers (no copy when it already is one)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return arr


def _check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")


def matrix(value, name: str, dtype, *, columns: int | None = None) -> np.ndarray:
    """A finite (n, columns) matrix with n >= 1, as a C-contiguous copy in `dtype`."""
    arr = real_array(value, name)
    if arr.ndim != 2 or arr.shape[0] < 1 or (columns is not None and arr.shape[1] != columns):
        want = f"(n, {columns})" if columns is not None else "(n, d)"
        raise ValueError(f"{name}: expected shape {want} with n >= 1, got {arr.shape}")
    _check_finite(arr, name)
    return np.ascontiguousarray(arr, dtype=dtype)


def labels(value, name: str, n: int) -> np.ndarray:
    """Labels in {-1, +1} or {0, 1}, shape (n,), as int8 in {-1, +1}."""
    arr = real_array(value, name)
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), got {arr.shape}")
    _check_finite(arr, name)
    values = np.unique(arr)
    if np.isin(values, (-1, 1)).all():
        return arr.astype(np.int8)
    if np.isin(values, (0, 1)).all():
        return (2 * arr - 1).astype(np.int8)
    raise ValueError(f"{name}: labels must be in {{-1, +1}} or {{0, 1}}, got values {values[:5].tolist()}")


def targets(value, name: str, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Target probabilities of class +1 as an (n, C) float64 matrix.

    Accepts an (n,) vector or an (n, C) matrix. A column is either
    probabilities in [0, 1] or labels in {-1, +1} (meaning p = (1 + y) / 2).
    Also returns the labels in {-1, +1} when the target is a single column
    of hard labels ({-1, +1} or {0, 1}), else None.
    """
    arr = real_array(value, name)
    if arr.ndim not in (1, 2) or arr.shape[0] != n or (arr.ndim == 2 and arr.shape[1] < 1):
        raise ValueError(f"{name}: expected shape ({n},) or ({n}, C), got {arr.shape}")
    _check_finite(arr, name)
    P = np.array(arr.reshape(n, -1), dtype=np.float64, order="C")
    for c in range(P.shape[1]):
        column = P[:, c]
        if (column < 0).any():
            if not np.isin(column, (-1.0, 1.0)).all():
                raise ValueError(
                    f"{name}: column {c} has negative values, so it must be labels in {{-1, +1}}; "
                    f"probabilities must lie in [0, 1]"
                )
            P[:, c] = (1.0 + column) / 2.0
        elif (column > 1).any():
            raise ValueError(f"{name}: column {c}: probabilities must lie in [0, 1], got a maximum of {column.max()}")
    hard = P.shape[1] == 1 and np.isin(P, (0.0, 1.0)).all()
    return P, ((2 * P[:, 0] - 1).astype(np.int8) if hard else None)


def per_network(value, name: str, K: int, *, allow_inf: bool = False) -> np.ndarray:
    """A positive scalar or one positive value per network, as (K,) float64."""
    arr = real_array(value, name)
    if arr.ndim == 0:
        arr = np.full(K, arr, dtype=np.float64)
    elif arr.shape != (K,):
        raise ValueError(f"{name}: expected a scalar or shape ({K},) (one per network), got {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if np.isnan(arr).any() or (not allow_inf and np.isinf(arr).any()):
        raise ValueError(f"{name}: must be finite" + (" or inf" if allow_inf else ""))
    if (arr <= 0).any():
        raise ValueError(f"{name}: must be > 0, got {arr.min()}")
    return arr


def _memory_available() -> int | None:
    """Bytes of memory available to a new allocation, when the OS says."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def ensure_memory(nbytes: int, what: str) -> None:
    """Raise MemoryError, stating the size, before an allocation that cannot fit.

    Linux over-commits memory, so a too-large allocation would otherwise
    succeed and the process be killed later; checking first turns that into
    an exception the caller can handle.
    """
    available = _memory_available()
    if available is not None and nbytes > available:
        raise MemoryError(f"{what} needs {nbytes / 2**30:.2f} GiB, but only {available / 2**30:.2f} GiB is available")
