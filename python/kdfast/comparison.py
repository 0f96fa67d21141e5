"""The result of :func:`kdfast.compare`: soft- vs hard-label students by width and seed."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from . import _validation as check
from . import results
from ._intervals import mean_interval, resampled_units
from ._metrics import ACCURACIES, LOWER_IS_BETTER, MODES, check_metric
from ._report import students_of, width_lines
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
        self._table = table
        self._curves = curves
        self._params = {} if params is None else params
        self._teacher = teacher

    # A result does not change once made: methods that label it (renamed,
    # with_margin) return a copy.
    @property
    def table(self) -> pd.DataFrame:
        return self._table

    @property
    def curves(self) -> pd.DataFrame | None:
        return self._curves

    @property
    def params(self) -> dict:
        return self._params

    @property
    def teacher(self):
        return self._teacher

    def __repr__(self) -> str:
        t = self.table
        name = t["dataset"].iloc[0] if "dataset" in t.columns and len(t) else "?"
        widths = sorted(t["width"].unique()) if len(t) else []
        span = f"{widths[0]}..{widths[-1]}" if widths else "none"
        return f"Comparison({name!r}, {len(t)} students, widths {span}, {t['seed'].nunique()} seeds)"

    def design_table(self) -> pd.DataFrame:
        """The table with the columns of the current design: a table saved before replicates and several
        teachers existed gets replicate 0 and its one teacher's name on the soft rows."""
        table = self.table
        if "replicate" not in table.columns:
            table = table.assign(replicate=np.int64(0))
        if "teacher" not in table.columns:
            name = (self.params.get("teacher_names") or [str(self.params.get("teacher", "teacher")).split("(")[0]])[0]
            table = table.assign(teacher=pd.Series(np.where(table["mode"] == "soft", name, None), index=table.index))
        if "temperature" not in table.columns:
            table = table.assign(
                temperature=np.where(table["mode"] == "soft", self.params.get("temperature", 1.0), 1.0)
            )
        return table

    def summary(self, metrics=("mean_loss", "test_acc"), *, confidence: float = 0.95) -> pd.DataFrame:
        """Per metric, soft group (teacher, temperature) and width: soft and hard means, and the paired gap.

        The gap is soft minus hard, taken student by student (the students
        of a seed and replicate share their initial weights and data), then
        averaged: `gap_mean`, its sd over students `gap_sd`, and a
        `confidence` bootstrap interval `gap_low`..`gap_high` of the mean over
        replicates, each replicate's seeds averaged first (`interval_over`
        says "replicates"; with one replicate the interval is over seeds and
        says "seeds"). Negative gaps in a loss, positive gaps in an accuracy
        favour soft labels. `teacher_test_acc` is the teacher's test
        accuracy (mean over replicates) and `teacher_advantage` that minus
        the hard students' mean test accuracy at the width: whether there
        was anything to distil.
        """
        if isinstance(metrics, str):
            metrics = (metrics,)
        confidence = check.real_number(confidence, "confidence", minimum=0, maximum=1, exclusive=True)
        table = self.design_table()
        keys = ["replicate", "width", "seed"]
        hard = table[table["mode"] == "hard"]
        soft = table[table["mode"] == "soft"]
        group = ["teacher", "temperature", "width"]
        frames = []
        for metric in metrics:
            metric = check_metric(metric)
            pairs = soft[[*keys, "teacher", "temperature", metric]].merge(
                hard[[*keys, metric]], on=keys, suffixes=("_soft", "_hard")
            )
            pairs = pairs.rename(columns={f"{metric}_soft": "soft", f"{metric}_hard": "hard"})
            pairs["gap"] = pairs["soft"] - pairs["hard"]
            by = pairs.groupby(group, sort=False)
            frame = pd.concat(
                {f"{c}_{s}": getattr(by[c], s)() for c in (*MODES, "gap") for s in ("mean", "std")}, axis=1
            ).rename(columns=lambda c: c.replace("_std", "_sd"))
            frame["n_seeds"] = by["seed"].nunique()
            frame["n_replicates"] = by["replicate"].nunique()
            over = "replicates" if table["replicate"].nunique() > 1 else "seeds"
            unit = "replicate" if over == "replicates" else "seed"
            bounds = {name: mean_interval(rows.groupby(unit)["gap"].mean(), confidence) for name, rows in by}
            frame["gap_low"] = [bounds[name][0] for name in frame.index]
            frame["gap_high"] = [bounds[name][1] for name in frame.index]
            frame["interval_over"] = over
            frame = frame.reset_index()
            frame.insert(0, "metric", metric)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        return self._with_teacher_advantage(out, table)

    @staticmethod
    def _with_teacher_advantage(summary: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
        if "teacher_test_acc" not in table.columns or "test_acc" not in table.columns:
            return summary.assign(teacher_test_acc=np.nan, teacher_advantage=np.nan)
        soft = table[table["mode"] == "soft"]
        teacher = soft.groupby(["teacher", "temperature", "replicate"])["teacher_test_acc"].first()
        teacher = teacher.groupby(level=["teacher", "temperature"]).mean().rename("teacher_test_acc")
        hard = table[table["mode"] == "hard"].groupby("width")["test_acc"].mean().rename("hard_test_acc")
        out = summary.merge(teacher.reset_index(), on=["teacher", "temperature"], how="left")
        out = out.merge(hard.reset_index(), on="width", how="left")
        out["teacher_advantage"] = out["teacher_test_acc"] - out.pop("hard_test_acc")
        return out

    def groups(self) -> list[tuple[str, float]]:
        """The soft students' (teacher, temperature) groups, in the table's order."""
        soft = self.design_table()
        soft = soft[soft["mode"] == "soft"]
        return list(dict.fromkeys(zip(soft["teacher"], soft["temperature"].astype(float))))

    def neurons_needed(
        self,
        target: float | None = None,
        metric: str | None = None,
        *,
        acc=None,
        all_wider: bool = False,
        confidence: float = 0.95,
    ):
        """The smallest width that reaches a target: of a loss or accuracy (a dict), or of an accuracy with intervals.

        ``neurons_needed(target, metric)``: the smallest width whose mean of
        `metric` (default "mean_loss"; over seeds and replicates) reaches `target` (a loss when
        <= target, an accuracy when >= target), for a comparison with one
        soft group. Returns {"soft": width or None, "hard": width or None}.

        ``neurons_needed(acc=...)``: for every soft group (teacher,
        temperature), the smallest width whose mean test accuracy (`metric`,
        default "test_acc", or another accuracy: "test_acc_early", ...)
        reaches `acc`, for the soft and the hard students, with `confidence`
        bootstrap intervals (resampling replicates; seeds with one
        replicate) and the ratio hard / soft. `acc` is an accuracy in
        [0, 1], or "teacher" / "teacher-0.01": the group's teacher's test
        accuracy (each replicate's own) less that much. Returns a DataFrame,
        one row per group: teacher, temperature, target (mean over
        replicates), soft, soft_low, soft_high, hard, hard_low, hard_high,
        ratio, ratio_low, ratio_high, soft_censored, hard_censored. A width
        not reached within the grid is inf ("above" in ``*_censored``: the need
        is beyond the widest student); one reached at the narrowest width
        is an upper bound ("floor"). Neither is a point: never fit one as such.

        all_wider : bool
            Require every wider measured width to reach the target as well
            (the smallest m from which on the target holds, as in the theory's
            "any width above the bound suffices"). Off by default: with a fixed
            number of steps very wide students can train more slowly (the lazy
            regime) and miss a target that narrower ones reach.
        """
        all_wider = check.flag(all_wider, "all_wider")
        if acc is not None:
            if target is not None:
                raise check.InputValueError("acc: give either target or acc, not both")
            return self._needed_for_accuracy(acc, metric or "test_acc", all_wider, confidence)
        if target is None:
            raise check.InputValueError("target: give a target (a loss or an accuracy) or acc=...")
        metric = check_metric(metric or "mean_loss")
        target = check.real_number(target, "target")
        lower = metric in LOWER_IS_BETTER
        if not lower and not 0.0 <= target <= 1.0:
            raise check.InputValueError(f"target: an accuracy target must lie in [0, 1], got {target}")
        table = self.design_table()
        if len(self.groups()) > 1:
            raise check.InputValueError(
                f"target: this comparison has {len(self.groups())} soft groups (teachers x temperatures); "
                "use neurons_needed(acc=...) for a table of them"
            )
        means = table.groupby(["mode", "width"])[metric].mean()
        if means.isna().all():
            raise check.InputValueError(
                f"metric: {metric} was not measured in this comparison (no test set, or no teacher on it)"
            )
        needed = {}
        for mode in MODES:
            width = needed_width(means.loc[mode].sort_index(), target, lower, all_wider)
            needed[mode] = None if math.isinf(width) else int(width)
        return needed

    def _needed_for_accuracy(self, acc, metric: str, all_wider: bool, confidence: float) -> pd.DataFrame:
        metric = check.choice(metric, "metric", ACCURACIES)
        confidence = check.real_number(confidence, "confidence", minimum=0, maximum=1, exclusive=True)
        offset = _relative_accuracy(acc)
        table = self.design_table()
        if metric not in table.columns or table[metric].isna().all():
            raise check.InputValueError(f"metric: {metric} was not measured in this comparison")
        unit = "replicate" if table["replicate"].nunique() > 1 else "seed"
        hard = table[table["mode"] == "hard"].pivot_table(index=unit, columns="width", values=metric, aggfunc="mean")
        rows = []
        draws = resampled_units(len(hard.index))
        for teacher, temperature in self.groups():
            soft_rows = table[
                (table["mode"] == "soft") & (table["teacher"] == teacher) & (table["temperature"] == temperature)
            ]
            soft = soft_rows.pivot_table(index=unit, columns="width", values=metric, aggfunc="mean")
            soft, group_hard = soft.align(hard, join="inner", axis=None)
            if offset is None:
                targets = np.full(len(soft.index), check.real_number(acc, "acc", minimum=0, maximum=1))
            else:
                reference = soft_rows.groupby(unit)["teacher_test_acc"].mean().reindex(soft.index).to_numpy()
                if not np.isfinite(reference).all():
                    raise check.InputValueError("acc: the teacher's test accuracy is unknown (no test outputs)")
                targets = reference - offset
            point, low, high = _needed_interval(
                soft.to_numpy(), group_hard.to_numpy(), targets, soft.columns.to_numpy(), all_wider, draws, confidence
            )
            row = {"teacher": teacher, "temperature": temperature, "target": float(targets.mean())}
            for i, name in enumerate(("soft", "hard", "ratio")):
                row.update({name: point[i], f"{name}_low": low[i], f"{name}_high": high[i]})
            row.update(
                soft_censored=_censoring(point[0], soft.columns), hard_censored=_censoring(point[1], soft.columns)
            )
            rows.append(row)
        out = pd.DataFrame(rows)
        out["interval_over"] = "replicates" if unit == "replicate" else "seeds"
        return out

    def renamed(self, name: str) -> Comparison:
        """A copy of this comparison with its rows and parameters labelled by `name` (a sweep's name for its data)."""
        table = self.table.assign(dataset=name)
        curves = None if self.curves is None else self.curves.assign(dataset=name)
        params = {**self.params, "dataset": name, "data_name": self.params.get("dataset")}
        return Comparison(table, curves, params, teacher=self.teacher)

    def with_margin(self, margin: dict) -> Comparison:
        """A copy with the data set's margin: its values as constant table columns and under params["margin"]."""
        return Comparison(
            self.table.assign(**margin), self.curves, {**self.params, "margin": dict(margin)}, teacher=self.teacher
        )

    def report(self, eps: float | None = None) -> str:
        """The comparison as text: the run, then per soft group and width the soft and hard means and their gap.

        The same layout for two-layer and deep students, and for a comparison
        loaded from a file (from a CSV file, which keeps no parameters, the
        lines they would fill are shorter).

        eps : optional; the average-loss target of the neurons needed, on each group's last line.
        """
        p = self.params
        table = self.design_table()
        students = students_of(p, table)
        replicates = int(table["replicate"].nunique())
        seconds = f", {p['seconds_students']:.1f} s" if "seconds_students" in p else ""
        lines = [
            _data_line(p, table, students, replicates),
            f"students: {students.training(p, table)}, {table['seed'].nunique()} seed(s){seconds}",
        ]
        columns = [c for c in students.columns if not table[c[0]].isna().all()]
        summary = self.summary(list(dict.fromkeys(["mean_loss", *(metric for metric, _, _ in columns)])))
        widths = sorted(table["width"].unique().tolist())
        groups = self.groups()
        for teacher, temperature in groups:
            rows = summary[(summary["teacher"] == teacher) & (summary["temperature"] == temperature)]
            described = p.get("teacher", teacher) if len(groups) == 1 else teacher
            lines.append(self._teacher_line(table, teacher, temperature, described))
            lines += width_lines(rows.set_index(["metric", "width"]), columns, widths, replicates > 1)
            if eps is not None:
                in_group = (table["mode"] == "hard") | (
                    (table["teacher"] == teacher) & (table["temperature"] == temperature)
                )
                needed = Comparison(table[in_group], None, p).neurons_needed(eps)
                lines.append(
                    f"neurons needed for avg loss <= {eps:g}: soft {needed['soft'] or 'none within the widths'}, "
                    f"hard {needed['hard'] or 'none within the widths'}"
                )
        spread = "interval: 95% bootstrap over replicates" if replicates > 1 else "± sd over seeds"
        lines.append(f"{students.legend}; gap: soft - hard, paired by seed; {spread}")
        return "\n".join(lines)

    def _teacher_line(self, table: pd.DataFrame, teacher: str, temperature: float, described) -> str:
        rows = table[(table["teacher"] == teacher) & (table["temperature"] == temperature)]
        if "teacher_test_acc" in rows.columns:
            train = rows.groupby("replicate")["teacher_train_agreement"].first().mean()
            test = rows.groupby("replicate")["teacher_test_acc"].first().mean()
        else:  # a table saved before these columns: the run's parameters
            train, test = self.params.get("teacher_train_acc"), self.params.get("teacher_test_acc")
        measured = {"train": train, "test": test}
        known = [f"{what} accuracy {v:.3f}" for what, v in measured.items() if v is not None and np.isfinite(v)]
        return f"teacher: {described}: {', '.join(known) or 'accuracy not saved'}; soft temperature {temperature:g}"

    def plot(self, path=None, *, metrics=("mean_loss", "test_acc")):
        """A figure of each metric against width (log scale), soft vs hard.

        Lines are means over seeds, bands span the seeds' minimum to maximum.
        Saved as PNG when `path` is given (atomically). Needs matplotlib
        (``pip install kdfast[plot]``). Returns the matplotlib Figure.
        """
        if isinstance(metrics, str):
            metrics = (metrics,)
        figure = comparison_figure(self.design_table(), [check_metric(m) for m in metrics], self.params)
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


def needed_width(curve: pd.Series, target: float, lower: bool, all_wider: bool) -> float:
    """The smallest width (the curve's index, sorted) whose value reaches `target`; inf when none does."""
    curve = curve.sort_index()
    values = curve.to_numpy(dtype=np.float64)
    reached = (values <= target) if lower else (values >= target)
    if all_wider:
        reached = np.flip(np.cumprod(np.flip(reached))).astype(bool)
    return float(curve.index[int(reached.argmax())]) if reached.any() else math.inf


def _needed_interval(soft, hard, targets, widths, all_wider: bool, draws, confidence: float):
    """Neurons needed (soft, hard, hard / soft) from (units, widths) accuracies, and their bootstrap interval.

    Each resample of the units (replicates, or seeds) averages its curves
    and targets and reads the needed widths off them; the interval's ends
    are resampled values (no interpolation between a width and inf).
    """
    widths = np.asarray(widths, dtype=np.float64)
    order = np.argsort(widths)
    soft, hard, widths = soft[:, order], hard[:, order], widths[order]

    def needed(curves: np.ndarray, goals: np.ndarray) -> np.ndarray:
        """(R,) widths from (R, W) curves and (R,) goals: the first width reached (with all_wider: from which on)."""
        reached = curves >= goals[:, None]
        if all_wider:
            reached = np.flip(np.cumprod(np.flip(reached, axis=1), axis=1), axis=1).astype(bool)
        return np.where(reached.any(axis=1), widths[reached.argmax(axis=1)], math.inf)

    def statistic(index: np.ndarray) -> np.ndarray:
        """(R, 3): soft, hard and their ratio for R resamples of unit indices (R, units)."""
        goals = targets[index].mean(axis=1)
        s, h = needed(soft[index].mean(axis=1), goals), needed(hard[index].mean(axis=1), goals)
        with np.errstate(invalid="ignore"):  # inf / inf: neither reached, no ratio
            return np.stack([s, h, h / s], axis=1)

    point = statistic(np.arange(soft.shape[0])[None, :])[0]
    boot = statistic(draws)
    alpha = (1 - confidence) / 2
    low = np.percentile(boot, 100 * alpha, axis=0, method="lower")
    high = np.percentile(boot, 100 * (1 - alpha), axis=0, method="higher")
    return point, low, high


def _censoring(width: float, widths) -> str:
    if math.isinf(width):
        return "above"
    return "floor" if width == min(widths) else ""


def _relative_accuracy(acc) -> float | None:
    """None for an absolute accuracy; for "teacher" or "teacher-0.01", the offset below the teacher's."""
    if not isinstance(acc, str):
        return None
    match = re.fullmatch(r"\s*teacher\s*(?:-\s*([0-9]*\.?[0-9]+)\s*)?", acc)
    if match is None:
        raise check.InputValueError(f"acc: expected an accuracy in [0, 1], 'teacher' or 'teacher-0.01', got {acc!r}")
    return float(match.group(1) or 0.0)


def _data_line(params: dict, table: pd.DataFrame, students, replicates: int) -> str:
    """data: its name, then what the parameters tell of it: sizes, the kind's details, the replicates."""
    name = params.get("dataset", table["dataset"].iloc[0] if "dataset" in table.columns else "?")
    sizes = [f"n_train {params['n_train']}", f"n_test {params['n_test']}"] if "n_train" in params else []
    details = [*sizes, *students.data(params)]
    if replicates > 1:
        details.append(f"{replicates} replicates of the data")
    return f"data: {name}" + (f"  ({', '.join(details)})" if details else "")


def _one_data_set(table: pd.DataFrame) -> bool:
    return "soft_neurons" not in table.columns and ("dataset" not in table.columns or table["dataset"].nunique() <= 1)


results.register("comparison", Comparison.from_frames, recognises=_one_data_set)
