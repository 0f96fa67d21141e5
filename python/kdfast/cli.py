"""kdfast: soft- vs hard-label training of two-layer ReLU students.

  kdfast compare   soft- vs hard-label students by width, on one data set
  kdfast sweep     the same on several data sets (e.g. difficulty levels), optionally in parallel
  kdfast scaling   neurons needed against the NTK margin gamma, with fitted exponents
  kdfast margin    the NTK margin gamma of a data set, and the theory's neuron bounds
  kdfast info      version, OpenMP, threads, SIMD level

Data sets are given as NAME[:KEY=VALUE,...], e.g. xor2:d=12,flip=0.1,
gaussians:separation=1.5, digits:pair=3/5,noise=0.5,
idx:images=train-images-idx3-ubyte.gz,labels=train-labels-idx1-ubyte.gz or
npz:path=data.npz (arrays X, y and optionally X_test, y_test); the keys are
the arguments of the functions in kdfast.datasets.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import time

import numpy as np

from . import __version__, _core
from . import datasets as ds
from . import experiments as ex
from ._threads import effective_n_threads

# `kdfast compare` with no options: overlapping Gaussian clusters with 20%
# of the labels flipped, and an early-stopped kernel teacher whose soft
# labels smooth that noise away (docs/RESULTS.md shows how this default was
# chosen, and that a fully trained teacher gives no such gain).
DEFAULT_DATA = "gaussians:n=200,d=8,separation=3,flip=0.2,n_test=2000"
DEFAULT_TEACHER_PARAMS = "steps=100"
DEFAULT_SWEEP_VARY = "separation=1,2,3,4"
DEFAULT_SCALING_DATA = "xor2:n=200,n_test=1000"
DEFAULT_SCALING_VARY = "d=4,6,8,10,12"
DEFAULT_EPS = 0.05
OUTPUT_FORMATS = ("csv", "json", "parquet")


class UsageError(ValueError):
    """A bad command-line argument: reported in one line, exit status 2."""


# -- parsing values ------------------------------------------------------------


def _widths(text: str) -> list[int]:
    """'1,2,4' or 'START:STOP:xFACTOR' (a geometric grid, STOP included when on it)."""
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


def _seeds(text: str):
    """'3' (seeds 0, 1, 2), '0,5,9' (those seeds) or '5,' (seed 5 alone)."""
    listed = "," in text
    try:
        values = [int(v) for v in (text[:-1] if text.endswith(",") else text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a seed count or list: {text!r} (use e.g. 3, 0,5,9 or 5,)") from None
    if min(values) < 0 or (not listed and values[0] < 1):
        raise argparse.ArgumentTypeError(f"not a seed count or list: {text!r}")
    return values if listed else values[0]


def _radius(text: str):
    if text.lower() == "none":
        return None
    return _positive_float(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _value(text: str):
    """A KEY=VALUE value: none, true/false, an int, a float, a pair 3/5, or a string (e.g. a path)."""
    lowered = text.lower()
    if lowered == "none":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if "/" in text and all(part.isdigit() for part in text.split("/")):
        return tuple(int(part) for part in text.split("/"))
    return text


def _assignments(text: str, what: str) -> dict:
    """'k=v,k=v' as a dict of parsed values."""
    result = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what}: expected KEY=VALUE, got {item!r}")
        result[key.strip().replace("-", "_")] = _value(value.strip())
    return result


def _vary(text: str) -> tuple[str, list]:
    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise UsageError(f"--vary: expected KEY=V1,V2,..., got {text!r}")
    return key.strip(), [_value(v.strip()) for v in values.split(",") if v.strip()]


# -- data sets -----------------------------------------------------------------


def _npz(path, *, name=None, normalize=True, bias=False) -> ds.Dataset:
    with np.load(path) as arrays:
        if "X" not in arrays or "y" not in arrays:
            raise UsageError(f"--data: {path!r} must hold arrays X and y (and optionally X_test, y_test)")
        test = (arrays["X_test"], arrays["y_test"]) if "X_test" in arrays else (None, None)
        return ds.from_arrays(arrays["X"], arrays["y"], *test, name=name or os.path.basename(str(path)),
                              normalize=normalize, bias=bias)  # fmt: skip


FAMILIES = {"xor2": ds.xor2, "gaussians": ds.gaussians, "digits": ds.digits, "mnist1d": ds.mnist1d, "idx": ds.idx,
            "npz": _npz}  # fmt: skip


def _spec(text: str) -> tuple[str, dict]:
    name, _, options = text.partition(":")
    if name not in FAMILIES:
        raise UsageError(f"--data: unknown data set {name!r} (choose from {', '.join(FAMILIES)})")
    return name, _assignments(options, "--data")


def _dataset(name: str, options: dict) -> ds.Dataset:
    make = FAMILIES[name]
    accepted = [p for p in inspect.signature(make).parameters]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"--data: {name} has no option {unknown[0]!r} (options: {', '.join(accepted)})")
    return make(**options)


def _datasets(specs: list[str], vary: str | None) -> dict[str, ds.Dataset]:
    """Named data sets from --data specs, or one spec expanded over --vary KEY=V1,V2,..."""
    if vary is not None:
        if len(specs) != 1:
            raise UsageError("--vary: give exactly one --data to vary")
        name, options = _spec(specs[0])
        key, values = _vary(vary)
        made = [_dataset(name, {**options, key: value}) for value in values]
        labels = [f"{data.name}, {key}={value}" for data, value in zip(made, values)]
    else:
        parsed = [_spec(text) for text in specs]
        made = [_dataset(name, options) for name, options in parsed]
        labels = specs
    names = [data.name for data in made]
    if len(set(names)) < len(names):  # e.g. two seeds of one family: name them by their specs
        names = labels
    if len(set(names)) < len(names):
        raise UsageError("--data: the same data set is given twice")
    return dict(zip(names, made))


# -- shared options ------------------------------------------------------------


def _add_training(p: argparse.ArgumentParser, *, teacher_params: str | None) -> None:
    g = p.add_argument_group("teacher and students")
    g.add_argument("--teacher", default="kernel", choices=[*ex.TEACHERS, "array"],
                   help="kernel: infinite-width hard-label student; margin: the function realising gamma; network: a "
                        "wide kdfast student; array: logits from --teacher-logits (default: kernel)")  # fmt: skip
    g.add_argument("--teacher-param", action="append", default=[], metavar="KEY=VALUE",
                   help="an option of the teacher, e.g. steps=300 or width=2048 (repeatable)"
                   + (f"; the kernel teacher's default here: {teacher_params}" if teacher_params else ""))  # fmt: skip
    g.add_argument("--teacher-logits", metavar="FILE.npy", help="the teacher's logits on the training inputs (--teacher array)")
    g.add_argument("--teacher-test-logits", metavar="FILE.npy", help="and on the test inputs (optional)")
    g.add_argument("--widths", type=_widths, default=list(ex.WIDTHS), help="e.g. 1,2,4 or 1:256:x2 (default 1:256:x2)")
    g.add_argument("--seeds", type=_seeds, default=ex.SEEDS, help=f"a count or a list: 3 (seeds 0-2), 0,5,9, or 5, (seed 5 alone) (default {ex.SEEDS})")
    g.add_argument("--steps", type=int, default=ex.STEPS, help=f"gradient steps (default {ex.STEPS})")
    g.add_argument("--lr", type=_positive_float, default=ex.LR, help=f"learning rate (default {ex.LR:g})")
    g.add_argument("--radius", type=_radius, default=ex.RADIUS,
                   help=f"projection radius, or none for plain gradient descent (default {str(ex.RADIUS).lower()})")  # fmt: skip
    g.add_argument("--projection", choices=("neuron", "network"), default="neuron", help="default: neuron")
    g.add_argument("--temperature", type=_positive_float, default=ex.TEMPERATURE,
                   help=f"temperature of the soft labels and the soft loss (default {ex.TEMPERATURE:g})")  # fmt: skip
    g.add_argument("--record-every", type=int, default=None, help="record curves every this many steps (default: ~100 points)")
    g.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="students' precision (default float32)")
    p.set_defaults(default_teacher_params=teacher_params)


def _add_running(p: argparse.ArgumentParser, *, parallel: bool) -> None:
    g = p.add_argument_group("running and output")
    g.add_argument("--n-threads", type=int, default=None,
                   help="threads (default: all; with --jobs or --dask: 1 per job)" if parallel else "threads (default: all)")  # fmt: skip
    if parallel:
        where = g.add_mutually_exclusive_group()
        where.add_argument("--jobs", type=int, default=None, help="run the data sets in this many local processes")
        where.add_argument("--dask", metavar="ADDRESS", help="run the data sets on a Dask scheduler (pip install kdfast[dask])")
    g.add_argument("--out", metavar="DIR", help="write the table, run.json (parameters, environment) and plot.png here")
    g.add_argument("--format", choices=OUTPUT_FORMATS, default="csv",
                   help="format of the table in --out (json and parquet keep the curves too; default csv)")  # fmt: skip
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only on a terminal)")  # fmt: skip


def _teacher(args) -> tuple[object, dict | None]:
    options = {}
    if args.default_teacher_params and args.teacher == "kernel":
        options = _assignments(args.default_teacher_params, "--teacher-param")  # --teacher-param overrides it
    for text in args.teacher_param:
        options.update(_assignments(text, "--teacher-param"))
    if args.teacher != "array":
        if args.teacher_logits or args.teacher_test_logits:
            raise UsageError("--teacher-logits: only with --teacher array")
        return args.teacher, options or None
    if not args.teacher_logits:
        raise UsageError("--teacher array: needs --teacher-logits FILE.npy")
    from .teachers import ArrayTeacher

    test = None if args.teacher_test_logits is None else np.load(args.teacher_test_logits)
    return ArrayTeacher(logits=np.load(args.teacher_logits), test_logits=test, **options), None


def _compare_kwargs(args) -> dict:
    teacher, teacher_params = _teacher(args)
    return dict(
        teacher=teacher, teacher_params=teacher_params, widths=args.widths, seeds=args.seeds, steps=args.steps,
        lr=args.lr, radius=args.radius, projection=args.projection, temperature=args.temperature,
        record_every=args.record_every, dtype=args.dtype, n_threads=args.n_threads, progress=args.progress,
    )  # fmt: skip


def _executor(args):
    """(executor or None, a function that releases it) for --jobs / --dask."""
    if getattr(args, "jobs", None) is not None:
        if args.jobs < 1:
            raise UsageError(f"--jobs: must be >= 1, got {args.jobs}")
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Fresh interpreters: forking a process whose OpenMP threads are running is unsafe.
        pool = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
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


# -- output --------------------------------------------------------------------


def environment(n_threads) -> dict:
    import pandas

    return {
        "kdfast": __version__, "python": platform.python_version(), "numpy": np.__version__,
        "pandas": pandas.__version__, "platform": platform.platform(), "openmp": bool(_core.openmp_enabled()),
        "simd": _core.simd_level(), "threads_available": _core.max_threads(),
        "threads_used": effective_n_threads(n_threads), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }  # fmt: skip


def _write_outputs(result, args, params: dict, argv: list[str], plots: dict | None = None) -> None:
    """--out DIR: table.<format>, run.json and the plots (file name -> function), each written atomically."""
    from .results import _jsonable, atomic_path

    os.makedirs(args.out, exist_ok=True)
    written = [os.path.join(args.out, f"table.{args.format}"), os.path.join(args.out, "run.json")]
    result.save(written[0])
    run = {"command": ["kdfast", *argv], "params": params, "environment": environment(args.n_threads)}
    with atomic_path(written[1]) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(_jsonable(run), f, indent=2)
    for name, plot in (plots or {"plot.png": result.plot}).items():
        try:
            plot(os.path.join(args.out, name))
        except ImportError as err:
            print(f"kdfast: plots skipped: {err}", file=sys.stderr)
            break
        written.append(os.path.join(args.out, name))
    print("wrote " + ", ".join(written))


def _cell(mean, sd, digits):
    return f"{mean:.{digits}f}" + ("" if not np.isfinite(sd) else f" ±{sd:.{digits}f}")


def print_comparison(result: ex.Comparison, eps: float) -> None:
    p = result.params
    teacher_test = "" if p.get("teacher_test_acc") is None else f", test accuracy {p['teacher_test_acc']:.3f}"
    print(f"data: {p['dataset']}  (n_train {p['n_train']}, n_test {p['n_test']}, d {p['d']})")
    print(f"teacher: {p['teacher']}: train accuracy {p['teacher_train_acc']:.3f}{teacher_test}")
    radius = "none" if p["radius"] is None else f"{p['radius']:g} ({p['projection']})"
    print(f"students: {p['steps']} steps, lr {p['lr']:g}, radius {radius}, soft temperature {p['temperature']:g}, "
          f"{len(p['seeds'])} seed(s), {p['seconds_students']:.1f} s")  # fmt: skip
    summary = result.summary(["mean_loss", "test_acc", "teacher_agreement"]).set_index(["metric", "width"])
    has_test = p["n_test"] > 0
    columns = [("mean_loss", "avg loss", 4)] + ([("test_acc", "test acc", 3)] if has_test else [])
    header = f"{'width':>6}"
    for _, label, _ in columns:
        header += f"  {label + ' soft':>17}  {label + ' hard':>17}  {'gap':>8}"
    print(header)
    for width in p["widths"]:
        line = f"{width:>6}"
        for metric, _, digits in columns:
            row = summary.loc[(metric, width)]
            line += f"  {_cell(row.soft_mean, row.soft_sd, digits):>17}  {_cell(row.hard_mean, row.hard_sd, digits):>17}"
            line += f"  {row.gap_mean:>+8.{digits}f}"
        print(line)
    needed = result.neurons_needed(eps)
    print(f"neurons needed for avg loss <= {eps:g}: soft {needed['soft'] or 'none within the widths'}, "
          f"hard {needed['hard'] or 'none within the widths'}")  # fmt: skip
    print("avg loss: training loss averaged over all steps (soft: tempered KL to the teacher; hard: logistic); "
          "gap: soft - hard, paired by seed; ± sd over seeds")  # fmt: skip


# -- commands ------------------------------------------------------------------


def cmd_compare(args, argv) -> None:
    (name, data), = _datasets([args.data], None).items()
    result = ex.compare(data, **_compare_kwargs(args))
    print_comparison(result, args.eps)
    if args.out:
        _write_outputs(result, args, result.params, argv)


def _varied(args, default_data: str, default_vary: str) -> tuple[dict, str | None]:
    """The data sets of a sweep and the option varied, with the command's defaults."""
    vary = args.vary if args.vary or args.data else default_vary
    return _datasets(args.data or [default_data], vary), (_vary(vary)[0] if vary else None)


def cmd_sweep(args, argv) -> None:
    from .sweep import sweep

    data, varied = _varied(args, DEFAULT_DATA, DEFAULT_SWEEP_VARY)
    kwargs = _compare_kwargs(args)
    progress = kwargs.pop("progress")
    result = _run_parallel(sweep, args, datasets=data, progress=progress, **kwargs)
    for name, comparison in result.comparisons.items():
        print(f"\n== {name}")
        print_comparison(comparison, args.eps)
    if args.out:
        x = args.x or varied

        def gap_plot(path):
            try:
                return result.plot(path, x=x)
            except ValueError:  # no such numeric option: the data sets in order
                return result.plot(path)

        plots = {"plot.png": gap_plot, "widths.png": result.plot_widths}
        _write_outputs(result, args, {n: c.params for n, c in result.comparisons.items()}, argv, plots)


def cmd_scaling(args, argv) -> None:
    from .scaling import scaling

    data, _ = _varied(args, DEFAULT_SCALING_DATA, DEFAULT_SCALING_VARY)
    kwargs = _compare_kwargs(args)
    progress = kwargs.pop("progress")
    margin_params = {"n_samples": args.margin_samples, "seed": args.margin_seed}
    for text in args.margin_param:
        margin_params.update(_assignments(text, "--margin-param"))
    result = _run_parallel(scaling, args, datasets=data, eps=args.eps, metric=args.metric,
                           margin_params=margin_params, progress=progress, **kwargs)  # fmt: skip
    print(f"neurons needed for {args.metric} {'<=' if args.metric in ex.LOWER_IS_BETTER else '>='} {args.eps:g}:")
    print(f"{'data set':>24}  {'gamma':>9}  {'95% interval':>21}  {'soft':>6}  {'hard':>6}")
    for row in result.table.itertuples():
        interval = f"[{row.gamma_low:.4f}, {row.gamma_high:.4f}]"
        soft, hard = (("-" if np.isnan(v) else f"{v:.0f}") for v in (row.soft_neurons, row.hard_neurons))
        print(f"{row.dataset:>24}  {row.gamma:>9.4f}  {interval:>21}  {soft:>6}  {hard:>6}")
    for mode, expected in (("soft", 2), ("hard", 4)):
        fit = result.fits[mode]
        if fit is None:
            print(f"{mode}: too few data sets reached the target to fit an exponent (theory: p = {expected})")
        else:
            lo, hi = fit.exponent_ci
            print(f"{mode}: m ~ C gamma^-p with p = {fit.exponent:.2f}, 95% interval [{lo:.2f}, {hi:.2f}] "
                  f"(theory: p = {expected})")  # fmt: skip
    print("'-': not reached by the widest student")
    if args.out:
        students = {n: c.params for n, c in result.sweep.comparisons.items()}
        _write_outputs(result, args, {**result.params, "datasets": students}, argv)


def cmd_margin(args, argv) -> None:
    from .margin import margin
    from .theory import crossover, neurons_bound

    (name, data), = _datasets([args.data], None).items()
    started = time.perf_counter()
    estimate = margin(data.X_train, data.y_train, n_samples=args.n_samples, seed=args.seed, tol=args.tol,
                      bounds=not args.no_bounds, n_threads=args.n_threads)  # fmt: skip
    seconds = time.perf_counter() - started
    low, high = estimate.gamma_ci

    def fmt(v):
        return "not certified" if v is None else f"{v:.5f}"

    print(f"data: {name}  (n {data.n_train}, d {data.d})")
    print(f"gamma = {estimate.gamma:.5f}, 95% interval [{low:.5f}, {high:.5f}] ({estimate.n_samples} draws, "
          f"{'converged' if estimate.converged else 'NOT converged'}, {seconds:.1f} s)")  # fmt: skip
    print(f"certified bounds: gamma_lin/2 = {fmt(estimate.lower)}, gamma_K = {fmt(estimate.upper)}")
    if estimate.gamma > 0:
        soft, hard = (neurons_bound(estimate.gamma, args.eps, kind=k) for k in ("soft", "hard"))
        print(f"theory's orders at eps = {args.eps:g} (constants unknown, C = 1): soft 1/(gamma^2 eps) = {soft:.3g}, "
              f"hard ln(1/eps)/gamma^4 = {hard:.3g}; soft is smaller below gamma = {crossover(args.eps):.3g}")  # fmt: skip


def cmd_info(args, argv) -> None:
    print(f"kdfast {__version__}")
    print(f"OpenMP: {'on' if _core.openmp_enabled() else 'off'}")
    print(f"threads: {_core.max_threads()}")
    print(f"SIMD: {_core.simd_level()}")
    env = environment(None)
    print(f"python {env['python']}, numpy {env['numpy']}, pandas {env['pandas']}")
    from importlib.util import find_spec

    extras = (("matplotlib", "plot"), ("sklearn", "data"), ("mnist1d", "data"), ("pyarrow", "parquet"),
              ("distributed", "dask"))  # fmt: skip
    print("optional (extra): " + ", ".join(
        f"{module} ({extra}): {'yes' if find_spec(module) else 'no'}" for module, extra in extras))  # fmt: skip


# -- the parser ----------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr, exit status 2, no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="kdfast", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"kdfast {__version__}")
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    cmp = commands.add_parser("compare", help="soft- vs hard-label students by width, on one data set",
                              description=f"Default data: {DEFAULT_DATA}; kernel teacher with {DEFAULT_TEACHER_PARAMS}.")  # fmt: skip
    cmp.add_argument("--data", default=DEFAULT_DATA, metavar="SPEC", help=f"NAME[:KEY=VALUE,...] (default {DEFAULT_DATA})")
    cmp.add_argument("--eps", type=_positive_float, default=DEFAULT_EPS, help=f"average-loss target for neurons needed (default {DEFAULT_EPS:g})")
    _add_training(cmp, teacher_params=DEFAULT_TEACHER_PARAMS)
    _add_running(cmp, parallel=False)
    cmp.set_defaults(run=cmd_compare)

    swp = commands.add_parser("sweep", help="compare on several data sets, e.g. difficulty levels",
                              description=f"Default: --data {DEFAULT_DATA} --vary {DEFAULT_SWEEP_VARY}. With --out, "
                              "plot.png shows the soft - hard gap against difficulty and widths.png each data set "
                              "by width.")  # fmt: skip
    swp.add_argument("--data", action="append", metavar="SPEC", help="a data set NAME[:KEY=VALUE,...] (repeatable)")
    swp.add_argument("--vary", metavar="KEY=V1,V2,...", help="one --data, over these values of one option")
    swp.add_argument("--x", metavar="KEY", help="data option on the plot's x axis (default: the --vary key)")
    swp.add_argument("--eps", type=_positive_float, default=DEFAULT_EPS, help=f"average-loss target (default {DEFAULT_EPS:g})")
    _add_training(swp, teacher_params=DEFAULT_TEACHER_PARAMS)
    _add_running(swp, parallel=True)
    swp.set_defaults(run=cmd_sweep)

    sca = commands.add_parser("scaling", help="neurons needed against the NTK margin gamma",
                              description=f"Default: --data {DEFAULT_SCALING_DATA} --vary {DEFAULT_SCALING_VARY}.")  # fmt: skip
    sca.add_argument("--data", action="append", metavar="SPEC", help="a data set NAME[:KEY=VALUE,...] (repeatable)")
    sca.add_argument("--vary", metavar="KEY=V1,V2,...", help="one --data, over these values of one option")
    sca.add_argument("--eps", type=_positive_float, default=0.1, help="target of --metric (default 0.1)")
    sca.add_argument("--metric", choices=ex.METRICS, default="mean_loss", help="default: mean_loss")
    sca.add_argument("--margin-samples", type=int, default=4096, help="Monte-Carlo draws for gamma (default 4096)")
    sca.add_argument("--margin-seed", type=int, default=0)
    sca.add_argument("--margin-param", action="append", default=[], metavar="KEY=VALUE",
                     help="another option of kdfast.margin, e.g. tol=1e-2 or bounds=false (repeatable)")  # fmt: skip
    _add_training(sca, teacher_params=None)
    _add_running(sca, parallel=True)
    sca.set_defaults(run=cmd_scaling)

    mar = commands.add_parser("margin", help="the NTK margin gamma of a data set and the theory's bounds")
    mar.add_argument("--data", default=DEFAULT_DATA, metavar="SPEC", help=f"NAME[:KEY=VALUE,...] (default {DEFAULT_DATA})")
    mar.add_argument("--n-samples", type=int, default=4096, help="Monte-Carlo draws (default 4096)")
    mar.add_argument("--seed", type=int, default=0)
    mar.add_argument("--tol", type=_positive_float, default=1e-3, help="relative duality gap (default 1e-3)")
    mar.add_argument("--no-bounds", action="store_true", help="skip the certified bounds (the kernel one needs n x n memory)")
    mar.add_argument("--eps", type=_positive_float, default=DEFAULT_EPS, help=f"loss target for the bounds (default {DEFAULT_EPS:g})")
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
        stub = commands.add_parser("deep", help="soft- vs hard-label deep students (needs PyTorch)", add_help=False,
                                   prefix_chars="\0")  # fmt: skip
        stub.add_argument("ignored", nargs="*")
        stub.set_defaults(run=missing)
        return
    add_command(commands)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    try:
        args.run(args, argv)
    except (ValueError, TypeError) as err:
        print(f"kdfast {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (OSError, ImportError, MemoryError) as err:
        print(f"kdfast {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kdfast: interrupted", file=sys.stderr)
        return 130
    return 0
