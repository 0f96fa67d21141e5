"""What every command shares at its end: the running options, the environment record and --out.

Used by :mod:`kdfast.cli` and by the deep students' command (:mod:`kdfast.deep.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib.util import find_spec

import numpy as np

from . import _core
from ._threads import effective_n_threads
from ._version import __version__
from .results import atomic_path, check_output_directory, jsonable

OUTPUT_FORMATS = ("csv", "json", "parquet")


def add_running(p: argparse.ArgumentParser, *, parallel: bool) -> None:
    g = p.add_argument_group("running and output")
    g.add_argument(
        "--n-threads",
        type=int,
        default=None,
        help="threads (default: all; with --jobs or --dask: 1 per job)" if parallel else "threads (default: all)",
    )
    if parallel:
        where = g.add_mutually_exclusive_group()
        where.add_argument("--jobs", type=int, default=None, help="run the data sets in this many local processes")
        where.add_argument(
            "--dask", metavar="ADDRESS", help="run the data sets on a Dask scheduler (pip install kdfast[dask])"
        )
    g.add_argument("--out", metavar="DIR", help="write the table, run.json (parameters, environment) and plot.png here")
    g.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default="csv",
        help="format of the table in --out (json and parquet keep the curves too; default csv)",
    )
    g.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only on a terminal)",
    )


def environment(n_threads) -> dict:
    import pandas

    return {
        "kdfast": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "platform": platform.platform(),
        "openmp": bool(_core.openmp_enabled()),
        "simd": _core.simd_level(),
        "threads_available": _core.max_threads(),
        "threads_used": effective_n_threads(n_threads),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def check_out(args) -> None:
    """Fail now if --out cannot hold the results, or --format needs what is not installed."""
    check_output_directory(args.out, "--out")
    if args.format == "parquet" and find_spec("pyarrow") is None:
        raise ImportError("--format parquet needs pyarrow: pip install kdfast[parquet]")


def write_outputs(result, args, params: dict, argv: list[str], plots: dict | None = None) -> None:
    """--out DIR: table.<format>, run.json and the plots (file name -> function), each written atomically."""
    os.makedirs(args.out, exist_ok=True)
    written = [os.path.join(args.out, f"table.{args.format}"), os.path.join(args.out, "run.json")]
    result.save(written[0])
    run = {"command": ["kdfast", *argv], "params": params, "environment": environment(args.n_threads)}
    with atomic_path(written[1]) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(jsonable(run), f, indent=2)
    for name, plot in (plots or {"plot.png": result.plot}).items():
        try:
            plot(os.path.join(args.out, name))
        except ImportError as err:
            print(f"kdfast: plots skipped: {err}", file=sys.stderr)
            break
        written.append(os.path.join(args.out, name))
    print("wrote " + ", ".join(written))
