"""A sweep: the soft-minus-hard gap as the data gets harder.

One comparison per difficulty level of two Gaussian clusters (separation 1,
2, 3 and 4; 20% of the training labels flipped), each with its own
early-stopped kernel teacher, run one after the other (pass an executor,
e.g. a Dask client's, to run them in parallel). Prints the test-accuracy
gap by level and width, and draws the gaps against the separation, one line
per width, with 95% intervals over seeds.

    python examples/sweep_difficulty.py [OUTPUT_DIRECTORY]
"""

import sys
from pathlib import Path

import kdfast
from kdfast import datasets

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

levels = {f"sep={s}": datasets.gaussians(n=200, d=8, separation=s, flip=0.2, n_test=2000) for s in (1, 2, 3, 4)}
sweep = kdfast.sweep(levels, teacher_params={"steps": 100}, widths=[1, 4, 16, 64, 256], progress=False)

summary = sweep.summary("test_acc")
print(summary.pivot(index="width", columns="dataset", values="gap_mean")[list(levels)].round(3).to_string())
print(sweep.neurons_needed(0.05))  # per level: smallest soft and hard width with average loss <= 0.05

sweep.plot(out / "sweep_difficulty.png", x="separation")
print(f"wrote {out / 'sweep_difficulty.png'}")
