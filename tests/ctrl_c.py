"""Ctrl-C for the tests' child processes, aimed at kdfast's engine at work rather than timed.

A child's code starts with ``gate(engines)``, and its stdout is a pipe. The
child then ignores SIGINT until `engines` threads are inside the engine at
once (a profile hook, in every thread, sees each call of the engine begin
and end). The first SIGINT after that raises KeyboardInterrupt; the child
ignores later ones, through to its exit. :func:`interrupt` sends SIGINT
until the child ends. So the interrupt reaches the code under test while it
trains, however slowly the child starts, instead of in the Python that
comes before, and no assertion depends on how long anything takes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap

import pytest

# Seconds between Ctrl-Cs, and how many are sent before the child counts as hung.
PERIOD = 0.5
TRIES = 240


def gate(engines: int = 1) -> str:
    """The first lines of a child's code: SIGINT raises only once `engines` threads are in the engine."""
    return textwrap.dedent(
        f"""
        import signal, sys, threading
        from kdfast import _core

        _in_engine = {{}}  # thread id -> inside the engine now

        def _watch(frame, event, arg):
            if arg is _core.train:
                # The store is the hook's last step (get_ident is called
                # before it), so no signal handler runs between it and the
                # engine: Python runs one only where a function starts, after
                # a call, or where a loop jumps back.
                _in_engine[threading.get_ident()] = event == "c_call"

        def _on_sigint(signum, frame):
            if sum(_in_engine.values()) >= {engines}:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                raise KeyboardInterrupt

        signal.signal(signal.SIGINT, _on_sigint)
        threading.setprofile(_watch)
        sys.setprofile(_watch)
        print("ready", flush=True)
        """
    )


def interrupt(child: subprocess.Popen) -> tuple:
    """Send `child` SIGINT every PERIOD seconds until it ends; its (stdout, stderr) after the gate's "ready".

    Waits for the gate first: before it, SIGINT would stop the child in its
    imports. The limit of TRIES only guards against a hang: a child that
    never ends fails the test.
    """
    assert child.stdout is not None, "the child's stdout must be a pipe"
    assert child.stdout.readline().strip() in ("ready", b"ready")
    for _ in range(TRIES):
        os.kill(child.pid, signal.SIGINT)
        try:
            return child.communicate(timeout=PERIOD)
        except subprocess.TimeoutExpired:
            continue
    child.kill()
    out, err = child.communicate()
    pytest.fail(f"the child did not end: {out!r} {err[-1000:]!r}")
