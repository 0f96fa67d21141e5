"""``kdfast deep``: soft- vs hard-label deep students by width, from the command line.

Adds the command to kdfast's parser (:func:`add_command`); PyTorch is
imported only when the command runs, so listing the commands stays fast.
"""

from __future__ import annotations

import argparse
import inspect

from .. import _specs
from .._output import add_running, write_outputs
from .._specs import UsageError
from . import defaults as D

# `kdfast deep` with no options: the ten MNIST digits of the bundled subset
# (or your IDX files) with 20% of the training labels replaced by another
# class, small CNN students and a wider CNN teacher; about two minutes on
# two cores (docs/RESULTS-deep.md).
DEFAULT_DATA = "mnist:n=2000,n_test=1000,flip=0.2"
FAMILIES = ("mnist", "digits", "cifar10")
# What the plots show: the soft and hard students' losses are different
# functions (a KL to the teacher, a cross-entropy), so only accuracies compare.
METRICS = ("test_acc", "teacher_agreement")


def _int_at_least_1(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text!r}")
    return value


def _dataset(spec: str, extra: dict | None = None):
    from . import data

    name, _, text = spec.partition(":")
    if name not in FAMILIES:
        raise UsageError(f"--data: unknown data set {name!r} (choose from {', '.join(FAMILIES)})")
    options = {**_specs.assignments(text, "--data"), **(extra or {})}
    make = getattr(data, name)
    accepted = list(inspect.signature(make).parameters)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"--data: {name} has no option {unknown[0]!r} (options: {', '.join(accepted)})")
    return make(**options)


def add_command(commands) -> None:
    """Add ``deep`` to kdfast's subcommands (an argparse subparsers object)."""
    p = commands.add_parser(
        "deep",
        help="soft- vs hard-label deep students (CNN, MLP) by width, with PyTorch",
        description=f"Default: --data {DEFAULT_DATA}, CNN students of widths {','.join(map(str, D.WIDTHS))} and "
        f'{D.SEEDS} seeds, a CNN teacher of width {D.TEACHER_WIDTH}. Needs PyTorch: pip install "kdfast[torch]".',
    )
    p.add_argument(
        "--data",
        default=DEFAULT_DATA,
        metavar="SPEC",
        help=f"{'|'.join(FAMILIES)}[:KEY=VALUE,...], e.g. mnist:classes=4/9,flip=0.4 or "
        f"cifar10:path=DIR,n=5000 (default {DEFAULT_DATA})",
    )
    p.add_argument(
        "--vary", metavar="KEY=V1,V2,...", help="one comparison per value of a data option, e.g. flip=0,0.2,0.4"
    )
    g = p.add_argument_group("students and teacher")
    g.add_argument("--arch", choices=("cnn", "mlp"), default=D.ARCH, help=f"student family (default {D.ARCH})")
    g.add_argument(
        "--widths",
        type=_specs.widths,
        default=list(D.WIDTHS),
        help=f"CNN channels / MLP hidden units, e.g. 1,2,4 or 1:8:x2 (default {','.join(map(str, D.WIDTHS))})",
    )
    g.add_argument("--seeds", type=_specs.seeds, default=D.SEEDS, help=f"a count or a list (default {D.SEEDS})")
    g.add_argument(
        "--teacher-width",
        type=_int_at_least_1,
        default=D.TEACHER_WIDTH,
        help=f"width of the teacher trained on the hard labels (default {D.TEACHER_WIDTH})",
    )
    g.add_argument("--teacher-epochs", type=_int_at_least_1, default=None, help="its epochs (default: --epochs)")
    g.add_argument("--temperature", type=_specs.number, default=D.TEMPERATURE, help=f"default {D.TEMPERATURE:g}")
    g.add_argument(
        "--alpha",
        type=_fraction,
        default=D.ALPHA,
        help=f"weight of the soft loss in the soft students' loss, the rest cross-entropy (default {D.ALPHA:g})",
    )
    g.add_argument("--epochs", type=_int_at_least_1, default=D.EPOCHS, help=f"default {D.EPOCHS}")
    g.add_argument("--batch-size", type=_int_at_least_1, default=D.BATCH_SIZE, help=f"default {D.BATCH_SIZE}")
    g.add_argument("--lr", type=_specs.number, default=D.LR, help=f"default {D.LR:g}")
    g.add_argument(
        "--optimizer",
        choices=D.OPTIMIZERS,
        default=D.OPTIMIZER,
        help=f"sgd: momentum {D.MOMENTUM:g} (default {D.OPTIMIZER})",
    )
    g.add_argument("--schedule", choices=D.SCHEDULES, default=D.SCHEDULE, help=f"learning rate (default {D.SCHEDULE})")
    g.add_argument("--weight-decay", type=float, default=D.WEIGHT_DECAY, help=f"default {D.WEIGHT_DECAY:g}")
    g.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    add_running(p, parallel=False)
    p.set_defaults(run=run)


def _compare_kwargs(args) -> dict:
    teacher_params = {"width": args.teacher_width}
    if args.teacher_epochs is not None:
        teacher_params["epochs"] = args.teacher_epochs
    return dict(
        arch=args.arch,
        widths=args.widths,
        seeds=args.seeds,
        teacher_params=teacher_params,
        temperature=args.temperature,
        alpha=args.alpha,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        device=args.device,
        n_threads=args.n_threads,
    )


def run(args, argv) -> None:
    from .experiment import compare, sweep

    kwargs = _compare_kwargs(args)
    if args.vary is None:
        result = compare(_dataset(args.data), progress=args.progress, **kwargs)
        print(result.report())
        if args.out:
            write_outputs(
                result, args, result.params, argv, {"plot.png": lambda path: result.plot(path, metrics=METRICS)}
            )
        return
    key, values = _specs.vary(args.vary)
    datasets = {f"{args.data.partition(':')[0]}, {key}={v}": _dataset(args.data, {key: v}) for v in values}
    swept = sweep(datasets, progress=args.progress, **kwargs)
    for name, comparison in swept.comparisons.items():
        print(f"\n== {name}")
        print(comparison.report())
    if args.out:
        plots = {
            "plot.png": lambda path: swept.plot(path, metrics=METRICS, x=key),
            "widths.png": lambda path: swept.plot_widths(path, metrics=METRICS),
        }
        write_outputs(swept, args, {n: c.params for n, c in swept.comparisons.items()}, argv, plots)
