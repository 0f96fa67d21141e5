"""Every instruction-set build of the fused kernels matches the reference.

The engine picks the widest build the CPU has (AVX-512, AVX2, or the
baseline one); KDFAST_SIMD lowers that choice. Each build runs in a child
process, since the choice is made once per process.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import reference as ref
from test_reference import TOL, assert_close

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import kdfast
    from kdfast import _core

    args = json.loads(sys.stdin.read())
    X, p = np.array(args["X"]), np.array(args["p"])
    out = {"level": _core.simd_level()}
    for dtype in ("float32", "float64"):
        bank = kdfast.StudentBank(args["d"], args["widths"], seeds=args["seeds"], dtype=dtype)
        history = bank.fit(X, p, steps=args["steps"], lr=args["lr"], radius=args["radius"],
                           projection=args["projection"], n_threads=2)
        out[dtype] = {"W0": bank.W0.tolist(), "a": bank.a.tolist(), "W": bank.W.tolist(),
                      "loss": history.loss.tolist(), "logits": bank.logits(X).tolist()}
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize("level", ["baseline", "avx2", "avx512"])
@pytest.mark.parametrize(
    ("d", "projection", "budget"),
    [
        (9, "neuron", None),  # backward by the sample path, with tile tails in d
        (9, "network", None),
        (64, "neuron", None),  # the row path, rows used as they are
        (250, "network", None),  # the row path on rows padded to whole vectors
        (64, "neuron", 1),  # the row path on chunks of one panel of samples
    ],
)
def test_build_matches_reference(level, d, projection, budget):
    rng = np.random.default_rng(5)
    # Several panels, neuron blocks and row-path chunks of samples, and
    # networks that start and end inside tiles.
    n, widths, seeds = 150, [1, 5, 40, 7], [0, 1]
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = 1 / (1 + np.exp(-3 * X[:, 0] * X[:, 1]))
    args = {
        "X": X.tolist(),
        "p": p.tolist(),
        "d": d,
        "widths": widths,
        "seeds": seeds,
        "steps": 8,
        "lr": 2.0,
        "radius": 0.8,
        "projection": projection,
    }
    env = {**os.environ, "KDFAST_SIMD": level}
    if budget is not None:
        env["KDFAST_ACTIVATION_BUDGET"] = str(budget)
    child = subprocess.run(
        [sys.executable, "-c", CHILD], input=json.dumps(args), capture_output=True, text=True, env=env, check=True
    )
    out = json.loads(child.stdout)
    if out["level"] != level:
        pytest.skip(f"this CPU cannot run the {level} build (it ran {out['level']})")
    net_widths = widths * len(seeds)
    for dtype in (np.float32, np.float64):
        got = out[np.dtype(dtype).name]
        W0 = np.array(got["W0"])
        Xd = X.astype(dtype).astype(np.float64)
        want = ref.fit(W0, np.array(got["a"]), net_widths, Xd, p, steps=8, lr=2.0, radius=0.8, projection=projection)
        assert_close(got["loss"], want.loss, TOL[dtype], f"{level} {dtype.__name__} loss")
        assert_close(got["W"], want.W, TOL[dtype], f"{level} {dtype.__name__} W")
        assert_close(
            got["logits"],
            ref.logits(want.W, np.array(got["a"]), net_widths, Xd),
            TOL[dtype],
            f"{level} {dtype.__name__} logits",
        )
