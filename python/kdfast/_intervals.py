"""Bootstrap intervals over replicates (or, with one replicate, over seeds).

A result's students are nested: seeds within replicates (draws of the
data). The replicate is the unit a bootstrap resamples, and the seeds of a
replicate are averaged first, so an interval covers both sources of spread
the way they occur. With a single replicate the seeds are the units, and
the interval then covers the initialisation only; the tables say which.
"""

from __future__ import annotations

import inspect

import numpy as np

__all__ = ["RESAMPLES", "mean_interval", "resampled_units"]

# Resamples of every bootstrap: enough that a 95% percentile interval's ends
# move by well under a tenth of its width from one seed of the resampling to
# another.
RESAMPLES = 9999
# The resampling generator's seed: intervals are the same on every run.
_SEED = 0


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (NaN dropped; NaN when fewer than 2 remain).

    Percentile rather than BCa: with the three to ten replicates an
    experiment affords, BCa's acceleration estimate is itself noise, and
    it fails outright on the ties that accuracies on small test sets make.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return np.nan, np.nan
    if np.all(x == x[0]):  # every resample has the same mean
        return float(x[0]), float(x[0])
    from scipy import stats  # heavy; only when an interval is asked for

    seeding = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    result = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        **{seeding: np.random.default_rng(_SEED)},
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def resampled_units(n_units: int, n_resamples: int = RESAMPLES) -> np.ndarray:
    """(n_resamples, n_units) indices of units drawn with replacement, for statistics scipy cannot vectorise."""
    return np.random.default_rng(_SEED).integers(0, n_units, size=(n_resamples, n_units))
