"""Argument checks shared by the public API: one function per kind of argument.

Every check raises :class:`InputTypeError` (wrong kind of object) or
:class:`InputValueError` (right kind, wrong value or shape) with a message
that names the argument, so the same bad input gets the same message from
every function that takes it. Both are :class:`InputError`, which the
command line reports in one line; any other exception is a bug and keeps
its traceback. Conversions are explicit and documented where they happen:
inputs are copied to the bank's dtype (float64 inputs are rounded to
float32 for a float32 bank), targets are held in float64, labels as int8.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

__all__ = ["InputError", "InputTypeError", "InputValueError"]

_REAL_KINDS = "biuf"  # bool, signed/unsigned integer, floating point


class InputError(Exception):
    """Bad input to a kdfast function: an argument of the wrong kind or value."""


class InputValueError(InputError, ValueError):
    """An argument of the right kind with a wrong value or shape."""


class InputTypeError(InputError, TypeError):
    """An argument of the wrong kind."""


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """An integer >= minimum (bools are refused: True is not a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name}: expected an integer, got {type(value).__name__}")
    if value < minimum:
        raise InputValueError(f"{name}: must be >= {minimum}, got {value}")
    return int(value)


def thread_count(value) -> int | None:
    """`n_threads` with scikit-learn's meaning: None, or a non-zero integer (-k: all threads but k - 1)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"n_threads: expected None or an integer, got {type(value).__name__}")
    if value == 0:
        raise InputValueError("n_threads: must not be 0 (None or -1 means all threads)")
    return int(value)


def flag(value, name: str) -> bool:
    """True or False (NumPy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"{name}: expected True or False, got {type(value).__name__}")
    return bool(value)


def keywords(value, name: str) -> dict:
    """None (no keyword arguments) or a dict of keyword arguments for another function, as a dict."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputTypeError(f"{name}: expected a dict of keyword arguments, got {type(value).__name__}")
    return value


INITS = ("gaussian", "symmetric")
PROJECTIONS = ("neuron", "network")


def choice(value, name: str, options) -> str:
    """`value`, one of the strings `options`: every named choice of the package is checked here."""
    # The isinstance test comes first: `array in options` compares elementwise.
    if not isinstance(value, str) or value not in options:
        raise InputValueError(f"{name}: expected one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def projection(value) -> str:
    """`projection`, one of PROJECTIONS (a radius of None means no projection)."""
    return choice(value, "projection", PROJECTIONS)


def init(value, widths=()) -> str:
    """`init`, one of INITS, and the widths it allows (odd ones cannot be paired under "symmetric")."""
    choice(value, "init", INITS)
    odd = [int(w) for w in widths if w % 2]
    if value == "symmetric" and odd:
        raise InputValueError(f"widths: init='symmetric' needs even widths (neurons come in pairs), got {odd}")
    return value


def file_path(value, name: str):
    """A str or os.PathLike, returned as given."""
    if not isinstance(value, (str, os.PathLike)):
        raise InputTypeError(f"{name}: expected a file path, got {type(value).__name__}")
    return value


def real_array(value, name: str) -> np.ndarray:
    """`value` as an ndarray of real numbers (no copy when it already is one)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in _REAL_KINDS:
        raise InputTypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return arr


def real_number(value, name: str, *, minimum=None, maximum=None, exclusive: bool = False) -> float:
    """A finite real number as float, from a Python or NumPy scalar or a 0-d array (bools are refused).

    It must be >= minimum and <= maximum where they are given (> and < when `exclusive`).
    """
    if isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"{name}: expected a number, got {type(value).__name__}")
    arr = real_array(value, name)
    if arr.ndim != 0:
        raise InputValueError(f"{name}: expected a single number, got shape {arr.shape}")
    number = float(arr)
    too_low = minimum is not None and (number <= minimum if exclusive else number < minimum)
    too_high = maximum is not None and (number >= maximum if exclusive else number > maximum)
    if math.isfinite(number) and not too_low and not too_high:
        return number
    if minimum is not None and maximum is not None:
        interval = f"the open interval ({minimum:g}, {maximum:g})" if exclusive else f"[{minimum:g}, {maximum:g}]"
        raise InputValueError(f"{name}: must lie in {interval}, got {number}")
    if not math.isfinite(number):
        raise InputValueError(f"{name}: must be finite, got {number}")
    above, below = (">", "<") if exclusive else (">=", "<=")
    bound = f"{above} {minimum:g}" if minimum is not None else f"{below} {maximum:g}"
    raise InputValueError(f"{name}: must be {bound}, got {number}")


def positive_number(value, name: str) -> float:
    """A finite real number > 0."""
    return real_number(value, name, minimum=0, exclusive=True)


def finite_numbers(value, name: str) -> np.ndarray:
    """Finite real numbers of any shape, as a float64 array (bools are refused)."""
    arr = real_array(value, name)
    if arr.dtype.kind == "b":
        raise InputTypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise InputValueError(f"{name}: contains NaN or infinity")
    return arr


def positive_numbers(value, name: str) -> np.ndarray:
    """Finite real numbers > 0 of any shape, as a float64 array (bools are refused)."""
    arr = finite_numbers(value, name)
    if (arr <= 0).any():
        raise InputValueError(f"{name}: must be > 0, got {arr.min()}")
    return arr


def progress_disabled(progress) -> bool | None:
    """`progress` (None, True or False) as tqdm's `disable`: None hides the bar unless stderr is a terminal."""
    if progress is None:
        return None
    if not isinstance(progress, (bool, np.bool_)):
        raise InputTypeError(f"progress: expected None, True or False, got {type(progress).__name__}")
    return not progress


def int_list(value, name: str, *, minimum: int, distinct: bool = False) -> list[int]:
    """A non-empty sequence of integers >= minimum, as Python ints (all different when `distinct`).

    Python ints are kept exact: NumPy would turn (0, 2**63 + 5) into float64.
    """
    arr = np.asarray(value) if isinstance(value, np.ndarray) else np.asarray(value, dtype=object)
    arr = np.atleast_1d(arr)
    if arr.ndim != 1 or arr.size == 0:
        raise InputValueError(f"{name}: expected a non-empty sequence of integers, got shape {arr.shape}")
    if arr.dtype.kind not in "iuO" or any(
        isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) for v in arr.tolist()
    ):
        raise InputTypeError(f"{name}: expected integers, got {arr.tolist()[:5]}")
    values = [int(v) for v in arr.tolist()]
    if min(values) < minimum:
        raise InputValueError(f"{name}: every value must be >= {minimum}, got {values[:10]}")
    if distinct and len(set(values)) != len(values):
        raise InputValueError(f"{name}: every value must appear once, got {values[:10]}")
    return values


def _check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise InputValueError(f"{name}: contains NaN or infinity")


def matrix(
    value, name: str, dtype=None, *, columns: int | None = None, min_rows: int = 1, copy: bool = False
) -> np.ndarray:
    """A finite 2-D (n, columns) matrix with n >= min_rows and at least one column, C-contiguous in `dtype`.

    dtype None keeps float32 and turns anything else into float64. With
    `copy`, the result never shares memory with `value`.
    """
    arr = real_array(value, name)
    if (
        arr.ndim != 2
        or arr.shape[0] < min_rows
        or arr.shape[1] < 1
        or (columns is not None and arr.shape[1] != columns)
    ):
        want = f"(n, {columns})" if columns is not None else "(n, d)"
        raise InputValueError(f"{name}: expected shape {want}, a 2-D array with n >= {min_rows}, got {arr.shape}")
    _check_finite(arr, name)
    if dtype is None:
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
    return np.array(arr, dtype=dtype, order="C", copy=True) if copy else np.ascontiguousarray(arr, dtype=dtype)


def labels(value, name: str, n: int, *, both_classes: bool = False) -> np.ndarray:
    """Labels in {-1, +1} or {0, 1}, shape (n,), as int8 in {-1, +1}; with `both_classes`, both must occur."""
    arr = real_array(value, name)
    if arr.shape != (n,):
        raise InputValueError(f"{name}: expected shape ({n},), got {arr.shape}")
    _check_finite(arr, name)
    values = np.unique(arr)
    if np.isin(values, (-1, 1)).all():
        signs = arr.astype(np.int8)
    elif np.isin(values, (0, 1)).all():
        signs = (2 * arr - 1).astype(np.int8)
    else:
        raise InputValueError(f"{name}: labels must be in {{-1, +1}} or {{0, 1}}, got values {values[:5].tolist()}")
    if both_classes and np.unique(signs).size < 2:
        raise InputValueError(f"{name}: all labels are {signs[0]:+d}; the training labels must contain both classes")
    return signs


def targets(value, name: str, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Target probabilities of class +1 as an (n, C) float64 matrix.

    Accepts an (n,) vector or an (n, C) matrix. A column is either
    probabilities in [0, 1] or labels in {-1, +1} (meaning p = (1 + y) / 2).
    Also returns the labels in {-1, +1} when the target is a single column
    of hard labels ({-1, +1} or {0, 1}), else None.
    """
    arr = real_array(value, name)
    if arr.ndim not in (1, 2) or arr.shape[0] != n or (arr.ndim == 2 and arr.shape[1] < 1):
        raise InputValueError(f"{name}: expected shape ({n},) or ({n}, C), got {arr.shape}")
    _check_finite(arr, name)
    P = np.array(arr.reshape(n, -1), dtype=np.float64, order="C")
    for c in range(P.shape[1]):
        column = P[:, c]
        if (column < 0).any():
            if not np.isin(column, (-1.0, 1.0)).all():
                raise InputValueError(
                    f"{name}: column {c} has negative values, so it must be labels in {{-1, +1}}; "
                    f"probabilities must lie in [0, 1]"
                )
            P[:, c] = (1.0 + column) / 2.0
        elif (column > 1).any():
            raise InputValueError(
                f"{name}: column {c}: probabilities must lie in [0, 1], got a maximum of {column.max()}"
            )
    hard = P.shape[1] == 1 and np.isin(P, (0.0, 1.0)).all()
    return P, ((2 * P[:, 0] - 1).astype(np.int8) if hard else None)


def per_network(value, name: str, K: int, *, allow_inf: bool = False) -> np.ndarray:
    """A positive scalar or one positive value per network, as (K,) float64."""
    arr = real_array(value, name)
    if arr.ndim == 0:
        arr = np.full(K, arr, dtype=np.float64)
    elif arr.shape != (K,):
        raise InputValueError(f"{name}: expected a scalar or shape ({K},) (one per network), got {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    bad = np.isnan(arr) | (np.isinf(arr) & (not allow_inf))
    if bad.any():
        raise InputValueError(f"{name}: must be finite{' or inf' if allow_inf else ''}, got {arr[bad][0]}")
    if (arr <= 0).any():
        raise InputValueError(f"{name}: must be > 0, got {arr.min()}")
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
