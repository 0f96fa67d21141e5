"""The text report of a comparison: one layout for every kind of student.

A report is read off the comparison's table, which every comparison has
(one loaded from a CSV file included), and off its parameters where they
exist. What differs between kinds of students is declared once, in a
:class:`Students` entry: how their training is described, what the data
line adds, which metrics compare soft with hard. A field that a kind does
not have is left out because its entry does not name it, never because a
lookup failed.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pandas as pd

from ._metrics import MODES

__all__ = ["DEEP", "TWO_LAYER", "Students", "students_of", "width_lines"]


@dataclasses.dataclass(frozen=True)
class Students:
    """How a kind of student is reported.

    name : what producers write under ``params["students"]``
    recognises : whether a table without parameters holds these students
    training : (params, table) -> one phrase describing how the students trained
    data : params -> details of the data after its sizes (params may be empty)
    columns : (metric, label, digits) of the soft-vs-hard table
    legend : what the columns mean, before the shared words on the gap
    """

    name: str
    recognises: Callable[[pd.DataFrame], bool]
    training: Callable[[dict, pd.DataFrame], str]
    data: Callable[[dict], list[str]]
    columns: tuple[tuple[str, str, int], ...]
    legend: str


def _one(table: pd.DataFrame, column: str, mode: str | None = None):
    """The value a column takes on every row (of one mode): the run's setting."""
    rows = table if mode is None else table[table["mode"] == mode]
    return rows[column].iloc[0]


def _radius(value: float, projection: str) -> str:
    return "none" if value is None or not np.isfinite(value) else f"{value:g} ({projection})"


def _two_layer_training(params: dict, table: pd.DataFrame) -> str:
    """Steps, step size and radius; per mode when they differ (a protocol sets them from gamma and eps)."""
    lr = float(_one(table, "lr"))
    projection = str(_one(table, "projection"))
    protocol = params.get("protocol")
    if protocol is None:
        steps, radius = int(_one(table, "steps")), float(_one(table, "radius"))
        return f"{steps} steps, lr {lr:g}, radius {_radius(radius, projection)}"
    per_mode = ", ".join(
        f"{mode} {int(_one(table, 'steps', mode))} steps, radius {float(_one(table, 'radius', mode)):.4g}"
        for mode in MODES
    )
    rule = " (the theorems' formulas)" if protocol.get("rule") == "theorems" else ""
    return (
        f"protocol{rule} eps {protocol['eps']:g} at gamma {protocol['gamma']:.4g}: {per_mode} ({projection}), lr {lr:g}"
    )


def _two_layer_data(params: dict) -> list[str]:
    return [f"d {params['d']}"] if "d" in params else []


TWO_LAYER = Students(
    name="two-layer",
    recognises=lambda table: "projection" in table.columns,
    training=_two_layer_training,
    data=_two_layer_data,
    columns=(("mean_loss", "avg loss", 4), ("test_acc", "test acc", 3)),
    legend="avg loss: training loss averaged over all steps (soft: tempered KL to the teacher; hard: logistic)",
)


def _deep_training(params: dict, table: pd.DataFrame) -> str:
    """Family, epochs and batches, optimiser and schedule, and the soft loss's weight."""
    return (
        f"{_one(table, 'arch')}, {int(_one(table, 'epochs'))} epochs ({int(_one(table, 'steps'))} steps of "
        f"{int(_one(table, 'batch_size'))}), {_one(table, 'optimizer')} lr {float(_one(table, 'lr')):g} "
        f"{_one(table, 'schedule')}, soft alpha {float(_one(table, 'alpha', 'soft')):g}"
    )


def _deep_data(params: dict) -> list[str]:
    details = []
    if "shape" in params:
        details.append(f"images {'x'.join(map(str, params['shape']))}, {params['n_classes']} classes")
    if "flip" in params.get("data_params", {}):
        details.append(f"label noise {params['data_params']['flip']:g}")
    return details


DEEP = Students(
    name="deep",
    recognises=lambda table: "epochs" in table.columns,
    training=_deep_training,
    data=_deep_data,
    columns=(("test_acc", "test acc", 3), ("teacher_agreement", "agreement", 3)),
    legend="test acc: against the clean test labels; agreement: same class as the teacher on the test set",
)

_KINDS = (TWO_LAYER, DEEP)


def students_of(params: dict, table: pd.DataFrame) -> Students:
    """The kind of students of a comparison: as its parameters say, else as its table's columns show."""
    named = params.get("students")
    for kind in _KINDS:
        if kind.name == named or (named is None and kind.recognises(table)):
            return kind
    raise ValueError(f"unknown kind of students {named!r}")


def _mean_sd(mean: float, sd: float, digits: int) -> str:
    """'0.912 ±0.004': a seed mean and its spread for text tables (the spread left out when undefined)."""
    return f"{mean:.{digits}f}" + ("" if not np.isfinite(sd) else f" ±{sd:.{digits}f}")


def width_lines(summary: pd.DataFrame, columns, widths, intervals: bool) -> list[str]:
    """The report's table of one soft group: a header, then a line per width.

    summary : indexed by (metric, width), with soft/hard means and sds and the gap (and its interval)
    """
    header = f"{'width':>6}"
    for _, label, _ in columns:
        header += f"  {label + ' soft':>17}  {label + ' hard':>17}  {'gap':>8}" + (
            "  interval        " if intervals else ""
        )
    lines = [header]
    for width in widths:
        line = f"{width:>6}"
        for metric, _, digits in columns:
            row = summary.loc[(metric, width)]
            soft, hard = _mean_sd(row.soft_mean, row.soft_sd, digits), _mean_sd(row.hard_mean, row.hard_sd, digits)
            line += f"  {soft:>17}  {hard:>17}  {row.gap_mean:>+8.{digits}f}"
            if intervals:
                line += f"  [{row.gap_low:+.{digits}f}, {row.gap_high:+.{digits}f}]"
        lines.append(line)
    return lines
