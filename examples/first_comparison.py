"""The first comparison: soft- against hard-label students by width.

The same run as ``kdfast compare`` with no options: two overlapping Gaussian
clusters (d = 8) with 20% of the training labels flipped, an early-stopped
kernel teacher, and soft and hard students of widths 1 to 256 with 3 seeds
each, trained in one batched call. Prints the comparison's report and writes
two figures: the comparison's own plot (average loss and test accuracy
against width) and the paired soft-minus-hard gap of test accuracy against
width, with its 95% interval over seeds.

    python examples/first_comparison.py [OUTPUT_DIRECTORY]
"""

import sys
from pathlib import Path

import kdfast
from kdfast import datasets
from matplotlib.figure import Figure

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

data = datasets.gaussians(n=200, d=8, separation=3, flip=0.2, n_test=2000)
result = kdfast.compare(data, teacher="kernel", teacher_params={"steps": 100})
print(result.report(eps=0.05))

# The comparison's own figure: average loss and test accuracy against width.
result.plot(out / "first_comparison.png")

# The gap against width, from the summary table (one row per metric and width):
# soft minus hard test accuracy, paired by seed, with its 95% bootstrap interval.
gap = result.summary("test_acc")
figure = Figure(figsize=(4.8, 3.0), layout="constrained")
ax = figure.subplots()
ax.axhline(0, color="0.6", linewidth=0.8)
ax.fill_between(gap["width"], gap["gap_low"], gap["gap_high"], alpha=0.25, linewidth=0)
ax.plot(gap["width"], gap["gap_mean"], marker="o")
ax.set_xscale("log", base=2)
ax.set_xticks(gap["width"], [str(w) for w in gap["width"]])
ax.set_xlabel("student width (neurons)")
ax.set_ylabel("test accuracy, soft - hard")
ax.set_title("Gaussian clusters, 20% of training labels flipped", fontsize=10)
figure.savefig(out / "gap_vs_width.png", dpi=80)
print(f"wrote {out / 'first_comparison.png'} and {out / 'gap_vs_width.png'}")
