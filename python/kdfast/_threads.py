"""Thread counts with scikit-learn's meaning of `n_threads`."""

from __future__ import annotations

from . import _core
from . import _validation as check


def effective_n_threads(n_threads) -> int:
    """Threads to use for `n_threads`.

    None: all threads OpenMP would use (``OMP_NUM_THREADS`` when set, else
    every available core); a positive integer: that many; a negative integer
    -k: all but k - 1 of them (-1 means all). Results do not depend on it:
    the engine's reductions have a fixed order.
    """
    available = _core.max_threads()
    n_threads = check.thread_count(n_threads)
    if n_threads is None:
        return available
    if n_threads < 0:
        return max(1, available + 1 + n_threads)
    return n_threads
