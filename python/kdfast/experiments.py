"""Soft- vs hard-label students of many widths and seeds, trained in one batched call.

:func:`compare` fits a teacher, turns its logits into soft labels at a
temperature, and trains, for every seed and width, one student on the soft
labels and one on the hard labels. All of them share one
:class:`~kdfast.StudentBank` and one engine call, and the soft and hard
students of a seed start from identical weights, so every soft-vs-hard
difference is a paired comparison.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import time

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import _validation as check
from ._bank import StudentBank
from ._history import History
from ._jobs import stop_if_cancelled
from ._metrics import MODES, mode_first
from ._threads import effective_n_threads
from ._version import __version__
from .comparison import Comparison
from .datasets import Dataset
from .margin import margin
from .teachers import TEACHER_STREAMS, ArrayTeacher, make_teacher
from .theory import Protocol

__all__ = ["Comparison", "compare"]

# Defaults of compare(), which the command line reads from its signature;
# see docs/RESULTS.md for how they were chosen.
WIDTHS = tuple(2**k for k in range(9))  # 1 .. 256
SEEDS = 3
STEPS = 1000
LR = 8.0

# Records per curve when record_every is left to compare(); a few hundred
# points draw a smooth curve and keep the curves table small.
_CURVE_POINTS = 100
# The fit runs in pieces (continuing a fit is exact, see _fit_in_pieces):
# at least _PIECES of them so that the progress bar moves, and each of at
# most about _PIECE_WORK (neurons x samples x (inputs + 4) per step; a
# fraction of a second on a laptop core) so that a cancelled job stops soon.
# Both depend only on the problem's sizes, never on timings, so the pieces,
# and with them every result, are the same on every run.
_PIECES = 20
_PIECE_WORK = 2e9


def _sigmoid(f: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * f))


def _test_logits(teacher, X_test: np.ndarray) -> np.ndarray | None:
    """The teacher's test logits, or None when it only knows its training inputs."""
    if X_test.shape[0] == 0:
        return None
    if isinstance(teacher, ArrayTeacher) and teacher.test_logits_ is None:
        return None  # it knows its training outputs only
    return _checked_logits(teacher.logits(X_test), X_test.shape[0], "test")


# -- training ------------------------------------------------------------------


def _fit_in_pieces(
    bank: StudentBank, X, target, *, steps: int, record_every: int, disable, desc: str, **fit
) -> History:
    """``bank.fit(X, target, steps=steps, ...)`` in a few pieces, so that a progress bar can move.

    Each piece is a whole number of record intervals, so the result is that
    of one long fit (see :meth:`History.concatenate`).
    """
    n_records = max(1, math.ceil(steps / record_every))
    work = bank.n_neurons * X.shape[0] * (X.shape[1] + 4) * record_every
    piece = record_every * max(1, min(math.ceil(n_records / _PIECES), int(_PIECE_WORK // work)))
    histories = []
    with tqdm(total=steps, desc=desc, unit="step", disable=disable, leave=False) as bar:
        done = 0
        while True:
            stop_if_cancelled()
            length = min(piece, steps - done)
            histories.append(bank.fit(X, target, steps=length, record_every=record_every, **fit))
            done += length
            bar.update(length)
            if done >= steps:
                break
    return History.concatenate(histories)


def compare(
    data: Dataset,
    *,
    teacher="kernel",
    teacher_params: dict | None = None,
    widths=WIDTHS,
    seeds=SEEDS,
    steps: int | None = None,
    lr: float = LR,
    radius: float | None = None,
    projection: str = "neuron",
    temperature: float | None = None,
    record_every: int | None = None,
    dtype=np.float32,
    init: str = "gaussian",
    protocol=None,
    n_threads=None,
    progress: bool | None = None,
) -> Comparison:
    """Soft- vs hard-label students of every width and seed, in one batched engine call.

    The teacher is fitted on the training set; its logits f_T give the soft
    labels p = sigmoid(f_T / temperature). For each seed and width, a soft
    student trains on p with the loss temperature^2 KL(p || sigmoid(f / temperature))
    and a hard student on the labels with the logistic loss (temperature 1);
    both start from the same weights (the seed's initialisation stream) and
    share every other setting.

    Parameters
    ----------
    data : Dataset
    teacher : "kernel", "margin", "network", an array, or a teacher object
        "kernel": :class:`~kdfast.teachers.KernelTeacher`, the infinite-width
        limit of the hard-label student; "margin": the function realising
        the NTK margin; "network": a wide kdfast student trained on hard
        labels; an array: the teacher's logits on the training inputs
        (an :class:`~kdfast.teachers.ArrayTeacher`); an object: anything with
        ``fit(X, y)`` and ``logits(X)`` (fitted here on the training set).
    teacher_params : dict, optional
        Keyword arguments of the teacher's class, for a teacher given by
        name (or of ArrayTeacher, for an array: e.g. ``test_logits``).
    widths : sequence of int
        Student widths (distinct; sorted here).
    seeds : int or sequence of int
        A count n (seeds 0 .. n-1) or the seeds themselves.
    steps : int >= 0 or None
        Gradient steps; None: kdfast's default, 1000 (``experiments.STEPS``),
        or the protocol's when one is given (a protocol and `steps` together
        are an error: the protocol sets each student's steps).
    lr, radius, projection : as in :meth:`StudentBank.fit`
        (radius None: plain gradient descent).
    temperature : None or float > 0
        Temperature of the soft labels and of the soft students' loss.
        None: the teacher's own `temperature` when it has one (e.g.
        ``NetworkTeacher(temperature=4)``), else 1.
    record_every : int, optional
        Record the curves every this many steps (default: about 100 points).
    dtype : float32 or float64, the students' precision.
    init : "gaussian" or "symmetric"
        The students' start (see :class:`~kdfast.StudentBank`); "symmetric"
        starts every student at f = 0 and needs even widths.
    protocol : kdfast.theory.Protocol, optional
        Each student's radius and number of steps from the data's margin
        gamma and the protocol's eps, with the theorems' dependence (see
        :class:`~kdfast.theory.Protocol`); replaces `radius` (which must
        then be None) and `steps`. gamma is the protocol's, else measured
        with :func:`kdfast.margin` on the clean training labels. Soft and
        hard students train in one bank; those with fewer steps are
        recorded when they reach them, the rest train on.
    n_threads : None or int, scikit-learn's meaning; results do not depend on it.
    progress : None, True or False
        Show a progress bar; None: only when stderr is a terminal.

    Returns
    -------
    Comparison
    """
    if not isinstance(data, Dataset):
        raise check.InputTypeError(
            f"data: expected a kdfast Dataset, got {type(data).__name__} (see kdfast.datasets.from_arrays)"
        )
    widths, seeds = sorted(check.int_list(widths, "widths", minimum=1, distinct=True)), seed_list(seeds)
    lr = check.real_number(lr, "lr", minimum=0, exclusive=True)
    radius = None if radius is None else check.real_number(radius, "radius", minimum=0, exclusive=True)
    init = check.init(init, widths)
    if protocol is not None:
        if not isinstance(protocol, Protocol):
            raise check.InputTypeError(f"protocol: expected a kdfast.theory.Protocol, got {type(protocol).__name__}")
        if radius is not None:
            raise check.InputValueError("radius: set by the protocol; give one or the other")
        if steps is not None:
            raise check.InputValueError("steps: set by the protocol; give one or the other")
    # The longest student's steps; under a protocol, known once gamma is.
    total_steps = (
        0 if protocol is not None else check.positive_int(STEPS if steps is None else steps, "steps", minimum=0)
    )
    check.projection(projection)
    if record_every is not None:
        record_every = check.positive_int(record_every, "record_every")
    disable = check.progress_disabled(progress)
    threads = effective_n_threads(n_threads)
    X, y, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test

    started = time.perf_counter()
    model = make_teacher(teacher, teacher_params, n_threads=threads, X_test=X_test)
    if temperature is None:
        temperature = getattr(model, "temperature", 1.0)
    temperature = check.real_number(temperature, "temperature", minimum=0, exclusive=True)
    f_train, f_test = _teacher_logits(model, data)
    teacher_seconds = time.perf_counter() - started

    # Per seed: the soft students of every width, then the hard ones. The
    # target matrix has the soft labels in column 0 and the hard ones in 1.
    W, S = len(widths), len(seeds)
    bank = StudentBank(data.d, widths + widths, seeds=seeds, dtype=dtype, init=init)
    column = np.tile(np.repeat([0, 1], W), S)
    gamma = None
    if protocol is not None:
        gamma = protocol.gamma if protocol.gamma is not None else _clean_margin(data, threads)
        radii = {mode: protocol.radius(mode, gamma) for mode in MODES}
        mode_steps = {mode: protocol.steps(mode, lr, gamma) for mode in MODES}
        radius = np.array([radii[MODES[c]] for c in column])  # type: ignore[assignment]  # one per network
        total_steps = max(mode_steps.values())
    if record_every is None:
        record_every = max(1, total_steps // _CURVE_POINTS)
    hard = (1.0 + y) / 2.0
    fit = dict(
        target_index=column, y=y, lr=lr, radius=radius, projection=projection,
        temperature=np.where(column == 0, temperature, 1.0), n_threads=threads,
    )  # fmt: skip
    if data.n_test > 0:
        hard_test = (1.0 + y_test) / 2.0
        soft_test = hard_test if f_test is None else _sigmoid(f_test / temperature)
        fit.update(X_test=X_test, y_test=y_test, target_test=np.stack([soft_test, hard_test], axis=1))
    started = time.perf_counter()
    target = np.stack([_sigmoid(f_train / temperature), hard], axis=1)
    desc = f"{data.name}: {bank.n_networks} students"
    if protocol is None:
        history = _fit_in_pieces(
            bank, X, target, steps=total_steps, record_every=record_every, disable=disable, desc=desc, **fit
        )
        agreement = _agreement(bank, X_test, f_test, threads)
        net_steps = total_steps
    else:
        net_steps = np.array([mode_steps[MODES[c]] for c in column], dtype=np.int64)  # type: ignore[assignment]
        history, agreement, curves_end = _fit_until(bank, X, target, X_test, f_test, net_steps, record_every,
                                                    disable, desc, threads, fit)  # fmt: skip
    student_seconds = time.perf_counter() - started
    networks = pd.DataFrame({
        "dataset": data.name,
        "mode": np.array(MODES)[column],
        "width": np.tile(widths, 2 * S).astype(np.int64),
        "seed": np.repeat(np.array(seeds, dtype=np.int64), 2 * W),
    })  # fmt: skip
    settings = dict(
        temperature=np.where(column == 0, temperature, 1.0), lr=lr, radius=np.nan if radius is None else radius,
        projection=projection if radius is not None else "none", steps=net_steps, init=init,
    )  # fmt: skip
    if protocol is None:
        table = _table(networks, history, agreement, settings, soft_test_known=f_test is not None)
        curves = _curves(networks, history, soft_test_known=f_test is not None)
    else:
        table = _table(networks, curves_end, agreement, settings, soft_test_known=f_test is not None)
        curves = _curves(networks, history, soft_test_known=f_test is not None)
        curves = curves[curves["step"] <= np.where(curves["mode"] == "soft", mode_steps["soft"], mode_steps["hard"])]
        curves = curves.reset_index(drop=True)
    params = {
        "dataset": data.name, "data_params": dict(data.params), "n_train": int(X.shape[0]),
        "n_test": int(X_test.shape[0]), "d": int(data.d), "teacher": _describe(model),
        "teacher_train_acc": float(np.mean(np.sign(f_train) == y)),
        "teacher_test_acc": None if f_test is None else float(np.mean(np.sign(f_test) == y_test)),
        "temperature": temperature, "widths": widths, "seeds": seeds, "steps": total_steps, "lr": lr,
        "radius": radius if protocol is None else {mode: radii[mode] for mode in MODES}, "init": init,
        "protocol": None if protocol is None else {**dataclasses.asdict(protocol), "gamma": gamma, "steps": mode_steps},
        "projection": projection, "record_every": record_every, "dtype": np.dtype(dtype).name, "n_threads": threads,
        "seconds_teacher": teacher_seconds, "seconds_students": student_seconds, "kdfast": __version__,
    }  # fmt: skip
    return Comparison(table, curves, params, teacher=model)


def _agreement(bank: StudentBank, X_test, f_test, threads) -> np.ndarray:
    """Per network, the share of test inputs where its sign matches the teacher's (NaN: no teacher on them)."""
    if f_test is None:
        return np.full(bank.n_networks, np.nan)
    F = bank.logits(X_test, n_threads=threads)
    return np.mean(np.sign(F) == np.sign(f_test)[:, None], axis=0)


def _clean_margin(data: Dataset, threads) -> float:
    """gamma of the data set's clean training labels, for a protocol without one."""
    return margin(data.X_train, data.y_train_clean, n_threads=threads).gamma


def _fit_until(bank, X, target, X_test, f_test, net_steps, record_every, disable, desc, threads, fit):
    """Train every network k for net_steps[k] steps in one bank.

    The bank trains in stages up to each distinct step count; after a stage
    the networks that stop there are read off (their records and their
    agreement with the teacher), the others train on. Returns the history of
    the whole fit (for the curves), the agreement, and a one-row-per-stop
    History whose final rows and averages are each network's own at its
    step count (for the table).
    """
    stops = sorted(set(net_steps.tolist()))
    pieces, agreement, done = [], np.full(bank.n_networks, np.nan), 0
    mean_loss, max_drift = np.full(bank.n_networks, np.nan), np.full(bank.n_networks, np.nan)
    last = {}
    for stop in stops:
        pieces.append(_fit_in_pieces(bank, X, target, steps=stop - done, record_every=record_every,
                                     disable=disable, desc=desc, **fit))  # fmt: skip
        done = stop
        so_far = History.concatenate(pieces)
        here = net_steps == stop
        mean_loss[here] = so_far.mean_loss[here]
        max_drift[here] = so_far.max_drift[here]
        agreement[here] = _agreement(bank, X_test, f_test, threads)[here]
        for name in ("loss", "train_acc", "test_loss", "test_acc"):
            record = getattr(so_far, name)
            if record is not None:
                last.setdefault(name, np.full(bank.n_networks, np.nan))[here] = record[-1, here]
    end = History(
        steps=np.array([done]), loss=last["loss"][None], mean_loss=mean_loss,
        **{name: last[name][None] if name in last else None for name in ("train_acc", "test_loss", "test_acc")},
        max_drift=max_drift,
    )  # fmt: skip
    return History.concatenate(pieces), agreement, end


def _teacher_logits(model, data: Dataset) -> tuple[np.ndarray, np.ndarray | None]:
    """Fit the teacher; its logits on the training inputs and, when it can say, the test inputs."""
    model.fit(data.X_train, data.y_train)
    return _checked_logits(model.logits(data.X_train), data.n_train, "training"), _test_logits(model, data.X_test)


def _checked_logits(logits, n: int, which: str) -> np.ndarray:
    """A teacher's logits as (n,) float64. +-inf is allowed (probability 0 or 1, as from an
    ArrayTeacher given probabilities), NaN is not."""
    f = np.asarray(logits, dtype=np.float64).reshape(-1)
    if f.shape != (n,) or np.isnan(f).any():
        raise check.InputValueError(f"teacher: expected {n} {which} logits without NaN, got shape {f.shape}"
                         + (" with NaN" if f.shape == (n,) else ""))  # fmt: skip
    return f


def _table(networks: pd.DataFrame, history: History, agreement, settings: dict, *, soft_test_known: bool):
    """One row per network: its results after the fit, then the run's settings."""
    K = len(networks)

    def last(record):
        return np.full(K, np.nan) if record is None else record[-1]

    test_loss = last(history.test_loss)
    if not soft_test_known:  # the soft target is unknown on test inputs
        test_loss = np.where(networks["mode"] == "soft", np.nan, test_loss)
    table = networks.assign(
        mean_loss=history.mean_loss, final_loss=history.final_loss, train_acc=last(history.train_acc),
        test_loss=test_loss, test_acc=last(history.test_acc), teacher_agreement=agreement,
        max_drift=history.max_drift, **settings,
    )  # fmt: skip
    return table.sort_values(["mode", "width", "seed"], key=mode_first, kind="stable", ignore_index=True)


def _describe(teacher) -> str:
    """ClassName(param=value, ...) from the scalar parameters of the teacher's constructor."""
    try:
        names = list(inspect.signature(type(teacher)).parameters)
    except (TypeError, ValueError):
        names = []
    shown = []
    for name in names:
        value = getattr(teacher, name, None)
        if isinstance(value, (bool, int, float, str, np.number)) and not isinstance(value, np.ndarray):
            shown.append(f"{name}={value!r}")
    return f"{type(teacher).__name__}({', '.join(shown)})"


def _curves(networks: pd.DataFrame, history: History, *, soft_test_known: bool) -> pd.DataFrame:
    """One row per (network, recorded step): loss and accuracies."""
    T, K = history.loss.shape
    frame = networks.loc[np.tile(np.arange(K), T)].reset_index(drop=True)
    frame["step"] = np.repeat(history.steps, K)

    def flat(record):
        return np.full(T * K, np.nan) if record is None else record.reshape(-1)

    frame["loss"] = flat(history.loss)
    frame["train_acc"] = flat(history.train_acc)
    frame["test_loss"] = flat(history.test_loss)
    if not soft_test_known:
        frame.loc[frame["mode"] == "soft", "test_loss"] = np.nan
    frame["test_acc"] = flat(history.test_acc)
    return frame.sort_values(["mode", "width", "seed", "step"], key=mode_first, kind="stable", ignore_index=True)


def seed_list(seeds) -> list[int]:
    """A count n (seeds 0 .. n-1) or distinct seeds below 2**63 (above are the teachers' streams)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        return list(range(check.positive_int(seeds, "seeds")))
    values = check.int_list(seeds, "seeds", minimum=0, distinct=True)
    if max(values) >= TEACHER_STREAMS:
        raise check.InputValueError(f"seeds: every value must be < 2**63, got {max(values)}")
    return values
