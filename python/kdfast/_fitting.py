"""Fitting a bank in pieces and stages: a progress bar that moves, Ctrl-C that stops soon, and
networks that stop at different steps, all with the results of one long fit."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ._bank import StudentBank
from ._history import History
from ._jobs import stop_if_cancelled

__all__ = ["fit_in_pieces", "fit_until"]

# The fit runs in pieces (continuing a fit is exact, see fit_in_pieces):
# at least _PIECES of them so that the progress bar moves, and each of at
# most about _PIECE_WORK (neurons x samples x (inputs + 4) per step; a
# fraction of a second on a laptop core) so that a cancelled job stops soon.
# Both depend only on the problem's sizes, never on timings, so the pieces,
# and with them every result, are the same on every run.
_PIECES = 20
_PIECE_WORK = 2e9


def fit_in_pieces(
    bank: StudentBank,
    X,
    target,
    *,
    steps: int,
    record_every: int,
    disable,
    desc: str,
    after: Callable[[int], None] | None = None,
    **fit,
) -> History:
    """``bank.fit(X, target, steps=steps, ...)`` in a few pieces, so that a progress bar can move.

    Each piece is a whole number of record intervals, so the result is that
    of one long fit (see :meth:`History.concatenate`). With `after`, every
    piece is one record interval and ``after(step)`` is called before the
    first and after every piece (the early-stopping checks).
    """
    n_records = max(1, math.ceil(steps / record_every))
    work = bank.n_neurons * X.shape[0] * (X.shape[1] + 4) * record_every
    piece = record_every * max(1, min(math.ceil(n_records / _PIECES), int(_PIECE_WORK // work)))
    if after is not None:
        piece = record_every
        after(0)
    histories = []
    with tqdm(total=steps, desc=desc, unit="step", disable=disable, leave=False) as bar:
        done = 0
        while True:
            stop_if_cancelled()
            length = min(piece, steps - done)
            histories.append(bank.fit(X, target, steps=length, record_every=record_every, **fit))
            done += length
            bar.update(length)
            if after is not None and length > 0:
                after(done)
            if done >= steps:
                break
    return History.concatenate(histories)


def fit_until(bank, X, target, net_steps, record_every, disable, desc, fit, ends, early=None):
    """Train every network k for net_steps[k] steps in one bank.

    The bank trains in stages up to each distinct step count; after a stage
    the networks that stop there are read off (their last records, average
    loss and drift, and the end-of-fit measures of `ends`), the others train
    on. With one step count this is one fit, checked by `early` (early
    stopping) at every record. Returns the history of the whole fit (for the
    curves) and each network's end-of-fit columns (for the table).
    """
    stops = sorted(set(net_steps.tolist()))
    if early is not None and len(stops) > 1:
        raise ValueError("early stopping needs one step count for every network")
    pieces, done = [], 0
    K = bank.n_networks
    end: dict[str, np.ndarray] = {}

    def read_off(name: str, values: np.ndarray | None, here: np.ndarray) -> None:
        if values is not None:
            end.setdefault(name, np.full(K, np.nan))[here] = values[here]

    for stop in stops:
        pieces.append(
            fit_in_pieces(
                bank,
                X,
                target,
                steps=stop - done,
                record_every=record_every,
                disable=disable,
                desc=desc,
                after=early,
                **fit,
            )
        )
        done = stop
        so_far = History.concatenate(pieces)
        here = net_steps == stop
        read_off("mean_loss", so_far.mean_loss, here)
        read_off("final_loss", so_far.final_loss, here)
        for name in ("train_acc", "test_loss", "test_acc"):
            record = getattr(so_far, name)
            read_off(name, None if record is None else record[-1], here)
        for name, values in ends().items():
            read_off(name, values, here)
        read_off("max_drift", so_far.max_drift, here)
    return History.concatenate(pieces), end
