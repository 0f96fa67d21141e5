"""One draw of the data: fit the teachers, train every group's students in one bank, tabulate.

:func:`kdfast.compare` plans the experiment (which groups of students, how
many replicates) and calls :func:`replicate` once per draw of the data;
this module does the work of one draw. A *group* is the students of one
target: the hard labels, or one teacher's soft labels at one temperature.
Per seed the bank holds every width of every group, and group g trains on
column g of the target matrix, so all of them share one engine call.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import time

import numpy as np
import pandas as pd

from . import _validation as check
from ._bank import StudentBank
from ._fitting import fit_until
from ._history import History
from ._jobs import stop_if_cancelled
from ._metrics import MODES
from ._sampling import holdout
from .datasets import Dataset
from ._margin import margin
from .teachers import ArrayTeacher

__all__ = ["Group", "replicate"]

# Records per curve when record_every is left to compare(); a few hundred
# points draw a smooth curve and keep the curves table small.
_CURVE_POINTS = 100
# The validation split of replicate r is drawn from the generator seeded by
# (data seed, _VALIDATION_STREAM): a stream no data set family uses.
_VALIDATION_STREAM = 0x5EED_0FF


def _sigmoid(f: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * f))


def _sign_agreement(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The share of rows where sign(F) equals y (f = 0 counts as wrong, as in the engine's accuracy):
    per column of an (n, K) F, or one number for an (n,) F."""
    return np.mean(np.sign(F) == (y[:, None] if F.ndim == 2 else y), axis=0)


def _soft_labels(f: np.ndarray | None, temperature: float, unknown: np.ndarray) -> np.ndarray:
    """sigmoid(f / temperature); `unknown` where the teacher gave no outputs (its test loss is then not reported)."""
    return unknown if f is None else _sigmoid(f / temperature)


@dataclasses.dataclass(frozen=True)
class Group:
    """The students of one target: the hard labels, or one teacher's soft labels at one temperature."""

    mode: str
    teacher: str | None
    temperature: float


@dataclasses.dataclass(frozen=True)
class _Split:
    """One replicate's data as the students see it: training rows, held-out validation rows, test rows."""

    X: np.ndarray
    y: np.ndarray
    y_clean: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray


@dataclasses.dataclass(frozen=True)
class Schedule:
    """How many steps each mode's students train, and within which radius (None: no projection).

    Fixed settings give every student the same; a protocol gives each mode
    its own, from the margin gamma of the draw (:meth:`for_draw`).
    """

    steps: dict[str, int]
    radius: dict[str, float | None]
    gamma: float | None = None
    per_mode: bool = False

    @classmethod
    def for_draw(cls, design: dict, split: _Split, threads: int) -> Schedule:
        protocol = design["protocol"]
        if protocol is None:
            return cls({m: design["total_steps"] for m in MODES}, {m: design["radius"] for m in MODES})
        gamma = protocol.gamma if protocol.gamma is not None else _clean_margin(split, threads)
        data = {"n": split.X.shape[0], "init": design["init"]}
        return cls(
            steps={mode: protocol.steps(mode, design["lr"], gamma, **data) for mode in MODES},
            radius={mode: protocol.radius(mode, gamma, **data) for mode in MODES},
            gamma=gamma,
            per_mode=True,
        )

    @property
    def total(self) -> int:
        """The longest student's steps: the bank's."""
        return max(self.steps.values())

    def of_networks(self, group_of: list[Group]) -> tuple[np.ndarray, np.ndarray | float | None]:
        """Each network's steps, and the radius argument of the fit (one value when all networks share it)."""
        steps = np.array([self.steps[g.mode] for g in group_of], dtype=np.int64)
        if not self.per_mode:
            return steps, self.radius[MODES[0]]
        return steps, np.array([self.radius[g.mode] for g in group_of])

    def params(self) -> dict:
        """The replicate's steps and radius: one value each, or one per mode."""
        if not self.per_mode:
            return {"steps": self.total, "radius": self.radius[MODES[0]]}
        return {"steps": dict(self.steps), "radius": dict(self.radius)}


class _EarlyStopping:
    """Validation and test accuracy of every network at each check; the test accuracy where validation peaked.

    A network's early-stopped accuracy is its test accuracy at the first
    check with its best validation accuracy (step 0, the initial weights,
    included), as a practitioner who keeps the best checkpoint would get.
    """

    def __init__(self, bank: StudentBank, split: _Split, threads: int):
        assert split.X_val is not None and split.y_val is not None
        self.bank = bank
        self.X = np.vstack([split.X_val, split.X_test])
        self.y_val, self.y_test = split.y_val, split.y_test
        self.threads = threads
        self.steps: list[int] = []
        self.val_acc: list[np.ndarray] = []
        self.test_acc: list[np.ndarray] = []

    def __call__(self, step: int) -> None:
        F = self.bank.logits(self.X, n_threads=self.threads)
        n_val = self.y_val.shape[0]
        self.steps.append(step)
        self.val_acc.append(_sign_agreement(F[:n_val], self.y_val))
        self.test_acc.append(_sign_agreement(F[n_val:], self.y_test))

    def columns(self) -> dict[str, np.ndarray]:
        val = np.array(self.val_acc)
        best = np.argmax(val, axis=0)  # the first of the best
        K = val.shape[1]
        return {
            "val_acc": val[best, np.arange(K)],
            "test_acc_early": np.array(self.test_acc)[best, np.arange(K)] if self.y_test.size else np.full(K, np.nan),
            "best_step": np.array(self.steps, dtype=np.int64)[best],
        }

    def curve(self) -> np.ndarray:
        """(checks, K) validation accuracy, one row per record of the fit."""
        return np.array(self.val_acc)


def _split(data: Dataset, data_seed: int, validation: float | None) -> _Split:
    X, y, y_clean = data.X_train, data.y_train, data.y_train_clean
    assert y_clean is not None
    if validation is None:
        return _Split(X, y, y_clean, None, None, data.X_test, data.y_test)
    held = holdout(y, validation, np.random.default_rng([data_seed, _VALIDATION_STREAM]))
    rest = np.setdiff1d(np.arange(X.shape[0]), held)
    return _Split(X[rest], y[rest], y_clean[rest], X[held], y[held], data.X_test, data.y_test)


def _fit_teacher(model, split: _Split) -> tuple[np.ndarray, np.ndarray | None, dict, float]:
    """Fit a teacher: its training and test logits, how good it is, and the seconds it took."""
    started = time.perf_counter()
    model.fit(split.X, split.y)
    f_train = _checked_logits(model.logits(split.X), split.X.shape[0], "training")
    f_test = _test_logits(model, split.X_test)
    flipped = split.y != split.y_clean
    stats = {
        "teacher_train_agreement": float(_sign_agreement(f_train, split.y)),
        "teacher_test_acc": np.nan if f_test is None else float(_sign_agreement(f_test, split.y_test)),
        "teacher_flipped_fit": float(_sign_agreement(f_train[flipped], split.y[flipped])) if flipped.any() else np.nan,
    }
    return f_train, f_test, stats, time.perf_counter() - started


def _test_logits(teacher, X_test: np.ndarray) -> np.ndarray | None:
    """The teacher's test logits, or None when it only knows its training inputs."""
    if X_test.shape[0] == 0:
        return None
    if isinstance(teacher, ArrayTeacher) and teacher.test_logits_ is None:
        return None  # it knows its training outputs only
    return _checked_logits(teacher.logits(X_test), X_test.shape[0], "test")


def replicate(r: int, data_seed: int, data: Dataset, teachers: dict, groups: list[Group], design: dict, desc: str):
    """One draw of the data: fit the teachers, train every group's students in one bank, tabulate.

    Returns (table, curves, params of this replicate, its only teacher, all its teachers).
    """
    split = _split(data, data_seed, design["validation"])
    threads = design["threads"]
    fitted: dict = {}
    logits: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    stats: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    for name, spec in teachers.items():
        stop_if_cancelled()
        fitted[name] = _reseeded(spec, r)
        f_train, f_test, stats[name], seconds[name] = _fit_teacher(fitted[name], split)
        logits[name] = (f_train, f_test)
    widths, seeds = design["widths"], design["seeds"]
    W, S, G = len(widths), len(seeds), len(groups)
    # Per seed: the students of every width for each group in turn; group g
    # trains on column g of the targets (the hard labels, then soft ones).
    bank = StudentBank(data.d, widths * G, seeds=seeds, dtype=design["dtype"], init=design["init"])
    column = np.tile(np.repeat(np.arange(G), W), S)
    group_of = [groups[c] for c in column]
    temperature = np.array([g.temperature for g in group_of])
    soft_test_known = {g.teacher: logits[g.teacher][1] is not None for g in groups if g.teacher is not None}
    target = np.stack(
        [(1.0 + split.y) / 2.0] + [_sigmoid(logits[str(g.teacher)][0] / g.temperature) for g in groups[1:]], axis=1
    )
    fit: dict = dict(
        target_index=column,
        y=split.y,
        lr=design["lr"],
        projection=design["projection"],
        temperature=temperature,
        n_threads=threads,
    )
    if split.X_test.shape[0] > 0:
        hard_test = (1.0 + split.y_test) / 2.0
        soft_test = [_soft_labels(logits[str(g.teacher)][1], g.temperature, hard_test) for g in groups[1:]]
        fit.update(X_test=split.X_test, y_test=split.y_test, target_test=np.stack([hard_test, *soft_test], axis=1))
    schedule = Schedule.for_draw(design, split, threads)
    net_steps, radius = schedule.of_networks(group_of)
    record_every = design["record_every"] or max(1, schedule.total // _CURVE_POINTS)
    fit["radius"] = radius
    started = time.perf_counter()
    early = None if split.X_val is None else _EarlyStopping(bank, split, threads)
    ends = _Ends(bank, split, logits, group_of, threads)
    history, end = fit_until(
        bank,
        split.X,
        target,
        net_steps,
        record_every,
        design["disable"],
        f"{desc}: {bank.n_networks} students",
        fit,
        ends,
        early,
    )
    student_seconds = time.perf_counter() - started

    networks = pd.DataFrame(
        {
            "dataset": data.name,
            "replicate": np.int64(r),
            "data_seed": np.int64(data_seed),
            "mode": [g.mode for g in group_of],
            "teacher": pd.array([g.teacher for g in group_of], dtype=object),
            "temperature": temperature,
            "width": np.tile(widths, G * S).astype(np.int64),
            "seed": np.repeat(np.array(seeds, dtype=np.int64), G * W),
        }
    )
    teacher_columns = {
        key: np.array([np.nan if g.teacher is None else stats[g.teacher][key] for g in group_of])
        for key in ("teacher_test_acc", "teacher_train_agreement", "teacher_flipped_fit")
    }
    settings = dict(
        lr=design["lr"],
        radius=np.nan if radius is None else radius,
        projection=design["projection"] if radius is not None else "none",
        steps=net_steps,
        init=design["init"],
    )
    soft_known = np.array([g.teacher is None or soft_test_known[g.teacher] for g in group_of])
    early_columns = {} if early is None else early.columns()
    table = _table(networks, end, {**early_columns, **teacher_columns}, settings, soft_known)
    curves = _curves(networks, history, soft_known, None if early is None else early.curve())
    # A network's curve ends at its own last step (under a protocol, soft and hard students stop apart).
    curves = curves[curves["step"].to_numpy() <= np.tile(net_steps, len(history.steps))].reset_index(drop=True)
    params = {
        "replicate": r,
        "data_seed": data_seed,
        "data_params": dict(data.params),
        "n_train": int(split.X.shape[0]),
        "n_validation": 0 if split.X_val is None else int(split.X_val.shape[0]),
        "n_test": int(split.X_test.shape[0]),
        "teachers": {
            name: {"teacher": _describe(fitted[name]), **stats[name], "seconds": seconds[name]} for name in teachers
        },
        "gamma": schedule.gamma,
        **schedule.params(),
        "record_every": record_every,
        "seconds_students": student_seconds,
    }
    only = next(iter(fitted.values()))
    return table, curves, params, only, fitted


class _Ends:
    """What a network is measured on at the end of its fit, beyond the engine's records.

    teacher_agreement: the share of test inputs where its sign is its
    teacher's (hard students: the one teacher's, NaN with several);
    flipped_fit: the share of flipped training labels it fits (NaN without flips).
    """

    def __init__(self, bank: StudentBank, split: _Split, logits: dict, group_of: list[Group], threads: int):
        self.bank, self.split, self.threads = bank, split, threads
        only = next(iter(logits)) if len(logits) == 1 else None
        self.teacher_test = [
            logits.get(g.teacher if g.teacher is not None else only, (None, None))[1] for g in group_of
        ]

    def __call__(self) -> dict[str, np.ndarray]:
        split, K = self.split, self.bank.n_networks
        agreement = np.full(K, np.nan)
        if split.X_test.shape[0] > 0 and any(f is not None for f in self.teacher_test):
            F = self.bank.logits(split.X_test, n_threads=self.threads)
            for k, f in enumerate(self.teacher_test):
                if f is not None:
                    agreement[k] = _sign_agreement(F[:, k], np.sign(f))
        flipped = split.y != split.y_clean
        flipped_fit = np.full(K, np.nan)
        if flipped.any():
            F = self.bank.logits(split.X[flipped], n_threads=self.threads)
            flipped_fit = _sign_agreement(F, split.y[flipped])
        return {"teacher_agreement": agreement, "flipped_fit": flipped_fit}


def _clean_margin(split: _Split, threads) -> float:
    """gamma of the clean training labels, for a protocol without one."""
    return margin(split.X, split.y_clean, n_threads=threads).gamma


def _checked_logits(logits, n: int, which: str) -> np.ndarray:
    """A teacher's logits as (n,) float64. +-inf is allowed (probability 0 or 1, as from an
    ArrayTeacher given probabilities), NaN is not."""
    f = np.asarray(logits, dtype=np.float64).reshape(-1)
    if f.shape != (n,) or np.isnan(f).any():
        raise check.InputValueError(
            f"teacher: expected {n} {which} logits without NaN, got shape {f.shape}"
            + (" with NaN" if f.shape == (n,) else "")
        )
    return f


def _table(networks: pd.DataFrame, end: dict, measured: dict, settings: dict, soft_known: np.ndarray):
    """One row per network: its results at the end of its fit, then the run's settings."""
    nan = np.full(len(networks), np.nan)
    columns = {name: end.get(name, nan) for name in ("mean_loss", "final_loss", "train_acc", "test_loss", "test_acc")}
    # A soft student's test loss needs its teacher on the test inputs.
    columns["test_loss"] = np.where(soft_known, columns["test_loss"], np.nan)
    ends = {name: end[name] for name in ("teacher_agreement", "flipped_fit")}
    return networks.assign(**columns, **ends, **measured, max_drift=end["max_drift"], **settings)


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


def _curves(networks: pd.DataFrame, history: History, soft_known: np.ndarray, val_acc) -> pd.DataFrame:
    """One row per (network, recorded step): loss and accuracies."""
    T, K = history.loss.shape
    frame = networks.loc[np.tile(np.arange(K), T)].reset_index(drop=True)
    frame["step"] = np.repeat(history.steps, K)

    def flat(record):
        return np.full(T * K, np.nan) if record is None else record.reshape(-1)

    frame["loss"] = flat(history.loss)
    frame["train_acc"] = flat(history.train_acc)
    frame["test_loss"] = np.where(np.tile(soft_known, T), flat(history.test_loss), np.nan)
    frame["test_acc"] = flat(history.test_acc)
    if val_acc is not None:
        frame["val_acc"] = flat(val_acc)
    return frame


def _reseeded(model, r: int):
    """A fresh copy of an unfitted teacher for replicate r: seed + r when it has a `seed` parameter."""
    model = copy.deepcopy(model)
    get_params = getattr(model, "get_params", None)
    if r > 0 and callable(get_params) and "seed" in get_params():
        model.set_params(seed=(get_params()["seed"] or 0) + r)
    return model
