"""Thread counts with scikit-learn's meaning of `n_threads`."""

from __future__ import annotations

import numbers

from . import _core


def effective_n_threads(n_threads) -> int:
    """Threads to use for `n_threads`.

    None: all threads OpenMP would use (``OMP_NUM_THREADS`` when set, else
    every available core); a positive integer: that many; a negative integer
    -k: all but k - 1 of them (-1 means all). Results do not depend on it:
    the engine's reductions have a fixed order.
    """
    available = _core.max_threads()
    if n_threads is None:
        return available
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads: expected None or an integer, got {type(n_threads).__name__}")
    if n_threads == 0:
        raise ValueError("n_threads: must not be 0 (None or -1 means all threads)")
    if n_threads < 0:
        return max(1, available + 1 + int(n_threads))
    return int(n_threads)
