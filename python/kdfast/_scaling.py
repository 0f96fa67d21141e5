"""The theory experiment: neurons needed against the NTK margin gamma.

For data sets of decreasing margin (e.g. ``xor2`` over d), :func:`scaling`
estimates gamma with :func:`kdfast.margin` (on the clean training labels),
runs a soft-vs-hard comparison (a :func:`kdfast.sweep` with ``gamma=True``),
reads off the neurons needed by soft and by hard students to bring a
metric (by default the loss averaged over steps) to a target eps, and fits
m = C gamma^(-p) in log-log space with :func:`kdfast.theory.fit_scaling`.
The theory predicts p = 2 for soft labels and p = 4 for hard labels; only
those orders are predictions, the constants are unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _validation as check
from . import results
from ._metrics import LOWER_IS_BETTER, MODES, check_metric
from .plots import save_figure, scaling_figure
from ._sweep import Sweep, named_datasets, sweep
from .theory import expected_exponent, fit_scaling

__all__ = ["Scaling", "scaling"]

EPS = 0.1


def scaling(
    datasets,
    *,
    eps: float = EPS,
    metric: str = "mean_loss",
    all_wider: bool = False,
    margin_params: dict | None = None,
    executor=None,
    n_threads=None,
    progress: bool | None = None,
    **compare_kwargs,
) -> Scaling:
    """Neurons needed by soft and hard students against the margin gamma of each data set.

    Parameters
    ----------
    datasets : dict name -> Dataset, or a list of Datasets
        Data sets of different difficulty, e.g. ``xor2(d=...)`` for several d.
    eps : float
        Target of `metric`: the loss (averaged over steps, by default) to
        reach, or an accuracy for accuracy metrics.
    metric : a column of the comparison table ("mean_loss", "test_acc", ...)
    all_wider : bool
        Neurons needed as the width from which on every wider student
        reaches eps (see :meth:`kdfast.Comparison.neurons_needed`).
    margin_params : dict, optional
        Keyword arguments of :func:`kdfast.margin` (n_samples, seed, tol, ...).
    executor, n_threads, progress : as in :func:`kdfast.sweep`
    **compare_kwargs : passed to :func:`kdfast.compare` (widths, steps, ...)

    Returns
    -------
    Scaling
    """
    metric = check_metric(metric)
    eps = check.positive_number(eps, "eps")
    if metric not in LOWER_IS_BETTER and eps > 1:
        raise check.InputValueError(f"eps: an accuracy target must lie in (0, 1], got {eps!r}")
    margin_params = check.keywords(margin_params, "margin_params")
    named = named_datasets(datasets)
    if metric.startswith("test_"):
        untested = [name for name, data in named.items() if data.n_test == 0]
        if untested:
            raise check.InputValueError(
                f"metric: {metric} needs test data, which {', '.join(map(repr, untested))} lack(s)"
            )
    sweep_result = sweep(
        named, margin_params=margin_params, executor=executor, n_threads=n_threads, progress=progress, **compare_kwargs
    )
    rows: list[dict] = []
    margins = sweep_result.margins
    assert margins is not None  # the sweep measured gamma
    for row in margins.to_dict("records"):
        needed = sweep_result.comparisons[str(row["dataset"])].neurons_needed(eps, metric, all_wider=all_wider)
        rows.append(
            {
                **row,
                "eps": eps,
                "metric": metric,
                **{f"{mode}_neurons": np.nan if needed[mode] is None else float(needed[mode]) for mode in MODES},
            }
        )
    return Scaling(sweep_result, pd.DataFrame(rows), {"margin_params": margin_params, "all_wider": bool(all_wider)})


class Scaling:
    """Neurons needed against gamma: what :func:`scaling` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per data set: gamma with its ~95% interval (gamma_low,
        gamma_high) and certified bounds, whether the margin solver
        converged, eps and metric, and
        soft_neurons / hard_neurons, the neurons needed to reach eps (NaN:
        not reached by the widest student; see
        :meth:`kdfast.Comparison.neurons_needed`).
    fits : dict "soft"/"hard" -> kdfast.theory.ScalingFit or None
        Power laws m = C gamma^(-p) fitted to the data sets where the target
        was reached (None with fewer than three such data sets or a single
        gamma). With a loss metric the fit divides out the theory's eps
        factor (1/eps soft, ln(1/eps) hard), so `constant` estimates its C.
    sweep : the underlying :class:`~kdfast.Sweep` (per-student results).
    params : eps, metric and the margin settings.
    """

    def __init__(self, sweep: Sweep, table: pd.DataFrame, params: dict | None = None):
        self.sweep = sweep
        self.table = table
        # eps and metric are columns of the table, so that even a CSV keeps them.
        self.params = {**(params or {}), "eps": float(table["eps"].iloc[0]), "metric": str(table["metric"].iloc[0])}
        self.fits = self._fits()

    @property
    def _fit_eps(self) -> float | None:
        """eps for the theory's eps factor: only for a loss target below 1."""
        eps = self.params["eps"]
        return eps if self.params["metric"] in LOWER_IS_BETTER and eps < 1 else None

    def _fits(self) -> dict:
        fits = {}
        g = self.table["gamma"].to_numpy(dtype=float)
        for mode in MODES:
            m = self.table[f"{mode}_neurons"].to_numpy(dtype=float)
            ok = np.isfinite(m) & (g > 0)
            try:
                fits[mode] = fit_scaling(g[ok], m[ok], kind=mode, eps=self._fit_eps)
            except ValueError:  # too few data sets reached the target, or a single gamma
                fits[mode] = None
        return fits

    def __repr__(self) -> str:
        def fmt(fit):
            return (
                "no fit"
                if fit is None
                else f"p = {fit.exponent:.2f} [{fit.exponent_ci[0]:.2f}, {fit.exponent_ci[1]:.2f}]"
            )

        return (
            f"Scaling({len(self.table)} data sets, eps={self.params['eps']:g} on {self.params['metric']}: "
            f"soft {fmt(self.fits['soft'])} (theory {expected_exponent('soft'):g}), "
            f"hard {fmt(self.fits['hard'])} (theory {expected_exponent('hard'):g}))"
        )

    def report(self) -> str:
        """The experiment as text: per data set gamma and the neurons needed, then the fitted exponents."""
        metric, eps = self.params["metric"], self.params["eps"]
        lines = [
            f"neurons needed for {metric} {'<=' if metric in LOWER_IS_BETTER else '>='} {eps:g}:",
            f"{'data set':>24}  {'gamma':>9}  {'95% interval':>21}  {'soft':>6}  {'hard':>6}",
        ]
        for row in self.table.to_dict("records"):
            interval = f"[{row['gamma_low']:.4f}, {row['gamma_high']:.4f}]"
            soft, hard = (("-" if np.isnan(v) else f"{v:.0f}") for v in (row["soft_neurons"], row["hard_neurons"]))
            lines.append(f"{row['dataset']:>24}  {row['gamma']:>9.4f}  {interval:>21}  {soft:>6}  {hard:>6}")
        for mode in MODES:
            fit, expected = self.fits[mode], f"theory: p = {expected_exponent(mode):g}"
            if fit is None:
                lines.append(f"{mode}: too few data sets reached the target to fit an exponent ({expected})")
            else:
                lo, hi = fit.exponent_ci
                lines.append(
                    f"{mode}: m ~ C gamma^-p with p = {fit.exponent:.2f}, 95% interval [{lo:.2f}, {hi:.2f}] "
                    f"({expected})"
                )
        lines.append("'-': not reached by the widest student")
        return "\n".join(lines)

    def plot(self, path=None):
        """Neurons needed against gamma, log-log, with the fits and the theory's slopes.

        Saved as PNG when `path` is given. Returns the matplotlib Figure.
        """
        eps = self._fit_eps
        lines = {
            mode: (fit, lambda g, fit=fit: fit.predict(g, eps)) for mode, fit in self.fits.items() if fit is not None
        }
        figure = scaling_figure(self.table, lines, self.params["eps"], self.params["metric"])
        if path is not None:
            save_figure(figure, path)
        return figure

    def save(self, path) -> None:
        """Write to .json, .parquet or .csv (by the extension), atomically.

        CSV keeps only the per-data-set table (enough for the fits and the
        plot); JSON and Parquet keep the students' table and curves as well.
        """
        params = {**self.params, "datasets": {name: c.params for name, c in self.sweep.comparisons.items()}}
        frames = {"table": self.table, "students": self.sweep.table, "curves": self.sweep.curves}
        results.write(path, "scaling", params, frames)

    @classmethod
    def from_frames(cls, params: dict, frames: dict) -> Scaling:
        """The scaling experiment saved with these parameters and tables (see :func:`kdfast.results.read`)."""
        students = frames.get("students")
        stored = {"datasets": params.get("datasets", {})}
        sweep = (
            Sweep.from_frames(stored, {"table": students, "curves": frames.get("curves")})
            if students is not None
            else Sweep({})
        )
        return cls(sweep, frames["table"], {k: v for k, v in params.items() if k not in ("datasets", "eps", "metric")})


results.register("scaling", Scaling.from_frames, recognises=lambda table: "soft_neurons" in table.columns)
