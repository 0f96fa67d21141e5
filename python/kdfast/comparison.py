"""The result of :func:`kdfast.compare`: soft- vs hard-label students by width and seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _validation as check
from . import results
from ._metrics import LOWER_IS_BETTER, MODES, check_metric, mean_sd
from .plots import comparison_figure, save_figure

__all__ = ["Comparison"]


class Comparison:
    """Soft- vs hard-label students by width and seed: what :func:`compare` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per student network (mode, width, seed) with its results
        (mean_loss: training loss averaged over all steps, the theory's
        quantity; final_loss; train_acc, test_acc: accuracy against the true
        labels after the last step; test_loss: loss against the student's
        own target on the test set; teacher_agreement: fraction of test
        inputs where the student's sign matches the teacher's; max_drift:
        max over neurons of ||w_s - w_s(0)|| sqrt(m)) and the run's
        parameters. The soft students' loss is the tempered KL to the
        teacher, the hard students' the logistic loss.
    curves : pandas.DataFrame or None
        One row per (network, recorded step): loss, train_acc, test_loss,
        test_acc. None for a comparison loaded from CSV.
    params : dict
        The run's settings, the teacher and its accuracy, timings.
    teacher : the fitted teacher, or None after loading from a file.
    """

    def __init__(
        self, table: pd.DataFrame, curves: pd.DataFrame | None = None, params: dict | None = None, *, teacher=None
    ):
        self.table = table
        self.curves = curves
        self.params = {} if params is None else params
        self.teacher = teacher

    def __repr__(self) -> str:
        t = self.table
        name = t["dataset"].iloc[0] if "dataset" in t.columns and len(t) else "?"
        widths = sorted(t["width"].unique()) if len(t) else []
        span = f"{widths[0]}..{widths[-1]}" if widths else "none"
        return f"Comparison({name!r}, {len(t)} students, widths {span}, {t['seed'].nunique()} seeds)"

    def summary(self, metrics=("mean_loss", "test_acc")) -> pd.DataFrame:
        """Per metric and width: soft and hard mean and sd over seeds, and the gap.

        The gap is soft minus hard, taken seed by seed (the students of a seed
        share their initial weights), then averaged: `gap_mean` and its sd
        over seeds `gap_sd`. Negative gaps in a loss, positive gaps in an
        accuracy favour soft labels.
        """
        if isinstance(metrics, str):
            metrics = (metrics,)
        frames = []
        for metric in metrics:
            wide = self.table.pivot(index=["width", "seed"], columns="mode", values=check_metric(metric))
            wide = wide.reindex(columns=list(MODES))
            wide["gap"] = wide["soft"] - wide["hard"]
            by_width = wide.groupby(level="width")
            frame = pd.concat(
                {f"{c}_{s}": getattr(by_width[c], s)() for c in (*MODES, "gap") for s in ("mean", "std")},
                axis=1,
            ).rename(columns=lambda c: c.replace("_std", "_sd"))
            frame["n_seeds"] = by_width["gap"].count()
            frame = frame.reset_index()
            frame.insert(0, "metric", metric)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def neurons_needed(self, target: float, metric: str = "mean_loss", *, all_wider: bool = False) -> dict:
        """The smallest width whose seed-mean of `metric` reaches `target`.

        A loss reaches the target when it is <= target, an accuracy when it
        is >= target.

        all_wider : bool
            Require every wider measured width to reach the target as well
            (the smallest m from which on the target holds, as in the theory's
            "any width above the bound suffices"). Off by default: with a fixed
            number of steps very wide students can train more slowly (the lazy
            regime) and miss a target that narrower ones reach.

        Returns
        -------
        dict
            {"soft": width or None, "hard": width or None}; None where no
            measured width reaches the target.
        """
        metric = check_metric(metric)
        all_wider = check.flag(all_wider, "all_wider")
        target = check.real_number(target, "target")
        lower = metric in LOWER_IS_BETTER
        if not lower and not 0.0 <= target <= 1.0:
            raise check.InputValueError(f"target: an accuracy target must lie in [0, 1], got {target}")
        means = self.table.groupby(["mode", "width"])[metric].mean()
        if means.isna().all():
            raise check.InputValueError(
                f"metric: {metric} was not measured in this comparison (no test set, or no teacher on it)"
            )
        needed = {}
        for mode in MODES:
            series = means.loc[mode].sort_index()
            reached = ((series <= target) if lower else (series >= target)).to_numpy()
            if all_wider:
                reached = np.flip(np.cumprod(np.flip(reached))).astype(bool)
            needed[mode] = int(series.index[reached.argmax()]) if reached.any() else None
        return needed

    def renamed(self, name: str) -> Comparison:
        """This comparison with its rows and parameters labelled by `name` (a sweep's name of the data set)."""
        self.table["dataset"] = name
        if self.curves is not None:
            self.curves["dataset"] = name
        self.params = {**self.params, "dataset": name, "data_name": self.params.get("dataset")}
        return self

    def report(self, eps: float) -> str:
        """The comparison as text: the run, then per width the soft and hard seed means and their gap.

        eps : the average-loss target of the neurons needed, on the last line.
        """
        p = self.params
        teacher_test = "" if p.get("teacher_test_acc") is None else f", test accuracy {p['teacher_test_acc']:.3f}"
        protocol = p.get("protocol")
        if protocol is None:
            radius = "none" if p["radius"] is None else f"{p['radius']:g} ({p['projection']})"
            budget = f"{p['steps']} steps, lr {p['lr']:g}, radius {radius}"
        else:
            budget = (
                f"protocol eps {protocol['eps']:g} at gamma {protocol['gamma']:.4g}: "
                + ", ".join(f"{mode} {protocol['steps'][mode]} steps, radius {p['radius'][mode]:.4g}" for mode in MODES)
                + f" ({p['projection']}), lr {p['lr']:g}"
            )
        lines = [
            f"data: {p['dataset']}  (n_train {p['n_train']}, n_test {p['n_test']}, d {p['d']})",
            f"teacher: {p['teacher']}: train accuracy {p['teacher_train_acc']:.3f}{teacher_test}",
            f"students: {budget}, soft temperature {p['temperature']:g}, {len(p['seeds'])} seed(s), "
            f"{p['seconds_students']:.1f} s",
        ]
        summary = self.summary(["mean_loss", "test_acc", "teacher_agreement"]).set_index(["metric", "width"])
        columns = [("mean_loss", "avg loss", 4)] + ([("test_acc", "test acc", 3)] if p["n_test"] > 0 else [])
        header = f"{'width':>6}"
        for _, label, _ in columns:
            header += f"  {label + ' soft':>17}  {label + ' hard':>17}  {'gap':>8}"
        lines.append(header)
        for width in p["widths"]:
            line = f"{width:>6}"
            for metric, _, digits in columns:
                row = summary.loc[(metric, width)]
                line += f"  {mean_sd(row.soft_mean, row.soft_sd, digits):>17}  {mean_sd(row.hard_mean, row.hard_sd, digits):>17}"
                line += f"  {row.gap_mean:>+8.{digits}f}"
            lines.append(line)
        needed = self.neurons_needed(eps)
        lines.append(f"neurons needed for avg loss <= {eps:g}: soft {needed['soft'] or 'none within the widths'}, "
                     f"hard {needed['hard'] or 'none within the widths'}")  # fmt: skip
        lines.append("avg loss: training loss averaged over all steps (soft: tempered KL to the teacher; hard: "
                     "logistic); gap: soft - hard, paired by seed; ± sd over seeds")  # fmt: skip
        return "\n".join(lines)

    def plot(self, path=None, *, metrics=("mean_loss", "test_acc")):
        """A figure of each metric against width (log scale), soft vs hard.

        Lines are means over seeds, bands span the seeds' minimum to maximum.
        Saved as PNG when `path` is given (atomically). Needs matplotlib
        (``pip install kdfast[plot]``). Returns the matplotlib Figure.
        """
        if isinstance(metrics, str):
            metrics = (metrics,)
        figure = comparison_figure(self.table, [check_metric(m) for m in metrics], self.params)
        if path is not None:
            save_figure(figure, path)
        return figure

    def save(self, path) -> None:
        """Write to .json, .parquet or .csv (by the extension), atomically; see :mod:`kdfast.results`."""
        results.write(path, "comparison", self.params, {"table": self.table, "curves": self.curves})

    @classmethod
    def from_frames(cls, params: dict, frames: dict) -> Comparison:
        """The comparison saved with these parameters and tables (see :func:`kdfast.results.read`)."""
        return cls(frames["table"], frames.get("curves"), params)


def _one_data_set(table: pd.DataFrame) -> bool:
    return "soft_neurons" not in table.columns and ("dataset" not in table.columns or table["dataset"].nunique() <= 1)


results.register("comparison", Comparison.from_frames, recognises=_one_data_set)
