"""Ctrl-C stops a long fit with KeyboardInterrupt, leaving the weights of the last completed step."""

import subprocess
import sys

import pytest
from ctrl_c import gate, interrupt

# The child fits for a billion steps, which would take days: the fit ends
# only if the interrupt, which finds the engine at work (ctrl_c), stops it.
# The engine first looks for signals 50 ms after it starts, and a step of
# this small bank takes about a millisecond even on a loaded machine, so
# steps have completed by then. The bank must hold exactly the weights of
# k >= 1 whole steps (the engine is deterministic, so a replay one step at
# a time finds k), still within the projection's radius.
CHILD = gate() + (
    """
import numpy as np
import kdfast

rng = np.random.default_rng(0)
X = rng.normal(size=(100, 8))
y = np.sign(X[:, 0])
fit = dict(radius=1.0, record_every=10**9)  # one record: the steps' records would need gigabytes
bank = kdfast.StudentBank(8, [400], dtype=np.float64)
try:
    bank.fit(X, y, steps=10**9, **fit)
except KeyboardInterrupt:
    sys.setprofile(None)
    drift = np.linalg.norm(bank.W - bank.W0, axis=1).max() * np.sqrt(400)
    print("interrupted", drift <= 1.0 + 1e-9, flush=True)
    replay = kdfast.StudentBank(8, [400], dtype=np.float64)
    for k in range(10**9):
        if np.array_equal(replay.W, bank.W):
            print("steps", k, flush=True)
            sys.exit(0)
        replay.fit(X, y, steps=1, **fit)
print("finished", flush=True)
sys.exit(1)
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_sigint_stops_a_long_fit():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = interrupt(child)
    finally:
        child.kill()
    assert child.returncode == 0, (out, err)
    interrupted, steps = out.splitlines()
    assert interrupted == "interrupted True"  # and the projection still holds
    assert int(steps.split()[1]) >= 1
