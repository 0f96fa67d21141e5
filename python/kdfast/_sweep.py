"""One comparison per data set (e.g. per difficulty level), serially or on any executor.

:func:`sweep` runs :func:`~kdfast.compare` on each data set. Given a
``concurrent.futures.Executor`` — a ``ProcessPoolExecutor``, or a Dask
cluster's ``Client.get_executor()`` — the comparisons run as independent
jobs; every job gets its own thread count, and the results are identical
to a serial run (the engine's results do not depend on thread counts).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import warnings
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from . import _validation as check
from . import results
from ._jobs import run_jobs
from ._metrics import MODES, check_metric
from .comparison import Comparison
from .datasets import Dataset
from .experiments import compare
from ._margin import margin
from .plots import map_figure, save_figure, sweep_figure, sweep_ticks, widths_figure
from .teachers import ArrayTeacher

__all__ = ["Sweep", "comparisons", "job_threads", "named_datasets", "sweep"]

_PLOT_LINES = 4  # widths drawn by Sweep.plot unless chosen


def named_datasets(datasets, kind: type = Dataset, compare_name: str = "kdfast.compare") -> dict:
    """A dict name -> data set from a dict or a sequence of data sets of `kind` (named by their .name).

    kind : the data sets' class (kdfast's Dataset, or kdfast.deep's ImageData);
    compare_name : the function to use for a single data set, named in the message.
    """
    what = f"kdfast {kind.__name__}"
    if isinstance(datasets, kind):
        raise check.InputTypeError(
            f"datasets: expected a dict or a list of {kind.__name__}s, "
            f"got a single {kind.__name__} (use {compare_name})"
        )
    if isinstance(datasets, dict):
        items = list(datasets.items())
        for name, _ in items:
            if not isinstance(name, str) or not name:
                raise check.InputTypeError(f"datasets: names must be non-empty strings, got {name!r}")
    else:
        try:
            items = [(getattr(d, "name", None), d) for d in datasets]
        except TypeError:
            raise check.InputTypeError(
                f"datasets: expected a dict or a list of {kind.__name__}s, got {type(datasets).__name__}"
            ) from None
        names = [name for name, _ in items]
        repeated = sorted({n for n in names if names.count(n) > 1 and n is not None})
        if repeated:
            raise check.InputValueError(
                f"datasets: several data sets are named {repeated[0]!r}; pass a dict to name them"
            )
    if not items:
        raise check.InputValueError("datasets: empty")
    for name, data in items:
        if not isinstance(data, kind):
            raise check.InputTypeError(f"datasets: {name!r} is a {type(data).__name__}, not a {what}")
    return dict(items)


def comparisons(compare_fn, named: dict, compare_kwargs: dict, *, margins: dict, executor, progress, desc) -> Sweep:
    """``compare_fn(data, **compare_kwargs)`` on each named data set, as jobs: a Sweep.

    Each job's comparison is labelled with its name and, when measured, its margin row.
    """
    jobs = {
        name: (compare_fn, name, data, _with_margin(_job_for(compare_kwargs), margins.get(name)), margins.get(name))
        for name, data in named.items()
    }
    return Sweep(run_jobs(_compare_job, jobs, executor=executor, progress=progress, desc=desc))


# The margin's columns in a sweep's table (constant within a data set).
GAMMA_COLUMNS = ("gamma", "gamma_low", "gamma_high", "gamma_lower_bound", "gamma_upper_bound", "margin_converged")


def _margin_row(data: Dataset, margin_params: dict, n_threads) -> tuple[dict, list[str]]:
    """gamma of the data set's clean training labels, its interval and bounds; and the solver's warnings.

    The margin solver warns when it stops early or the data cannot be
    separated; a worker's warnings would be lost, so they travel back with
    the result and are raised again by the caller.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate = margin(data.X_train, data.y_train_clean, n_threads=n_threads, **margin_params)
    low, high = estimate.gamma_ci
    bounds = (np.nan if b is None else b for b in (estimate.lower, estimate.upper))
    row = dict(zip(GAMMA_COLUMNS, (estimate.gamma, low, high, *bounds, bool(estimate.converged))))
    return row, [str(w.message) for w in caught]


def _compare_job(compare_fn, name: str, data, kwargs: dict, margin_row: dict | None) -> Comparison:
    result = compare_fn(data, progress=False, **kwargs).renamed(name)
    return result if margin_row is None else result.with_margin(margin_row)


def _with_margin(kwargs: dict, row: dict | None) -> dict:
    """A job's keyword arguments; a protocol without a gamma of its own takes the one the sweep measured."""
    protocol = kwargs.get("protocol")
    if row and protocol is not None and protocol.gamma is None:
        kwargs = {**kwargs, "protocol": dataclasses.replace(protocol, gamma=row["gamma"])}
    return kwargs


def _task(data: Dataset) -> str:
    """A fingerprint of the clean task (training inputs and clean labels): noisy copies of one task share it."""
    digest = hashlib.sha256()
    for arr in (data.X_train, data.y_train_clean):
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        digest.update(str(arr.shape).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _margins(named: dict, margin_params: dict, *, executor, n_threads, progress) -> dict[str, dict]:
    """Each data set's margin row, computed once per clean task (its noisy versions share gamma)."""
    tasks = {name: _task(data) for name, data in named.items()}
    first: dict[str, str] = {}
    for name, task in tasks.items():
        first.setdefault(task, name)
    jobs = {name: (named[name], margin_params, n_threads) for name in first.values()}
    rows = run_jobs(_margin_row, jobs, executor=executor, progress=progress, desc="margins")
    for name, (_, notes) in rows.items():
        for note in notes:
            warnings.warn(f"{name}: {note}", UserWarning, stacklevel=3)
    return {name: rows[first[task]][0] for name, task in tasks.items()}


def job_threads(n_threads, executor) -> int | None:
    """Each job's threads: without an explicit count, one per job run by an executor, so
    that parallel jobs do not oversubscribe the machine."""
    return 1 if n_threads is None and executor is not None else n_threads


def _job_kwargs(compare_kwargs: dict, executor, n_threads) -> dict:
    kwargs = dict(compare_kwargs)
    teacher = kwargs.get("teacher")
    if isinstance(teacher, (np.ndarray, ArrayTeacher)):
        raise check.InputValueError("teacher: outputs given as arrays belong to one data set; use kdfast.compare")
    kwargs["n_threads"] = job_threads(n_threads, executor)
    return kwargs


def _job_for(kwargs: dict) -> dict:
    """One job's keyword arguments: a teacher object is copied, so that jobs
    (possibly running at once in threads) never refit each other's teacher."""
    job = dict(kwargs)
    if job.get("teacher") is not None and not isinstance(job["teacher"], str):
        job["teacher"] = copy.deepcopy(job["teacher"])
    return job


def sweep(
    datasets,
    *,
    gamma: bool = False,
    margin_params: dict | None = None,
    executor: Executor | None = None,
    n_threads=None,
    progress: bool | None = None,
    **compare_kwargs,
) -> Sweep:
    """:func:`~kdfast.compare` on each data set, e.g. one per difficulty level.

    Parameters
    ----------
    datasets : dict name -> Dataset, or a list of Datasets (named by ``.name``)
    gamma : bool
        Also measure each data set's NTK margin gamma with :func:`kdfast.margin`
        on its clean training labels (``Dataset.y_train_clean``: the
        difficulty of the noise-free task), as jobs on the same executor,
        once per clean task (noisy versions of one data set share it). The
        table then has the columns gamma, gamma_low, gamma_high (the ~95%
        interval), gamma_lower_bound, gamma_upper_bound (the certified
        bounds, NaN when not computed) and margin_converged, and
        ``plot(x="gamma")`` draws the gaps against gamma.
    margin_params : dict, optional
        Keyword arguments of :func:`kdfast.margin` (n_samples, seed, tol,
        bounds, ...); implies ``gamma=True``.
    executor : concurrent.futures.Executor, optional
        Runs the comparisons as parallel jobs: e.g. ``ProcessPoolExecutor``
        or a Dask ``Client.get_executor()`` (``pip install kdfast[dask]``).
        None: one after the other, here.
    n_threads : None or int
        Threads of each comparison. With an executor, None means 1 per job:
        set it to your workers' threads per worker to use them.
    progress : None, True or False
        A progress bar over the data sets; None: only on a terminal.
    **compare_kwargs
        Passed to :func:`~kdfast.compare` (teacher, widths, seeds, steps,
        lr, radius, projection, temperature, ...). A teacher object is
        copied for each data set.

    Returns
    -------
    Sweep
    """
    gamma = check.flag(gamma, "gamma") or margin_params is not None
    margin_params = check.keywords(margin_params, "margin_params") if gamma else None
    kwargs = _job_kwargs(compare_kwargs, executor, n_threads)
    named = named_datasets(datasets)
    margins = (
        {}
        if margin_params is None
        else _margins(named, margin_params, executor=executor, n_threads=kwargs["n_threads"], progress=progress)
    )
    return comparisons(compare, named, kwargs, margins=margins, executor=executor, progress=progress, desc="sweep")


def _stack(frames: dict[str, pd.DataFrame | None]) -> pd.DataFrame | None:
    present = [f for f in frames.values() if f is not None]
    return pd.concat(present, ignore_index=True) if present else None


class Sweep:
    """Comparisons on several data sets: what :func:`sweep` returns.

    Attributes
    ----------
    comparisons : dict name -> Comparison, in the order of the data sets.
    table : pandas.DataFrame
        All comparisons' tables stacked; the ``dataset`` column holds the
        sweep's names.
    curves : pandas.DataFrame or None
        All comparisons' curves stacked (None when loaded from CSV).
    """

    def __init__(self, comparisons: dict[str, Comparison]):
        self.comparisons = dict(comparisons)

    def __repr__(self) -> str:
        return f"Sweep({len(self.comparisons)} data sets: {', '.join(self.comparisons)})"

    @property
    def table(self) -> pd.DataFrame | None:
        """All comparisons' tables stacked (None for a sweep of no data sets)."""
        return _stack({n: c.table for n, c in self.comparisons.items()})

    @property
    def curves(self) -> pd.DataFrame | None:
        if any(c.curves is None for c in self.comparisons.values()):
            return None
        return _stack({n: c.curves for n, c in self.comparisons.items()})

    def summary(self, metrics=("mean_loss", "test_acc")) -> pd.DataFrame:
        """Each comparison's :meth:`~kdfast.Comparison.summary`, with a dataset column first."""
        frames = []
        for name, result in self.comparisons.items():
            frame = result.summary(metrics)
            frame.insert(0, "dataset", name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def neurons_needed(
        self, target: float | None = None, metric: str | None = None, *, acc=None, all_wider: bool = False
    ) -> pd.DataFrame:
        """Per data set, :meth:`~kdfast.Comparison.neurons_needed`, with a dataset column first.

        With `target`: columns dataset, soft, hard (<NA>: not reached). With
        `acc`: each comparison's table of soft groups with intervals, stacked.
        """
        if acc is not None:
            frames = [
                result.neurons_needed(target, metric, acc=acc, all_wider=all_wider).assign(dataset=name)
                for name, result in self.comparisons.items()
            ]
            out = pd.concat(frames, ignore_index=True)
            return out[["dataset", *[c for c in out.columns if c != "dataset"]]]
        rows = [
            {"dataset": name, **result.neurons_needed(target, metric, all_wider=all_wider)}
            for name, result in self.comparisons.items()
        ]
        frame = pd.DataFrame(rows, columns=["dataset", *MODES])
        return frame.astype({mode: "Int64" for mode in MODES})

    def groups(self) -> list[tuple[str, float]]:
        """The soft students' (teacher, temperature) groups over all data sets, in order of appearance."""
        return list(dict.fromkeys(g for c in self.comparisons.values() for g in c.groups()))

    @property
    def margins(self) -> pd.DataFrame | None:
        """One row per data set: gamma, its interval and bounds (None unless the sweep measured gamma)."""
        table = self.table
        if table is None or "gamma" not in table.columns:
            return None
        return table.groupby("dataset", sort=False)[list(GAMMA_COLUMNS)].first().reset_index()

    def difficulty(self, x: str) -> dict:
        """Each data set's value of the data parameter `x` (e.g. "d" or "separation"), or its "gamma"."""
        if x == "gamma":
            margins = self.margins
            if margins is None:
                raise check.InputValueError("x: this sweep did not measure gamma (run it with gamma=True)")
            return dict(zip(margins["dataset"], margins["gamma"].astype(float)))
        values = {}
        for name, result in self.comparisons.items():
            value = result.params.get("data_params", {}).get(x)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise check.InputValueError(f"x: data set {name!r} has no numeric parameter {x!r}")
            values[name] = float(value)
        return values

    def report(self, eps: float) -> str:
        """Each comparison's :meth:`~kdfast.Comparison.report`, under its name and, when measured, its gamma."""
        parts = []
        for name, comparison in self.comparisons.items():
            lines = [f"\n== {name}"]
            row = comparison.params.get("margin")
            if row is not None:
                lines.append(
                    f"gamma = {row['gamma']:.5f}, 95% interval [{row['gamma_low']:.5f}, {row['gamma_high']:.5f}] "
                    "(NTK margin of the clean training labels)"
                )
            parts.append("\n".join([*lines, comparison.report(eps)]))
        return "\n".join(parts)

    def plot(
        self, path=None, *, metrics=("mean_loss", "test_acc"), x: str | None = None, widths=None, kind: str = "gap"
    ):
        """The soft-minus-hard gap against the data sets: lines per width, or the regime map.

        kind : "gap" (default): each metric's gap against the data sets, one
            line per width; "map": the gap of the first metric as heatmaps,
            width x data set, one panel per teacher and temperature, cells
            whose 95% interval excludes 0 marked (see :meth:`Comparison.summary`).
        x : a data parameter to put on the horizontal axis (e.g. "d" for
            xor2, "separation" for gaussians), "gamma" for the NTK margin
            (a sweep run with gamma=True); None: the data sets in order.
            Only for kind "gap".
        widths : the widths to draw
            (default: up to four across the grid; kind "gap").

        Saved as PNG when `path` is given. Returns the matplotlib Figure.
        """
        kind = check.choice(kind, "kind", ("gap", "map"))
        if isinstance(metrics, str):
            metrics = (metrics,)
        metrics = [check_metric(m) for m in metrics]
        names = list(self.comparisons)
        if kind == "map":
            if x is not None or widths is not None:
                raise check.InputValueError("x, widths: only for kind='gap'; the map shows every width and data set")
            figure = map_figure(self.summary(metrics[:1]), metrics[0], names)
        else:
            figure = self._gap_figure(metrics, names, x, widths)
        if path is not None:
            save_figure(figure, path)
        return figure

    def _gap_figure(self, metrics: list[str], names: list[str], x: str | None, widths):
        groups = self.groups()
        if len(groups) > 1:
            raise check.InputValueError(
                f"kind: 'gap' draws one soft group, this sweep has {len(groups)} (teachers x temperatures); "
                "use kind='map'"
            )
        grid = sorted({w for c in self.comparisons.values() for w in c.table["width"].tolist()})
        if widths is None:
            picks = np.unique(np.round(np.linspace(0, len(grid) - 1, min(_PLOT_LINES, len(grid)))).astype(int))
            widths = [grid[i] for i in picks]
        else:
            missing = [w for w in widths if w not in grid]
            if missing:
                raise check.InputValueError(f"widths: {missing} were not trained (widths: {grid})")
        positions = self.difficulty(x) if x is not None else {name: float(i) for i, name in enumerate(names)}
        figure = sweep_figure(self.summary(metrics), metrics, positions, x or "data set", list(widths))
        if x is None:
            sweep_ticks(figure.axes, names, list(positions.values()))
        return figure

    def plot_widths(self, path=None, *, metrics=("mean_loss", "test_acc")):
        """Each data set's comparison plot (metrics against width), one row per data set.

        Saved as PNG when `path` is given. Returns the matplotlib Figure.
        """
        if isinstance(metrics, str):
            metrics = (metrics,)
        figure = widths_figure(self.comparisons, [check_metric(m) for m in metrics])
        if path is not None:
            save_figure(figure, path)
        return figure

    def save(self, path) -> None:
        """Write to .json, .parquet or .csv (by the extension), atomically; see :mod:`kdfast.results`."""
        params = {"datasets": {name: c.params for name, c in self.comparisons.items()}}
        results.write(path, "sweep", params, {"table": self.table, "curves": self.curves})

    @classmethod
    def from_frames(cls, params: dict, frames: dict) -> Sweep:
        """The sweep saved with these parameters and tables (see :func:`kdfast.results.read`)."""
        table, curves = frames["table"], frames.get("curves")
        stored = params.get("datasets", {})
        names = list(stored) or list(dict.fromkeys(table["dataset"]))
        comparisons = {}
        for name in names:
            rows = table[table["dataset"] == name].reset_index(drop=True)
            lines = None if curves is None else curves[curves["dataset"] == name].reset_index(drop=True)
            comparisons[name] = Comparison(rows, lines, stored.get(name, {}))
        return cls(comparisons)


def _several_data_sets(table: pd.DataFrame) -> bool:
    return "soft_neurons" not in table.columns and "dataset" in table.columns and table["dataset"].nunique() > 1


results.register("sweep", Sweep.from_frames, recognises=_several_data_sets)
