"""Figures of comparisons, sweeps and scaling experiments (matplotlib, optional).

Figures are built with matplotlib's object API (no pyplot, so no global
state and no GUI backend is touched) and returned; :func:`save_figure`
writes one atomically.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from . import _validation as check
from ._metrics import DESCRIPTIVE, LOWER_IS_BETTER, MODES
from .results import atomic_path
from .theory import expected_exponent

LABELS = {
    "mean_loss": "loss averaged over steps",
    "final_loss": "final training loss",
    "test_loss": "test loss",
    "train_acc": "training accuracy",
    "test_acc": "test accuracy",
    "teacher_agreement": "agreement with the teacher (test)",
    "test_acc_early": "early-stopped test accuracy",
    "val_acc": "validation accuracy",
    "flipped_fit": "share of flipped labels fitted",
}
COLORS = dict(zip(MODES, ("tab:blue", "tab:orange")))
# Soft groups (teacher, temperature) when a comparison has several: none of them orange, the hard students' colour.
_SOFT_COLORS = ("tab:blue", "tab:green", "tab:purple", "tab:cyan", "tab:olive", "tab:brown", "tab:pink", "tab:gray")


def _figure(n_panels: int, *, rows: int = 1, width: float = 4.6, height: float = 3.6):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install kdfast[plot]") from None
    figure = Figure(figsize=(width * n_panels, height * rows), layout="constrained")
    axes = figure.subplots(rows, n_panels, squeeze=False)
    return figure, (axes[0] if rows == 1 else axes)


def save_figure(figure, path) -> None:
    """Write `figure` to `path` (format from the extension, PNG by default) atomically."""
    check.file_path(path, "path")
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=fmt, dpi=120)


def _log2_width_axis(ax, widths) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths)
    ax.set_xticklabels([str(w) for w in widths], fontsize=8)
    ax.set_xlabel("width m (neurons)")


def _draw_comparison(ax, table: pd.DataFrame, metric: str, params: dict) -> None:
    """One metric against width on `ax`: the hard students and each soft group (teacher, temperature),
    means over students with min-max bands. `table` has the teacher and temperature columns
    (``Comparison.design_table``)."""
    soft = table[table["mode"] == "soft"]
    groups = list(dict.fromkeys(zip(soft["teacher"], soft["temperature"])))
    lines = [("hard labels", table[table["mode"] == "hard"], COLORS["hard"])]
    for i, (teacher, temperature) in enumerate(groups):
        label = "soft labels" if len(groups) == 1 else f"soft: {teacher}, T = {temperature:g}"
        color = COLORS["soft"] if len(groups) == 1 else _SOFT_COLORS[i % len(_SOFT_COLORS)]
        rows = soft[(soft["teacher"] == teacher) & (soft["temperature"] == temperature)]
        lines.insert(i, (label, rows, color))
    for label, rows, color in lines:
        by_width = rows.groupby("width")[metric]
        mean, low, high = by_width.mean(), by_width.min(), by_width.max()
        if mean.isna().all():
            continue
        ax.plot(mean.index, mean.values, "o-", color=color, label=label, ms=4)
        ax.fill_between(mean.index, low.values, high.values, color=color, alpha=0.2, lw=0)
    if metric in LOWER_IS_BETTER and (table[metric] > 0).all():
        ax.set_yscale("log")
    if metric == "test_acc" and params.get("teacher_test_acc") is not None:
        ax.axhline(params["teacher_test_acc"], color="0.4", ls="--", lw=1, label="teacher")
    _log2_width_axis(ax, sorted(table["width"].unique().tolist()))
    ax.set_ylabel(LABELS[metric])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _settings(params: dict) -> str:
    if not params:
        return ""
    teacher = str(params.get("teacher", "")).split("(")[0]
    protocol = params.get("protocol")
    steps = params.get("steps") if protocol is None else "{soft}/{hard} (soft/hard)".format(**protocol["steps"])
    return f"teacher {teacher}, T={params.get('temperature')}, {steps} steps"


def comparison_figure(table: pd.DataFrame, metrics, params: dict):
    """Each metric against width, soft vs hard: seed means, with min-max bands."""
    figure, axes = _figure(len(metrics))
    for ax, metric in zip(axes, metrics):
        _draw_comparison(ax, table, metric, params)
    figure.suptitle(" — ".join(filter(None, [params.get("dataset", ""), _settings(params)])), fontsize=10)
    return figure


def widths_figure(comparisons: dict, metrics):
    """One row per data set, one column per metric: :func:`comparison_figure` stacked."""
    figure, axes = _figure(len(metrics), rows=max(1, len(comparisons)), height=3.0)
    axes = np.atleast_2d(axes)
    for row, (name, result) in zip(axes, comparisons.items()):
        for ax, metric in zip(row, metrics):
            _draw_comparison(ax, result.design_table(), metric, result.params)
            ax.set_title(name, fontsize=9)
    first = next(iter(comparisons.values()), None)
    if first is not None:
        figure.suptitle(_settings(first.params), fontsize=10)
    return figure


def sweep_figure(summary: pd.DataFrame, metrics, x_values, x_label: str, widths):
    """The soft-minus-hard gap of each metric against difficulty, one line per width.

    `summary` is the stacked per-dataset summary of one soft group (columns
    dataset, metric, width, gap_mean, gap_low, gap_high: the bars are the
    summary's 95% bootstrap intervals); `x_values` maps data set name to its position.
    """
    import matplotlib

    figure, axes = _figure(len(metrics))
    cmap = matplotlib.colormaps["viridis"]
    for ax, metric in zip(axes, metrics):
        rows = summary[summary["metric"] == metric]
        for i, width in enumerate(widths):
            line = rows[rows["width"] == width]
            x = np.array([x_values[name] for name in line["dataset"]], dtype=float)
            color = cmap(i / max(1, len(widths) - 1))
            bars = np.stack([line["gap_mean"] - line["gap_low"], line["gap_high"] - line["gap_mean"]])
            ax.errorbar(
                x,
                line["gap_mean"],
                yerr=np.nan_to_num(bars.clip(min=0)),
                fmt="o-",
                ms=3,
                lw=1,
                capsize=2,
                color=color,
                label=f"m = {width}",
            )
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel(x_label)
        ax.set_ylabel(f"{LABELS[metric]}: soft − hard")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    return figure


def sweep_ticks(axes, names, positions) -> None:
    """Label categorical x positions with data set names."""
    for ax in axes:
        ax.set_xticks(positions)
        ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)


def scaling_figure(table: pd.DataFrame, lines: dict, eps: float, metric: str):
    """Neurons needed against gamma (log-log), soft and hard, with fits and the theory's slopes.

    `lines` maps "soft"/"hard" to (ScalingFit, its prediction as a function
    of gamma). The dotted reference lines have the theory's slopes
    (-:func:`~kdfast.theory.expected_exponent`: -2 soft, -4 hard) through
    the geometric mean of the measured points: only the slopes are
    predictions, the constants are unknown.
    """
    figure, axes = _figure(1, width=5.6, height=4.4)
    ax = axes[0]
    gammas = table["gamma"].to_numpy(dtype=float)
    positive = gammas[gammas > 0]
    span = np.geomspace(positive.min(), positive.max(), 50) if positive.size else np.array([])
    measured = table[[f"{mode}_neurons" for mode in MODES]].to_numpy(dtype=float)
    ceiling = 2 * np.nanmax(measured) if np.isfinite(measured).any() else 2.0
    for mode in MODES:
        slope = expected_exponent(mode)
        m = table[f"{mode}_neurons"].to_numpy(dtype=float)
        ok = np.isfinite(m) & (gammas > 0)
        missed = ~np.isfinite(m) & (gammas > 0)
        ax.loglog(gammas[ok], m[ok], "o", color=COLORS[mode], label=f"{mode} labels")
        if missed.any():
            ax.loglog(
                gammas[missed],
                np.full(missed.sum(), ceiling),
                "^",
                mfc="none",
                color=COLORS[mode],
                label=f"{mode}: not reached (drawn above the top)",
            )
        if ok.any():
            g0, m0 = np.exp(np.log(gammas[ok]).mean()), np.exp(np.log(m[ok]).mean())
            label = f"theory slope −{slope:g}"
            ax.loglog(span, m0 * (span / g0) ** -slope, ":", color=COLORS[mode], lw=1, label=label)
        if mode in lines:
            fit, predict = lines[mode]
            lo, hi = fit.exponent_ci
            # The slope of log m against log gamma is -p.
            ax.loglog(
                span,
                predict(span),
                "-",
                color=COLORS[mode],
                lw=1.2,
                label=f"fit: slope {-fit.exponent:+.2f} [{-hi:+.2f}, {-lo:+.2f}]".replace("-", "−"),
            )
    relation = "≤" if metric in LOWER_IS_BETTER else "≥"
    ax.set_xlabel("NTK margin γ")
    ax.set_ylabel(f"neurons needed ({LABELS.get(metric, metric)} {relation} {eps:g})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return figure


_MAP_COLUMNS = ("dataset", "metric", "teacher", "temperature", "width", "gap_mean", "gap_low", "gap_high")
# The smallest colour limit of a regime map, in the metric's own units: the
# resolution of its cell texts (0.1 points, or 0.001 of a loss), so an
# all-zero map, or one of rounding noise, stays pale instead of saturating.
_MAP_FLOOR = 1e-3


def _map_grid(rows: pd.DataFrame, column: str, datasets: list[str], widths: list) -> np.ndarray:
    """One panel's (dataset x width) array of `rows`' `column`, NaN where there is no row."""
    grid = rows.pivot(index="dataset", columns="width", values=column).reindex(index=datasets, columns=widths)
    return grid.to_numpy(dtype=float)


def map_figure(summary: pd.DataFrame, metric: str, datasets: list[str], *, title: str = ""):
    """The regime map: the soft-minus-hard gap of `metric` as heatmaps, width across, data sets down.

    `summary` is the stacked per-dataset summary (one row per data set,
    metric, teacher, temperature and width, with columns gap_mean, gap_low
    and gap_high: the mean soft-minus-hard gap and its 95% interval); only
    its rows for `metric` and the data sets in `datasets` are drawn. One
    panel per (teacher, temperature): teachers as rows of the grid (in the
    order they first appear), temperatures as columns (ascending); a
    combination absent from the summary leaves its panel empty. In every
    panel the data sets run down in the order of `datasets` (first at the
    top) and the widths across, as categories: every width of the metric's
    rows, sorted, so all panels share their columns.

    The colour is gap_mean on a diverging map with limits symmetric about 0
    and shared by all panels (the largest |gap| drawn, at least 0.001), so
    white is no difference; blue always means "soft better": positive for
    accuracies, negative for losses (LOWER_IS_BETTER). For a metric where
    neither way is better (DESCRIPTIVE, such as flipped_fit) purple means
    "soft higher". Each cell shows its gap, in points (x100, one decimal)
    for accuracies and shares, with three decimals for losses; a cell whose
    95% interval excludes 0 (gap_low > 0 or gap_high < 0) shows it in bold
    with a trailing "*". Cells without a finite gap stay grey and blank.

    Raises InputValueError when the summary holds no rows for `metric` or
    a data set in `datasets` has none.
    """
    import matplotlib
    from matplotlib.colors import Normalize
    from matplotlib.ticker import FuncFormatter

    if not isinstance(summary, pd.DataFrame):
        raise check.InputTypeError(f"summary: expected a pandas DataFrame, got {type(summary).__name__}")
    missing = [c for c in _MAP_COLUMNS if c not in summary.columns]
    if missing:
        raise check.InputValueError(f"summary: missing column(s) {', '.join(missing)}")
    if isinstance(datasets, str) or not all(isinstance(name, str) for name in datasets):
        raise check.InputTypeError(f"datasets: expected a list of data set names, got {datasets!r}")
    datasets = list(datasets)
    if not datasets:
        raise check.InputValueError("datasets: empty; name at least one data set")
    if len(set(datasets)) != len(datasets):
        raise check.InputValueError(f"datasets: every name must appear once, got {datasets}")
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        known = ", ".join(map(str, pd.unique(summary["metric"])))
        raise check.InputValueError(f"metric: the summary holds no rows for {metric!r} (it has: {known or 'none'})")
    present = set(rows["dataset"])
    absent = [name for name in datasets if name not in present]
    if absent:
        known = ", ".join(map(str, pd.unique(rows["dataset"])))
        raise check.InputValueError(
            f"datasets: {', '.join(map(repr, absent))} not in the summary for metric {metric!r} (it has: {known})"
        )
    rows = rows[rows["dataset"].isin(datasets)]
    key = ["teacher", "temperature", "dataset", "width"]
    repeated = rows[rows.duplicated(key, keep=False)]
    if not repeated.empty:
        first = repeated.iloc[0]
        raise check.InputValueError(
            f"summary: several rows for metric {metric!r}, teacher {first['teacher']!r}, "
            f"T = {first['temperature']:g}, data set {first['dataset']!r}, width {first['width']}"
        )

    teachers = list(pd.unique(rows["teacher"]))
    temperatures = sorted(pd.unique(rows["temperature"]).tolist())
    widths = sorted(pd.unique(rows["width"]).tolist())
    panels = {}
    for (teacher, temperature), group in rows.groupby(["teacher", "temperature"], sort=False):
        panels[teacher, temperature] = {
            c: _map_grid(group, c, datasets, widths) for c in ("gap_mean", "gap_low", "gap_high")
        }
    drawn = np.concatenate([p["gap_mean"].ravel() for p in panels.values()])
    drawn = drawn[np.isfinite(drawn)]
    limit = max(float(np.abs(drawn).max()) if drawn.size else 0.0, _MAP_FLOOR)

    lower_better = metric in LOWER_IS_BETTER
    points = not lower_better
    if metric in DESCRIPTIVE:
        cmap_name, meaning = "PuOr", "purple = soft higher"
    else:
        cmap_name, meaning = (
            ("RdBu_r", "blue = soft better (lower)") if lower_better else ("RdBu", "blue = soft better")
        )
    cmap = matplotlib.colormaps[cmap_name].with_extremes(bad="0.85")
    norm = Normalize(-limit, limit)

    def cell_text(value: float) -> str:
        return (f"{100 * value:+.1f}" if points else f"{value:+.3f}").replace("-", "−")

    width = 1.6 + 0.55 * len(widths)
    height = 1.2 + 0.38 * len(datasets)
    figure, axes = _figure(len(temperatures), rows=len(teachers), width=width, height=height)
    axes = np.atleast_2d(axes)
    image = None
    for i, teacher in enumerate(teachers):
        named = False  # the data sets are named on the first panel drawn in each row
        for j, temperature in enumerate(temperatures):
            ax = axes[i, j]
            panel = panels.get((teacher, temperature))
            if panel is None:
                ax.set_axis_off()
                continue
            gap = np.ma.masked_invalid(panel["gap_mean"])
            image = ax.imshow(gap, cmap=cmap, norm=norm, aspect="auto", origin="upper", interpolation="nearest")
            sure = (panel["gap_low"] > 0) | (panel["gap_high"] < 0)
            for r, c in zip(*np.nonzero(np.isfinite(panel["gap_mean"]))):
                value = panel["gap_mean"][r, c]
                color = "white" if abs(value) > 0.6 * limit else "black"
                if sure[r, c]:
                    ax.text(
                        c,
                        r,
                        cell_text(value) + "*",
                        ha="center",
                        va="center",
                        fontsize=7,
                        fontweight="bold",
                        color=color,
                    )
                else:
                    ax.text(c, r, cell_text(value), ha="center", va="center", fontsize=6, color=color)
            ax.set_xticks(range(len(widths)))
            ax.set_xticklabels([str(int(w)) if float(w).is_integer() else f"{w:g}" for w in widths], fontsize=7)
            ax.set_yticks(range(len(datasets)))
            ax.set_yticklabels([] if named else datasets, fontsize=7)
            named = True
            ax.tick_params(length=0)
            ax.set_title(f"teacher {teacher}, T = {temperature:g}", fontsize=9)
            if i == len(teachers) - 1 or (teachers[i + 1], temperature) not in panels:
                ax.set_xlabel("width m (neurons)", fontsize=8)
    if image is not None:
        unit = " (points)" if points else ""
        label = f"{LABELS.get(metric, metric)}: soft − hard{unit}\n{meaning}; bold* = 95% interval excludes 0"
        bar = figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, aspect=30)
        bar.set_label(label, fontsize=8)
        if points:
            bar.ax.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _: f"{100 * v:+.3g}".replace("-", "−") if v else "0")
            )
        bar.ax.tick_params(labelsize=7)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure
