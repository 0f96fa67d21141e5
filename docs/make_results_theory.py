"""The theorem's regime: docs/RESULTS.md, section "The theorem's regime".

Noise-free 2-XOR over the dimension d (the margin gamma shrinks as d
grows), soft and hard students trained with the radius and steps of
kdfast.theory.Protocol (the theorems' dependence on gamma and eps, smaller
constants), from a Gaussian and from a symmetric start, for widths 2..2^k
and 3 seeds. Each data set's students of one setting train in one bank.
Writes docs/results/theory/: students.csv (one row per student),
needed.csv (neurons needed per data set, setting and criterion), fits.csv
(fitted exponents with 95% intervals), theorem.csv (what Ji & Telgarsky's
theorem prescribes), plot.png and output.txt.

    python docs/make_results_theory.py --mnist 3/5      # the section's run
    python docs/make_results_theory.py --theorem-only   # theorem.csv alone (margins only, no training)
    python docs/make_results_theory.py --quick          # a smoke test of the script

The MNIST pair (784 inputs, about 40 times the cost per neuron and step of
2-XOR at d = 16) takes most of the training time; the whole section takes
about 22 minutes on 2 idle cores, within its 30-minute budget. Where it
does not fit, the MNIST pair can be given a smaller width grid or a step
cap of its own (--mnist-max-log2-width, --mnist-max-steps).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import kdfast
from kdfast import theory

OUT = Path(__file__).parent / "results" / "theory"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="4,6,8,12,16", help="xor2 dimensions (default 4,6,8,12,16)")
    parser.add_argument("--max-log2-width", type=int, default=14, help="widths 2, 4, ..., 2^k (default 14)")
    parser.add_argument("--radius-constant", type=float, default=1.0, help="C_R of the protocol (default 1)")
    parser.add_argument("--steps-constants", default="1,4", help="the settings: C_T of the protocol (default 1,4)")
    parser.add_argument("--eps", type=float, default=0.3, help="target average loss (default 0.3)")
    parser.add_argument("--lr", type=float, default=8.0, help="step size (default 8, kdfast's)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--mnist", default=None, metavar="A/B", help="also one MNIST pair, e.g. 3/5 (needs kdfast[data])"
    )
    parser.add_argument("--mnist-max-log2-width", type=int, default=14, help="MNIST widths 2..2^k (default 14)")
    parser.add_argument("--mnist-max-steps", type=int, default=None, help="cap on the MNIST students' steps")
    parser.add_argument("--theorem-only", action="store_true", help="write theorem.csv only, train nothing")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script")
    args = parser.parse_args(argv)
    dims = [int(d) for d in args.dims.split(",")]
    constants = [float(c) for c in args.steps_constants.split(",")]
    widths = [2**k for k in range(1, args.max_log2_width + 1)]
    mnist_widths = [2**k for k in range(1, min(args.max_log2_width, args.mnist_max_log2_width) + 1)]
    if args.quick:
        dims, constants, widths, mnist_widths, args.seeds = [4, 6, 8], [0.25], [2, 4, 8], [2, 4], 1
    OUT.mkdir(parents=True, exist_ok=True)
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    started = time.perf_counter()
    cpu_started = time.process_time()
    data = {f"xor2(d={d})": kdfast.datasets.xor2(n=200, d=d, n_test=1000, seed=0) for d in dims}
    grid = dict.fromkeys(data, widths)
    cap = dict.fromkeys(data, None)
    if args.mnist:
        a, b = (int(v) for v in args.mnist.split("/"))
        # The bundled subset holds 1,000 images of a pair: 200 to train on, the other 800 to test.
        name = f"mnist({a}/{b})"
        data[name] = kdfast.datasets.mnist(pair=(a, b), n=200, n_test=800)
        grid[name], cap[name] = mnist_widths, args.mnist_max_steps
    gammas, theorem_rows = {}, []
    for name, d in data.items():
        m = kdfast.margin(d.X_train, d.y_train_clean)
        gammas[name] = m.gamma
        say(f"{name}: gamma = {m.gamma:.4f} [{m.gamma_ci[0]:.4f}, {m.gamma_ci[1]:.4f}]")
        for init in ("gaussian", "symmetric"):
            p = theory.hard_label_theorem(m.gamma, args.eps, d.n_train, 0.1, init=init)
            # Ji & Telgarsky's width next to the seed paper's orders with C = 1 (its constants are unknown)
            theorem_rows.append(
                {
                    "dataset": name,
                    "gamma": m.gamma,
                    "init": init,
                    "lambda": p.lam,
                    "width": p.width,
                    "steps": p.steps,
                    "radius": p.radius,
                    **{f"{kind}_order": theory.neurons_bound(m.gamma, args.eps, kind) for kind in ("soft", "hard")},
                }
            )
    pd.DataFrame(theorem_rows).to_csv(OUT / "theorem.csv", index=False)
    if args.theorem_only:
        print(pd.DataFrame(theorem_rows).to_string(index=False))
        return 0

    tables = []
    for C in constants:
        for init in ("gaussian", "symmetric"):
            for name, d in data.items():
                protocol = theory.Protocol(
                    eps=args.eps,
                    radius_constant=args.radius_constant,
                    steps_constant=C,
                    gamma=gammas[name],
                    max_steps=cap[name],
                )
                # Only each student's averages and final values are kept, never the curves: recording the
                # first and the last step alone skips the test-set evaluations in between.
                longest = max(protocol.steps(mode, args.lr) for mode in ("soft", "hard"))
                t0 = time.perf_counter()
                result = kdfast.compare(
                    d,
                    widths=grid[name],
                    seeds=args.seeds,
                    lr=args.lr,
                    init=init,
                    protocol=protocol,
                    record_every=longest,
                )
                steps = result.params["protocol"]["steps"]
                say(
                    f"C_T = {C:g}, {init}, {name}: steps soft {steps['soft']}, hard {steps['hard']}, "
                    f"radius soft {result.params['radius']['soft']:.3g}, hard {result.params['radius']['hard']:.3g} "
                    f"({time.perf_counter() - t0:.0f} s)"
                )
                tables.append(result.table.assign(dataset=name, gamma=gammas[name], steps_constant=C))
    students = pd.concat(tables, ignore_index=True)
    students.to_csv(OUT / "students.csv", index=False)

    needed_rows, fit_rows = [], []
    for (C, init), group in students.groupby(["steps_constant", "init"], sort=False):
        for name, rows in group.groupby("dataset", sort=False):
            result = kdfast.Comparison(rows.reset_index(drop=True))
            for all_wider in (False, True):
                needed = result.neurons_needed(args.eps, all_wider=all_wider)
                needed_rows.append(
                    {
                        "steps_constant": C,
                        "init": init,
                        "dataset": name,
                        "gamma": gammas[name],
                        "criterion": "all wider" if all_wider else "smallest",
                        **{mode: np.nan if v is None else v for mode, v in needed.items()},
                    }
                )
    needed = pd.DataFrame(needed_rows)
    needed.to_csv(OUT / "needed.csv", index=False)
    say()
    say("neurons needed to reach an average loss <= eps (NaN: not reached by the widest student)")
    say(needed.to_string(index=False))
    for (C, init, criterion), rows in needed.groupby(["steps_constant", "init", "criterion"], sort=False):
        for mode in ("soft", "hard"):
            ok = rows[mode].notna().to_numpy()
            row = {
                "steps_constant": C,
                "init": init,
                "criterion": criterion,
                "mode": mode,
                "points": int(ok.sum()),
                "theory": theory.expected_exponent(mode),
            }
            try:
                fit = theory.fit_scaling(rows["gamma"][ok], rows[mode][ok].astype(float), kind=mode)
                row.update(exponent=fit.exponent, low=fit.exponent_ci[0], high=fit.exponent_ci[1])
            except ValueError:
                row.update(exponent=np.nan, low=np.nan, high=np.nan)
            fit_rows.append(row)
    fits = pd.DataFrame(fit_rows)
    fits.to_csv(OUT / "fits.csv", index=False)
    say()
    say("fitted m ~ gamma^-p (95% intervals; NaN: fewer than 3 data sets reached eps)")
    say(fits.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    _plot(students, needed, args.eps)
    say()
    say(
        f"wall time: {time.perf_counter() - started:.0f} s, CPU time of this process: "
        f"{time.process_time() - cpu_started:.0f} s"
    )
    (OUT / "output.txt").write_text("\n".join(lines) + "\n")
    return 0


def _plot(students, needed, eps):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = list(students.groupby(["steps_constant", "init"], sort=False).groups)
    colour = dict(zip(students["dataset"].unique(), plt.get_cmap("tab10").colors))  # one per data set
    fig, axes = plt.subplots(2, len(settings), figsize=(4 * len(settings), 7), squeeze=False)
    for j, (C, init) in enumerate(settings):
        ax = axes[0, j]
        rows = students[(students["steps_constant"] == C) & (students["init"] == init)]
        for (name, mode), g in rows.groupby(["dataset", "mode"], sort=False):
            mean = g.groupby("width")["mean_loss"].mean()
            ax.plot(
                mean.index,
                mean.values,
                ls="-" if mode == "soft" else "--",
                marker=".",
                color=colour[name],
                label=f"{mode} {name}",
            )
        ax.axhline(eps, color="grey", lw=0.8)
        ax.set(xscale="log", yscale="log", xlabel="width", ylabel="average loss", title=f"C_T = {C:g}, {init}")
        ax.legend(fontsize=6)
        ax = axes[1, j]
        sub = needed[(needed["steps_constant"] == C) & (needed["init"] == init)]
        for (criterion, mode), g in sub.melt(
            id_vars=["gamma", "criterion"], value_vars=["soft", "hard"], var_name="mode"
        ).groupby(["criterion", "mode"]):
            g = g.sort_values("gamma")
            ax.plot(
                g["gamma"], g["value"], marker="o", ls="-" if mode == "soft" else "--", label=f"{mode}, {criterion}"
            )
        g = np.sort(sub["gamma"].unique())
        for p, style in ((2, ":"), (4, "-.")):
            ax.plot(g, 4 * (g / g[-1]) ** -p, color="grey", ls=style, lw=0.8, label=f"slope gamma^-{p}")
        ax.set(xscale="log", yscale="log", xlabel="gamma", ylabel="neurons needed")
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(OUT / "plot.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
