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
from ._metrics import LOWER_IS_BETTER, MODES
from .results import atomic_path
from .theory import expected_exponent

LABELS = {
    "mean_loss": "loss averaged over steps",
    "final_loss": "final training loss",
    "test_loss": "test loss",
    "train_acc": "training accuracy",
    "test_acc": "test accuracy",
    "teacher_agreement": "agreement with the teacher (test)",
}
COLORS = dict(zip(MODES, ("tab:blue", "tab:orange")))


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
    """One metric against width on `ax`: seed means for soft and hard, min-max bands."""
    for mode in MODES:
        rows = table[table["mode"] == mode].groupby("width")[metric]
        mean, low, high = rows.mean(), rows.min(), rows.max()
        if mean.isna().all():
            continue
        ax.plot(mean.index, mean.values, "o-", color=COLORS[mode], label=f"{mode} labels", ms=4)
        ax.fill_between(mean.index, low.values, high.values, color=COLORS[mode], alpha=0.2, lw=0)
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
            _draw_comparison(ax, result.table, metric, result.params)
            ax.set_title(name, fontsize=9)
    first = next(iter(comparisons.values()), None)
    if first is not None:
        figure.suptitle(_settings(first.params), fontsize=10)
    return figure


def sweep_figure(summary: pd.DataFrame, metrics, x_values, x_label: str, widths):
    """The soft-minus-hard gap of each metric against difficulty, one line per width.

    `summary` is the stacked per-dataset summary (columns dataset, metric,
    width, gap_mean, gap_sd); `x_values` maps data set name to its position.
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
            ax.errorbar(x, line["gap_mean"], yerr=line["gap_sd"].fillna(0.0), fmt="o-", ms=3, lw=1,
                        capsize=2, color=color, label=f"m = {width}")  # fmt: skip
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
    (-:func:`~kdfast.theory.expected_exponent`: -2 soft, -4 hard) through the geometric mean of the measured points: only the
    slopes are predictions, the constants are unknown.
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
            ax.loglog(gammas[missed], np.full(missed.sum(), ceiling), "^", mfc="none", color=COLORS[mode],
                      label=f"{mode}: not reached (drawn above the top)")  # fmt: skip
        if ok.any():
            g0, m0 = np.exp(np.log(gammas[ok]).mean()), np.exp(np.log(m[ok]).mean())
            ax.loglog(span, m0 * (span / g0) ** -slope, ":", color=COLORS[mode], lw=1, label=f"theory slope −{slope:g}")
        if mode in lines:
            fit, predict = lines[mode]
            lo, hi = fit.exponent_ci
            # The slope of log m against log gamma is -p.
            ax.loglog(span, predict(span), "-", color=COLORS[mode], lw=1.2,
                      label=f"fit: slope {-fit.exponent:+.2f} [{-hi:+.2f}, {-lo:+.2f}]".replace("-", "−"))  # fmt: skip
    relation = "≤" if metric in LOWER_IS_BETTER else "≥"
    ax.set_xlabel("NTK margin γ")
    ax.set_ylabel(f"neurons needed ({LABELS.get(metric, metric)} {relation} {eps:g})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return figure
