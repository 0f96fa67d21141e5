"""The ``kdfast`` command line.

    kdfast compare [options]   soft- vs hard-label students, by width
    kdfast info                version, OpenMP, threads
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from . import __version__, _core
from .datasets import xor2
from ._bank import StudentBank
from ._threads import effective_n_threads


def _widths(text: str) -> list[int]:
    """'1,2,4' or 'START:STOP:xFACTOR' (a geometric grid, STOP included)."""
    try:
        if ":" in text:
            start, stop, factor = text.split(":")
            if not factor.startswith("x"):
                raise ValueError
            start, stop, factor = int(start), int(stop), int(factor[1:])
            if start < 1 or factor < 2 or stop < start:
                raise ValueError
            grid = [start]
            while grid[-1] * factor <= stop:
                grid.append(grid[-1] * factor)
            return grid
        values = [int(v) for v in text.split(",")]
        if min(values) < 1:
            raise ValueError
        return values
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a width grid: {text!r} (use e.g. 1,2,4 or 1:256:x2)") from None


def _sigmoid(f: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * f))


def compare(args: argparse.Namespace) -> None:
    """Train a wide teacher on hard labels, then soft and hard students of
    every width and seed in one batched fit, and print a table by width."""
    data = xor2(n=args.n, d=args.d, flip=args.flip, n_test=args.n_test, seed=args.data_seed)
    X, y = data.X_train, data.y_train
    threads = effective_n_threads(args.n_threads)
    teacher = StudentBank(data.d, [args.teacher_width], seeds=[2**32 + args.data_seed], dtype=np.float64)
    teacher.fit(X, y, steps=args.teacher_steps, lr=args.lr, n_threads=threads)
    soft = _sigmoid(teacher.logits(X, n_threads=threads)[:, 0] / args.temperature)
    teacher_acc = np.mean(np.sign(teacher.logits(data.X_test, n_threads=threads)[:, 0]) == data.y_test)

    # Per seed: the soft students, then hard students of the same widths;
    # equal (seed, width) pairs start from equal weights.
    widths = args.widths
    bank = StudentBank(data.d, widths + widths, seeds=range(args.seeds))
    modes = np.tile(np.repeat([0, 1], len(widths)), args.seeds)  # target column: 0 soft, 1 hard
    history = bank.fit(
        X, np.stack([soft, (1 + y) / 2], axis=1), target_index=modes, y=y,
        steps=args.steps, lr=args.lr, radius=args.radius, temperature=np.where(modes == 0, args.temperature, 1.0),
        X_test=data.X_test, y_test=data.y_test, record_every=args.steps or 1, n_threads=threads,
    )  # fmt: skip

    def by_width(values):  # (K,) -> (2 modes, widths): mean over seeds
        return values.reshape(args.seeds, 2, len(widths)).mean(axis=0)

    loss, acc = by_width(history.mean_loss), by_width(history.test_acc[-1])
    print(f"{data!r}\nteacher: width {args.teacher_width}, test accuracy {teacher_acc:.3f}")
    print(f"students: {args.steps} steps, lr {args.lr}, radius {args.radius}, temperature {args.temperature}, "
          f"mean of {args.seeds} seeds")  # fmt: skip
    print(f"{'width':>7} {'avg loss soft':>14} {'avg loss hard':>14} {'test acc soft':>14} {'test acc hard':>14}")
    for i, m in enumerate(widths):
        print(f"{m:>7} {loss[0, i]:>14.4f} {loss[1, i]:>14.4f} {acc[0, i]:>14.3f} {acc[1, i]:>14.3f}")
    print("avg loss: mean over steps of the training loss (soft: tempered KL to the teacher; hard: logistic)")


def info(args: argparse.Namespace) -> None:
    print(f"kdfast {__version__}")
    print(f"OpenMP: {'on' if _core.openmp_enabled() else 'off'}")
    print(f"threads: {_core.max_threads()}")
    print(f"SIMD: {_core.simd_level()}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="kdfast", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"kdfast {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    cmp = commands.add_parser("compare", help="soft- vs hard-label students on noisy 2-XOR, by width")
    cmp.add_argument("--d", type=int, default=6, help="input dimension of the 2-XOR data (harder as it grows)")
    cmp.add_argument("--n", type=int, default=200, help="training samples")
    cmp.add_argument("--n-test", type=int, default=2000, help="test samples")
    cmp.add_argument("--flip", type=float, default=0.0, help="label-noise rate")
    cmp.add_argument("--data-seed", type=int, default=0)
    cmp.add_argument("--widths", type=_widths, default=_widths("1:256:x2"), help="e.g. 1,2,4 or 1:256:x2")
    cmp.add_argument("--seeds", type=int, default=3, help="seeds per width")
    cmp.add_argument("--steps", type=int, default=300)
    cmp.add_argument("--lr", type=float, default=8.0)
    cmp.add_argument("--radius", type=float, default=8.0, help="neuron projection radius")
    cmp.add_argument("--temperature", type=float, default=1.0)
    cmp.add_argument("--teacher-width", type=int, default=1024)
    cmp.add_argument("--teacher-steps", type=int, default=300)
    cmp.add_argument("--n-threads", type=int, default=None)
    cmp.set_defaults(run=compare)

    commands.add_parser("info", help="version, OpenMP and threads").set_defaults(run=info)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, TypeError, MemoryError) as err:
        print(f"kdfast: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kdfast: interrupted", file=sys.stderr)
        return 130
    return 0
