"""Ctrl-C stops a long fit with KeyboardInterrupt, leaving the weights of the last completed step."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

# The child fits for a billion steps, which would take days: the fit ends
# only if an interrupt stops it. Its SIGINT handler lets through only an
# interrupt that finds the engine at work (a profile hook sees the call of
# the engine begin and end); one that arrives earlier is ignored, and the
# parent sends another. The engine first looks for signals 50 ms after it
# starts, and a step of this small bank takes about a millisecond even on a
# loaded machine, so steps have completed by the time it stops. The bank
# must then hold exactly the weights of k >= 1 whole steps (the engine is
# deterministic, so a replay one step at a time finds k), still within the
# projection's radius.
CHILD = textwrap.dedent(
    """
    import signal, sys
    import numpy as np
    import kdfast
    from kdfast import _core

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 8))
    y = np.sign(X[:, 0])
    fit = dict(radius=1.0, record_every=10**9)  # one record: the steps' records would need gigabytes
    bank = kdfast.StudentBank(8, [400], dtype=np.float64)
    state = {"engine": False, "stopped": False}

    def watch(frame, event, arg):
        if arg is _core.train:
            state["engine"] = event == "c_call"

    def on_sigint(signum, frame):
        if state["engine"] and not state["stopped"]:
            state["stopped"] = True
            signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)
    print("ready", flush=True)
    sys.setprofile(watch)
    try:
        bank.fit(X, y, steps=10**9, **fit)
    except KeyboardInterrupt:
        sys.setprofile(None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's next ones, through to the exit
        drift = np.linalg.norm(bank.W - bank.W0, axis=1).max() * np.sqrt(400)
        print("interrupted", drift <= 1.0 + 1e-9, flush=True)
        replay = kdfast.StudentBank(8, [400], dtype=np.float64)
        for k in range(10**9):
            if np.array_equal(replay.W, bank.W):
                print("steps", k, flush=True)
                sys.exit(0)
            replay.fit(X, y, steps=1, **fit)
        sys.exit(2)
    print("finished", flush=True)
    sys.exit(1)
    """
)
TRIES = 240  # Ctrl-C every half second for two minutes: a guard against a hang only


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_sigint_stops_a_long_fit():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        for _ in range(TRIES):
            os.kill(child.pid, signal.SIGINT)
            try:
                out, err = child.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            child.kill()
            out, err = child.communicate()
            pytest.fail(f"the child did not end: {out!r} {err[-1000:]!r}")
    finally:
        child.kill()
    assert child.returncode == 0, (out, err)
    interrupted, steps = out.splitlines()
    assert interrupted == "interrupted True"  # and the projection still holds
    assert int(steps.split()[1]) >= 1
