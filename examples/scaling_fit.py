"""The theory's experiment: neurons needed against the NTK margin gamma.

Noise-free 2-XOR (Ji & Telgarsky's example) gets harder as the dimension d
grows: its margin gamma shrinks. For each d, :func:`kdfast.scaling` measures
gamma, fits a kernel teacher (its defaults: 1,000 steps), trains soft and
hard students of widths 1 to 256, reads off the smallest width whose
training loss averaged over the steps reaches eps = 0.1, and fits
m = C gamma^(-p) to the data sets that reached it. The theory predicts
p = 2 for soft labels and p = 4 for hard labels (orders only: the constants
are unknown).

    python examples/scaling_fit.py [OUTPUT_DIRECTORY]
"""

import sys
from pathlib import Path

import kdfast
from kdfast import datasets

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

tasks = {f"d={d}": datasets.xor2(n=200, d=d, n_test=1000) for d in (4, 6, 8, 10, 12)}
result = kdfast.scaling(tasks, eps=0.1, progress=False)  # the kernel teacher with its defaults

print(result.report())
result.plot(out / "scaling_fit.png")
print(f"wrote {out / 'scaling_fit.png'}")
