"""Print the Markdown tables of docs/RESULTS.md from the results docs/make_results.sh wrote.

python docs/results_tables.py
"""

import json
import os

import numpy as np

import kdfast
from kdfast.theory import neurons_bound

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
WIDTHS = (4, 16, 64, 256)


def run_params(name):
    """The parameters kdfast wrote to run.json (a CSV table does not keep them)."""
    with open(os.path.join(HERE, name, "run.json"), encoding="utf-8") as f:
        return json.load(f)["params"]


def by_width(result, name, params):
    """Rows of test accuracy (soft, hard, paired gap) and average loss (soft, hard) at a few widths."""
    summary = result.summary(["mean_loss", "test_acc"]).set_index(["metric", "width"])
    teacher = params.get("teacher_test_acc")
    lines = []
    for i, width in enumerate(WIDTHS):
        acc, loss = summary.loc[("test_acc", width)], summary.loc[("mean_loss", width)]
        label = (name, "" if teacher is None else f"{teacher:.3f}") if i == 0 else ("", "")
        lines.append(
            f"| {label[0]} | {label[1]} | {width} | {acc.soft_mean:.3f} | {acc.hard_mean:.3f} | "
            f"{acc.gap_mean:+.3f} ± {acc.gap_sd:.3f} | {loss.soft_mean:.4f} | {loss.hard_mean:.4f} |"
        )
    return lines


def comparison_table(results: dict, params: dict) -> str:
    head = (
        "| data set | teacher test acc | width | test acc soft | test acc hard | gap (paired) "
        "| avg loss soft | avg loss hard |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    rows = [line for name, result in results.items() for line in by_width(result, name, params[name])]
    return "\n".join([head, *rows])


def main():
    path = os.path.join(HERE, "default", "table.csv")
    if os.path.exists(path):
        print("\n### default\n")
        print(comparison_table({"default": kdfast.load(path)}, {"default": run_params("default")}))
    for family in ("gaussians", "xor2", "digits"):
        path = os.path.join(HERE, family, "table.csv")
        if os.path.exists(path):
            sweep = kdfast.load(path)
            print(f"\n### {family}\n")
            print(comparison_table(sweep.comparisons, run_params(family)))
    controls = {}
    for name in ("control-trained-teacher", "control-clean-labels"):
        path = os.path.join(HERE, name, "table.csv")
        if os.path.exists(path):
            controls[name] = kdfast.load(path)
    if controls:
        print("\n### controls\n")
        print(comparison_table(controls, {name: run_params(name) for name in controls}))
    path = os.path.join(HERE, "scaling", "table.csv")
    if os.path.exists(path):
        scaling = kdfast.load(path)
        eps = scaling.params["eps"]
        print("\n### scaling\n")
        print(
            "| data set | γ | 95% interval | soft: neurons needed | hard: neurons needed | "
            "1/(γ²ε) | ln(1/ε)/γ⁴ |\n|---|---|---|---|---|---|---|"
        )
        for row in scaling.table.itertuples():
            soft, hard = ("not reached" if np.isnan(v) else f"{v:.0f}" for v in (row.soft_neurons, row.hard_neurons))
            print(
                f"| {row.dataset} | {row.gamma:.4f} | [{row.gamma_low:.4f}, {row.gamma_high:.4f}] | {soft} | {hard} | "
                f"{neurons_bound(row.gamma, eps, 'soft'):.3g} | {neurons_bound(row.gamma, eps, 'hard'):.3g} |"
            )
        for mode, fit in scaling.fits.items():
            if fit is None:
                print(f"\n{mode}: no fit (fewer than three data sets reached ε)")
            else:
                lo, hi = fit.exponent_ci
                print(
                    f"\n{mode}: p = {fit.exponent:.2f}, 95% interval [{lo:.2f}, {hi:.2f}] "
                    f"from {fit.n_points} data sets "
                    f"(theory {fit.expected_exponent:g})"
                )


if __name__ == "__main__":
    main()
