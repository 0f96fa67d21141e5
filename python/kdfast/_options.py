"""The options compare, sweep and scaling share, and what they become: the teacher, the students, the margin.

Each option's default is the library's, read from the signature of the function it feeds.
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np

from . import _specs
from . import _validation as check
from ._specs import UsageError
from .experiments import STEPS, compare
from ._margin import margin
from .teachers import TEACHERS, ArrayTeacher, SklearnTeacher, make_teacher

# The teachers --teacher names: kdfast's own, and two of other families built here.
CLI_TEACHERS = (*TEACHERS, "svc", "conv", "array")


def default(function, name: str):
    """The default of `function`'s parameter `name`: the command line takes the library's defaults."""
    return inspect.signature(function).parameters[name].default


def add_training(p: argparse.ArgumentParser, *, teacher_params: str | None) -> None:
    """The teacher and students options; `teacher_params`: the command's own default options of the kernel teacher."""

    def compare_default(name):
        return default(compare, name)

    g = p.add_argument_group("teacher and students")
    g.add_argument(
        "--teacher",
        default=compare_default("teacher"),
        metavar="NAME[,NAME...]",
        help="kernel: infinite-width hard-label student; margin: the function realising gamma; network: a "
        "wide kdfast student; svc: scikit-learn's RBF SVC (kdfast[data]); conv: a CNN for image data "
        "(kdfast[torch]); array: logits from --teacher-logits. Several, comma-separated: their soft "
        f"students train in one call (default: {compare_default('teacher')})",
    )
    g.add_argument(
        "--teacher-param",
        action="append",
        default=[],
        metavar="[NAME.]KEY=VALUE",
        help="an option of the teacher, e.g. steps=300 or width=2048, or network.width=2048 with several "
        "teachers (repeatable)" + (f"; the kernel teacher's default here: {teacher_params}" if teacher_params else ""),
    )
    g.add_argument(
        "--teacher-logits", metavar="FILE.npy", help="the teacher's logits on the training inputs (--teacher array)"
    )
    g.add_argument("--teacher-test-logits", metavar="FILE.npy", help="and on the test inputs (optional)")
    widths = list(compare_default("widths"))
    g.add_argument(
        "--widths",
        type=_specs.widths,
        default=widths,
        help=f"e.g. 1,2,4 or 1:256:x2 (default {','.join(map(str, widths))})",
    )
    g.add_argument(
        "--seeds",
        type=_specs.seeds,
        default=compare_default("seeds"),
        help=f"a count or a list: 3 (seeds 0-2), 0,5,9, or 5, (seed 5 alone) (default {compare_default('seeds')})",
    )
    g.add_argument(
        "--steps",
        type=int,
        default=compare_default("steps"),
        help=f"gradient steps (default {STEPS}; not with --protocol, which sets them)",
    )
    g.add_argument(
        "--lr",
        type=_specs.number,
        default=compare_default("lr"),
        help=f"learning rate (default {compare_default('lr'):g})",
    )
    g.add_argument(
        "--radius",
        type=_specs.radius,
        default=compare_default("radius"),
        help="projection radius, or none for plain gradient descent "
        f"(default {str(compare_default('radius')).lower()})",
    )
    g.add_argument(
        "--protocol",
        default=compare_default("protocol"),
        metavar="KEY=VALUE,...",
        help="each student's radius and steps from the margin gamma and a target loss eps, with the "
        "theorems' dependence or, with rule=theorems, their own formulas (kdfast.theory.Protocol; replaces "
        f"--radius and --steps): {_specs.protocol_options()}; e.g. eps=0.3,steps_constant=4 or "
        "rule=theorems,eps=0.1,max_steps=20000 (with --lr 1 or less)",
    )
    g.add_argument(
        "--projection",
        choices=("neuron", "network"),
        default=compare_default("projection"),
        help=f"default: {compare_default('projection')}",
    )
    g.add_argument(
        "--temperature",
        type=_specs.temperatures,
        default=compare_default("temperature"),
        help="temperature of the soft labels and the soft loss, or several (1,4) trained in one call "
        "(default: the teacher's, 1 unless --teacher-param temperature=T)",
    )
    g.add_argument(
        "--replicates",
        type=int,
        default=compare_default("replicates"),
        help="draws of the data (split, flips, noise) and of the teachers' seeds; intervals are over "
        f"them (default {compare_default('replicates')})",
    )
    g.add_argument(
        "--validation",
        type=_specs.number,
        default=compare_default("validation"),
        metavar="SHARE",
        help="hold out this share of the training set; report the early-stopped test accuracy too",
    )
    g.add_argument(
        "--record-every",
        type=int,
        default=compare_default("record_every"),
        help="record curves every this many steps (default: ~100 points)",
    )
    dtype = np.dtype(compare_default("dtype")).name
    g.add_argument(
        "--dtype", choices=("float32", "float64"), default=dtype, help=f"students' precision (default {dtype})"
    )
    g.add_argument(
        "--init",
        choices=check.INITS,
        default=compare_default("init"),
        help="students' start: gaussian, or symmetric pairs (w, a), (w, -a) with f = 0 (even widths)",
    )
    p.set_defaults(default_teacher_params=teacher_params)


def add_margin(p: argparse.ArgumentParser) -> None:
    """The options of kdfast.margin, for the commands that measure gamma."""
    g = p.add_argument_group("the margin gamma")
    g.add_argument(
        "--margin-samples",
        type=int,
        default=default(margin, "n_samples"),
        help=f"Monte-Carlo draws for gamma (default {default(margin, 'n_samples')})",
    )
    g.add_argument("--margin-seed", type=int, default=default(margin, "seed"))
    g.add_argument(
        "--margin-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another option of kdfast.margin, e.g. tol=1e-2 or bounds=false (repeatable)",
    )


def _teacher_options(args, names: list[str]) -> dict[str, dict]:
    """Each teacher's --teacher-param options (NAME.KEY=VALUE, or KEY=VALUE with one teacher)."""
    options: dict[str, dict] = {name: {} for name in names}
    if args.default_teacher_params and "kernel" in options:
        options["kernel"] = _specs.assignments(args.default_teacher_params, "--teacher-param")  # overridden below
    for text in args.teacher_param:
        for key, value in _specs.assignments(text, "--teacher-param").items():
            name, dot, option = key.rpartition(".")
            if not dot:
                if len(names) > 1:
                    raise UsageError(f"--teacher-param: with several teachers, name one: NAME.{key}=...")
                name = names[0]
            if name not in options:
                raise UsageError(f"--teacher-param: {name!r} is not one of the teachers ({', '.join(names)})")
            options[name][option] = value
    return options


def _named_teacher(name: str, options: dict):
    """A teacher the command line names: kdfast's own by name, or the scikit-learn and PyTorch ones built here."""
    if name == "svc":
        try:
            from sklearn.svm import SVC
        except ImportError:
            raise ImportError('--teacher svc needs scikit-learn: pip install "kdfast[data]"') from None
        seed = options.pop("seed", 0)
        return SklearnTeacher(SVC(**options), seed=seed)
    if name == "conv":
        from .deep import ConvTeacher

        return ConvTeacher(**options)
    return make_teacher(name, options)


def _teacher(args) -> tuple[object, dict | None]:
    names = [name.strip() for name in args.teacher.split(",")]
    unknown = [name for name in names if name not in CLI_TEACHERS]
    if unknown or len(set(names)) != len(names):
        raise UsageError(f"--teacher: expected distinct names among {', '.join(CLI_TEACHERS)}, got {args.teacher!r}")
    options = _teacher_options(args, names)
    if "array" not in names:
        if args.teacher_logits or args.teacher_test_logits:
            raise UsageError("--teacher-logits: only with --teacher array")
        if len(names) == 1 and names[0] in TEACHERS:
            return names[0], options[names[0]] or None
        return {name: _named_teacher(name, options[name]) for name in names}, None
    if len(names) > 1:
        raise UsageError("--teacher array: one teacher only (its outputs belong to one data set)")
    if not args.teacher_logits:
        raise UsageError("--teacher array: needs --teacher-logits FILE.npy")
    train = _specs.load(args.teacher_logits, "--teacher-logits")
    test = None if args.teacher_test_logits is None else _specs.load(args.teacher_test_logits, "--teacher-test-logits")
    return ArrayTeacher(train_logits=train, test_logits=test, **options["array"]), None


def compare_kwargs(args) -> dict:
    """kdfast.compare's keyword arguments from the parsed options of `add_training` and the running options."""
    teacher, teacher_params = _teacher(args)
    return dict(
        teacher=teacher,
        teacher_params=teacher_params,
        widths=args.widths,
        seeds=args.seeds,
        steps=args.steps,
        lr=args.lr,
        radius=args.radius,
        projection=args.projection,
        temperature=args.temperature,
        replicates=args.replicates,
        validation=args.validation,
        protocol=None if args.protocol is None else _specs.protocol(args.protocol),
        record_every=args.record_every,
        dtype=args.dtype,
        init=args.init,
        n_threads=args.n_threads,
        progress=args.progress,
    )


def margin_kwargs(args) -> dict:
    """kdfast.margin's keyword arguments from the parsed options of `add_margin`."""
    params = {"n_samples": args.margin_samples, "seed": args.margin_seed}
    for text in args.margin_param:
        params.update(_specs.assignments(text, "--margin-param"))
    return params
