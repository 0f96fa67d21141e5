"""The columns every result table shares: the students' modes and the metrics measured on them."""

from __future__ import annotations

import pandas as pd

from . import _validation as check

__all__ = [
    "ACCURACIES",
    "DESCRIPTIVE",
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "METRICS",
    "MODES",
    "check_metric",
    "mode_first",
]

MODES = ("soft", "hard")
# Which way is better for each metric of the table: losses fall, accuracies rise.
LOWER_IS_BETTER = ("mean_loss", "final_loss", "test_loss")
HIGHER_IS_BETTER = ("train_acc", "test_acc", "test_acc_early", "val_acc", "teacher_agreement")
# Measured, but neither way is better: the share of flipped training labels a
# student fits says whether it memorised the label noise.
DESCRIPTIVE = ("flipped_fit",)
METRICS = LOWER_IS_BETTER + HIGHER_IS_BETTER + DESCRIPTIVE
# The accuracies a "neurons needed for an accuracy" can be asked of.
ACCURACIES = ("test_acc", "test_acc_early", "train_acc", "val_acc")


def check_metric(metric) -> str:
    """`metric`, one of METRICS."""
    return check.choice(metric, "metric", METRICS)


def mode_first(column: pd.Series) -> pd.Series:
    """Sort key putting soft before hard and everything else in its natural order."""
    return column.map({m: i for i, m in enumerate(MODES)}) if column.name == "mode" else column
