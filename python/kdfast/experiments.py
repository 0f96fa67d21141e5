"""Soft- vs hard-label students of many widths and seeds, trained in one batched call.

:func:`compare` fits one or several teachers, turns their logits into soft
labels at one or several temperatures, and trains, for every seed and
width, one student per teacher and temperature on the soft labels and one
on the hard labels. All of them share one :class:`~kdfast.StudentBank` and
one engine call, and the students of a seed start from identical weights,
so every soft-vs-hard difference is a paired comparison. With
``replicates=R`` the whole experiment is repeated on R draws of the data
(and of the teachers' seeds), so that intervals cover the data as well as
the initialisation.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import pandas as pd

from . import _validation as check
from ._metrics import mode_first
from ._replicate import Group, replicate
from ._threads import effective_n_threads
from ._version import __version__
from .comparison import Comparison
from .datasets import Dataset
from .teachers import TEACHER_STREAMS, ArrayTeacher, make_teacher
from .theory import Protocol

__all__ = ["Comparison", "compare"]

# Defaults of compare(), which the command line reads from its signature;
# see docs/RESULTS.md for how they were chosen.
WIDTHS = tuple(2**k for k in range(9))  # 1 .. 256
SEEDS = 3
STEPS = 1000
LR = 8.0


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
    temperature=None,
    replicates: int = 1,
    validation: float | None = None,
    record_every: int | None = None,
    dtype=np.float32,
    init: str = "gaussian",
    protocol=None,
    n_threads=None,
    progress: bool | None = None,
) -> Comparison:
    """Soft- vs hard-label students of every width and seed, in one batched engine call per replicate.

    Each teacher is fitted on the training set; its logits f_T give the soft
    labels p = sigmoid(f_T / temperature). For each seed and width, a soft
    student per teacher and temperature trains on p with the loss
    temperature^2 KL(p || sigmoid(f / temperature)), and a hard student on
    the labels with the logistic loss (temperature 1); all start from the
    same weights (the seed's initialisation stream) and share every other
    setting.

    Parameters
    ----------
    data : Dataset
    teacher : "kernel", "margin", "network", an array, a teacher object, or a dict of them
        "kernel": :class:`~kdfast.teachers.KernelTeacher`, the infinite-width
        limit of the hard-label student; "margin": the function realising
        the NTK margin; "network": a wide kdfast student trained on hard
        labels; an array: the teacher's logits on the training inputs
        (an :class:`~kdfast.teachers.ArrayTeacher`); an object: anything with
        ``fit(X, y)`` and ``logits(X)``, e.g. :class:`~kdfast.SklearnTeacher`
        or ``kdfast.deep.ConvTeacher``. A copy of it is fitted on the
        training set (the object given stays as it was); the fitted one is
        ``Comparison.teacher`` (a dict by name when there are several).
        A dict name -> name or object trains the soft students of every
        teacher in the same engine call as one set of hard students; the
        table's ``teacher`` column holds the names.
    teacher_params : dict, optional
        Keyword arguments of the teacher's class, for a single teacher given
        by name (or of ArrayTeacher, for an array: e.g. ``test_logits``).
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
    temperature : None, a float > 0, or a sequence of them
        Temperatures of the soft labels and of the soft students' loss; with
        several, each teacher's soft students of every temperature train in
        the same call (a ``temperature`` column in the table). None: each
        teacher's own `temperature` when it has one (e.g.
        ``NetworkTeacher(temperature=4)``), else 1.
    replicates : int >= 1
        Repeat the experiment on this many draws of the data: replicate r
        uses ``data.redraw(seed + r)`` (seed: the data set's own, so
        replicate 0 is `data` itself), which redraws everything the data
        set's seed controls (split, subsets, label flips, pixel noise), and
        every teacher with a `seed` parameter is refitted with seed + r
        (a seed of None counts as 0 from replicate 1 on).
        The students' starts are the same in every replicate. Data sets
        made by ``from_arrays`` cannot be redrawn.
    validation : None or float in (0, 1)
        Hold out this stratified share of the training set (seeded by the
        replicate's data seed; never the test set). Teachers and students
        train on the rest; every record interval the students' accuracy on
        the held-out (noisy) labels is measured, and the table gains
        val_acc, best_step and test_acc_early: the test accuracy at the
        first step with the best validation accuracy.
    record_every : int, optional
        Record the curves every this many steps (default: about 100 points).
    dtype : float32 or float64, the students' precision.
    init : "gaussian" or "symmetric"
        The students' start (see :class:`~kdfast.StudentBank`); "symmetric"
        starts every student at f = 0 and needs even widths.
    protocol : kdfast.theory.Protocol, optional
        Each student's radius and number of steps from the data's margin
        gamma and the protocol's eps, with the theorems' dependence or
        their own formulas (see :class:`~kdfast.theory.Protocol`; the
        formulas take the number of training examples and the students'
        `init`, and need ``lr <= 1``); replaces `radius` (which must then
        be None) and `steps`. gamma is the protocol's, else measured
        with :func:`kdfast.margin` on the clean training labels. Soft and
        hard students train in one bank; those with fewer steps are
        recorded when they reach them, the rest train on. Not with
        `validation`.
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
    replicates = check.positive_int(replicates, "replicates")
    if validation is not None:
        validation = check.real_number(validation, "validation", minimum=0, maximum=1, exclusive=True)
    total_steps = _budget(protocol, steps, radius, validation, lr)
    check.projection(projection)
    if record_every is not None:
        record_every = check.positive_int(record_every, "record_every")
    disable = check.progress_disabled(progress)
    threads = effective_n_threads(n_threads)
    teachers = _teachers(teacher, teacher_params, threads, data.X_test)
    temperatures = _temperatures(temperature, teachers)
    if replicates > 1 and any(isinstance(t, ArrayTeacher) for t in teachers.values()):
        raise check.InputValueError(
            "replicates: a teacher given as arrays of outputs belongs to one draw of the data; use replicates=1"
        )
    base_seed = int(data.params.get("seed", 0) or 0)
    draws = [data] + [data.redraw(base_seed + r) for r in range(1, replicates)]
    groups = [Group("hard", None, 1.0)] + [Group("soft", name, tau) for name in teachers for tau in temperatures[name]]

    design = dict(
        widths=widths,
        seeds=seeds,
        lr=lr,
        radius=radius,
        projection=projection,
        init=init,
        dtype=dtype,
        protocol=protocol,
        total_steps=total_steps,
        record_every=record_every,
        validation=validation,
        threads=threads,
        disable=disable,
    )
    parts = [
        replicate(r, base_seed + r, draw, teachers, groups, design, desc=_description(data, r, replicates))
        for r, draw in enumerate(draws)
    ]
    keys = ["replicate", "mode", "teacher", "temperature", "width", "seed"]
    table, curves = _stacked([p[0] for p in parts], keys), _stacked([p[1] for p in parts], [*keys, "step"])
    params = _params(data, teachers, groups, design, [p[2] for p in parts])
    return Comparison(table, curves, params, teacher=parts[0][3] if len(teachers) == 1 else parts[0][4])


def _budget(protocol, steps, radius, validation, lr: float) -> int:
    """The steps of every student without a protocol; 0 under one (its steps are known once gamma is)."""
    if protocol is None:
        return check.positive_int(STEPS if steps is None else steps, "steps", minimum=0)
    if not isinstance(protocol, Protocol):
        raise check.InputTypeError(f"protocol: expected a kdfast.theory.Protocol, got {type(protocol).__name__}")
    protocol.check_lr(lr)  # the theorems' rule needs lr <= 1: said now, not after the teachers' fit
    if radius is not None:
        raise check.InputValueError("radius: set by the protocol; give one or the other")
    if steps is not None:
        raise check.InputValueError("steps: set by the protocol; give one or the other")
    if validation is not None:
        raise check.InputValueError("validation: not with a protocol, whose students stop at different steps")
    return 0


def _stacked(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The replicates' rows in one frame, soft before hard, then in the order of `keys`."""
    stacked = pd.concat(frames, ignore_index=True)
    return stacked.sort_values(keys, key=mode_first, kind="stable", ignore_index=True, na_position="first")


def _description(data: Dataset, r: int, replicates: int) -> str:
    return data.name if replicates == 1 else f"{data.name} [{r + 1}/{replicates}]"


def _teachers(teacher, teacher_params, threads: int, X_test) -> dict:
    """Unfitted teachers by name, from compare's `teacher` and `teacher_params`."""
    if not isinstance(teacher, dict):
        model = make_teacher(teacher, teacher_params, n_threads=threads, X_test=X_test)
        return {teacher if isinstance(teacher, str) else type(model).__name__: model}
    if not teacher:
        raise check.InputValueError("teacher: an empty dict; give at least one teacher")
    if teacher_params is not None:
        raise check.InputValueError(
            "teacher_params: only for a single teacher; give the teachers of a dict as objects with their parameters"
        )
    teachers = {}
    for name, spec in teacher.items():
        if not isinstance(name, str) or not name:
            raise check.InputTypeError(f"teacher: names must be non-empty strings, got {name!r}")
        if isinstance(spec, (np.ndarray, ArrayTeacher)):
            raise check.InputValueError(f"teacher: {name!r} is given as outputs; a dict takes names or teacher objects")
        teachers[name] = make_teacher(spec, None, n_threads=threads, X_test=X_test)
    return teachers


def _temperatures(temperature, teachers: dict) -> dict[str, list[float]]:
    """Each teacher's temperatures: the ones given, else its own (1 unless it has that parameter)."""
    if temperature is None:
        return {
            name: [check.real_number(getattr(m, "temperature", 1.0), "temperature", minimum=0, exclusive=True)]
            for name, m in teachers.items()
        }
    if isinstance(temperature, (numbers.Real, np.number)) and not isinstance(temperature, bool):
        values = [temperature]
    else:
        try:
            values = list(temperature)
        except TypeError:
            raise check.InputTypeError(
                f"temperature: expected a number > 0 or a sequence of them, got {type(temperature).__name__}"
            ) from None
        if not values:
            raise check.InputValueError("temperature: an empty sequence; give at least one temperature")
    checked = [check.real_number(t, "temperature", minimum=0, exclusive=True) for t in values]
    if len(set(checked)) != len(checked):
        raise check.InputValueError(f"temperature: every value must be different, got {checked}")
    return {name: checked for name in teachers}


def _params(data: Dataset, teachers: dict, groups: list[Group], design: dict, replicates: list[dict]) -> dict:
    """The run's settings; each replicate's draw and teachers under "replicates"."""
    first = replicates[0]
    temperatures = sorted({g.temperature for g in groups if g.teacher is not None})
    only = next(iter(teachers)) if len(teachers) == 1 else None
    protocol = design["protocol"]
    return {
        "students": "two-layer",
        "dataset": data.name,
        "data_params": dict(data.params),
        "n_train": first["n_train"],
        "n_validation": first["n_validation"],
        "n_test": first["n_test"],
        "d": int(data.d),
        "teacher": first["teachers"][only]["teacher"] if only else ", ".join(teachers),
        "teacher_names": list(teachers),
        "teacher_train_acc": first["teachers"][only]["teacher_train_agreement"] if only else None,
        "teacher_test_acc": _finite_or_none(np.mean([p["teachers"][only]["teacher_test_acc"] for p in replicates]))
        if only
        else None,
        "temperature": temperatures[0] if len(temperatures) == 1 else temperatures,
        "widths": design["widths"],
        "seeds": design["seeds"],
        "replicates": len(replicates),
        "validation": design["validation"],
        "steps": first["steps"],
        "lr": design["lr"],
        "radius": first["radius"],
        "init": design["init"],
        "protocol": None
        if protocol is None
        else {**dataclasses.asdict(protocol), "gamma": first["gamma"], "steps": first["steps"]},
        "projection": design["projection"],
        "record_every": first["record_every"],
        "dtype": np.dtype(design["dtype"]).name,
        "n_threads": design["threads"],
        "seconds_teacher": sum(sum(t["seconds"] for t in p["teachers"].values()) for p in replicates),
        "seconds_students": sum(p["seconds_students"] for p in replicates),
        "kdfast": __version__,
        "replicate_params": replicates,
    }


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def seed_list(seeds) -> list[int]:
    """A count n (seeds 0 .. n-1) or distinct seeds below 2**63 (above are the teachers' streams)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        return list(range(check.positive_int(seeds, "seeds")))
    values = check.int_list(seeds, "seeds", minimum=0, distinct=True)
    if max(values) >= TEACHER_STREAMS:
        raise check.InputValueError(f"seeds: every value must be < 2**63, got {max(values)}")
    return values
