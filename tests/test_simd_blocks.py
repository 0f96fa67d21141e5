"""Every build's float32 backward pass against the reference across its block and chunk boundaries.

The AVX-512 build computes float32 gradients by tables of subset sums: on the
sample path (d <= 64 that does not fill whole panels) in tasks of 1,024
neurons and table chunks of 256 samples, on the row path in tasks of 256
neurons and chunks of 64 samples. The other builds have dense paths with
blocks and chunks of their own. Here a bank of more than 1,024 neurons,
with networks that straddle every block boundary, trains on 600 samples in
several chunks of activation bits (KDFAST_ACTIVATION_BUDGET), the first
longer than a table chunk, at d from the sample path to the padded row path. Each
build runs in a child process (KDFAST_SIMD lowers the engine's choice);
where the CPU lacks a build, its cases skip.
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
    import json, os, sys
    import numpy as np
    import kdfast
    from kdfast import _core

    args = json.loads(sys.stdin.read())
    out = {"level": _core.simd_level()}
    if out["level"] == args["level"]:
        data = np.load(args["data"])
        X, p = data["X"], data["p"]
        bank = kdfast.StudentBank(X.shape[1], args["widths"], seeds=args["seeds"], dtype=np.float32)
        out["chunked_bytes"] = _core.activation_bytes(n_neurons=bank.n_neurons, n_samples=len(X), float32=True)
        history = bank.fit(X, p, steps=args["steps"], lr=args["lr"], radius=args["radius"], n_threads=2)
        np.savez(args["result"], W0=bank.W0, a=bank.a, W=bank.W, loss=history.loss)
        del os.environ["KDFAST_ACTIVATION_BUDGET"]
        out["whole_bytes"] = _core.activation_bytes(n_neurons=bank.n_neurons, n_samples=len(X), float32=True)
    print(json.dumps(out))
    """
)

# Networks of 3, 700 and 500 neurons: 1,203 in all, so that the boundaries
# of tasks of 1,024 neurons (sample-path tables) and of 256 (row-path
# tables) fall inside networks, and a network of 3 is shorter than any tile.
WIDTHS, SEEDS, N, STEPS = [3, 700, 500], [4], 600, 3
# A radius small enough that the projection acts at every d.
LR, RADIUS = 2.0, 0.03
# Activation bits of 384 samples (one bit each; the baseline build keeps 2
# per float32 sample, so 192 there): the 600 samples in 2 chunks (4 on the
# baseline build), the first of them longer than a table chunk.
BUDGET = sum(WIDTHS) * len(SEEDS) * 384 // 8


@pytest.mark.parametrize("level", ["baseline", "avx2", "avx512"])
@pytest.mark.parametrize("d", [16, 64, 96, 256, 784])
def test_float32_build_matches_reference_across_blocks_and_chunks(level, d, tmp_path):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(N, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = 1 / (1 + np.exp(-3 * X[:, 0] * X[:, 1]))
    np.savez(tmp_path / "data.npz", X=X, p=p)
    args = {
        "level": level,
        "data": str(tmp_path / "data.npz"),
        "result": str(tmp_path / "result.npz"),
        "widths": WIDTHS,
        "seeds": SEEDS,
        "steps": STEPS,
        "lr": LR,
        "radius": RADIUS,
    }
    env = {**os.environ, "KDFAST_SIMD": level, "KDFAST_ACTIVATION_BUDGET": str(BUDGET)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD], input=json.dumps(args), capture_output=True, text=True, env=env, check=True
    )
    out = json.loads(child.stdout)
    if out["level"] != level:
        pytest.skip(f"this CPU cannot run the {level} build (it ran {out['level']})")
    assert out["chunked_bytes"] < out["whole_bytes"], "the fit ran in chunks"
    got = np.load(tmp_path / "result.npz")
    X32 = X.astype(np.float32).astype(np.float64)
    want = ref.fit(
        got["W0"], got["a"], WIDTHS * len(SEEDS), X32, p, steps=STEPS, lr=LR, radius=RADIUS, projection="neuron"
    )
    assert want.n_projected > 0, "radius chosen so that the projection acts"
    # The float32 tolerance of the reference tests: each step's sums of 600
    # products per coordinate rounded in float32, over 3 steps.
    assert_close(got["loss"], want.loss, TOL[np.float32], f"{level} d={d} loss")
    assert_close(got["W"], want.W, TOL[np.float32], f"{level} d={d} W")
