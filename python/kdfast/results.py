"""Saving and loading experiment results, atomically.

A result (a :class:`~kdfast.Comparison`, :class:`~kdfast.Sweep` or
:class:`~kdfast.Scaling`) is a few pandas tables plus the run's parameters.
Each kind of result registers how it is rebuilt from them
(:func:`register`), so this module knows none of them by name.
``save(path)`` picks the format from the extension:

- ``.json``: everything (parameters and every table), plain JSON (NaN is
  written as null, infinities as the strings "inf" / "-inf");
- ``.parquet``: the main table as Parquet columns, the parameters and the
  other tables as JSON in the file's key-value metadata (needs pyarrow:
  ``pip install kdfast[parquet]``);
- ``.csv``: the main table only, for spreadsheets; its rows already carry
  the run's parameters, but per-step curves are not kept.

Files are written to a temporary file in the same directory and renamed
over the target, so a failure (or Ctrl-C) never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import uuid
from typing import Callable

import numpy as np
import pandas as pd

from . import _validation as check

__all__ = ["atomic_path", "check_output_directory", "jsonable", "load", "read", "register", "write"]

_FORMAT = "kdfast"
_VERSION = 1
_SUFFIXES = (".json", ".parquet", ".csv")

# kind -> (how to rebuild it from (params, frames), whether a bare CSV table is one)
_KINDS: dict[str, tuple[Callable[[dict, dict], object], Callable[[pd.DataFrame], bool]]] = {}


def register(kind: str, rebuild: Callable[[dict, dict], object], *, recognises: Callable[[pd.DataFrame], bool]) -> None:
    """Make :func:`load` rebuild results of `kind` with ``rebuild(params, frames)``.

    A CSV file keeps only the main table, not the kind: it is loaded by the
    one registered kind whose ``recognises(table)`` is true.
    """
    _KINDS[kind] = (rebuild, recognises)


def _new_file_mode(directory: str) -> int:
    """The permissions a new file in `directory` gets (0o666 less the umask).

    mkstemp creates files readable by the owner only; results should get the
    permissions any new file would. os.umask can only read the mask by
    setting it, for the whole process and all its threads, so read it from
    /proc where the kernel reports it, and otherwise create a file with
    open()'s default mode and look at what it got.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    probe = os.path.join(directory, f".kdfast-umask.{uuid.uuid4().hex}.tmp")
    fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        return os.fstat(fd).st_mode & 0o777
    finally:
        os.close(fd)
        os.remove(probe)


def check_output_directory(path, name: str) -> None:
    """Raise OSError, naming `name`, unless `path` is or can be made a directory to write files in.

    For the start of a long run that writes there at the end: the check
    creates what is missing and a file in it, then removes all it made, so
    a run that fails or is interrupted later leaves nothing behind.
    """
    path = os.path.abspath(os.fspath(check.file_path(path, name)))
    missing = []
    head = path
    while not os.path.lexists(head):
        missing.append(head)
        head = os.path.dirname(head)
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".kdfast-probe.{uuid.uuid4().hex}.tmp")
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.remove(probe)
    except OSError as err:
        reason = "not a directory" if isinstance(err, (FileExistsError, NotADirectoryError)) else err.strerror or err
        raise OSError(f"{name}: cannot write files in {path!r}: {reason}") from None
    finally:
        for folder in missing:  # deepest first
            with contextlib.suppress(OSError):
                os.rmdir(folder)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; rename it over `path` on success.

    On any exception (KeyboardInterrupt included) the temporary file is
    removed and `path` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _new_file_mode(directory))
        with open(tmp, "rb+") as written:  # on disk before it takes the name
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _suffix(path) -> str:
    check.file_path(path, "path")
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in _SUFFIXES:
        raise check.InputValueError(
            f"path: the extension must be one of {', '.join(_SUFFIXES)}, got {os.fspath(path)!r}"
        )
    return suffix


# -- JSON encoding of tables -------------------------------------------------


def _plain(value):
    """A JSON-safe scalar: NaN -> None, +-inf -> "inf" / "-inf", NumPy scalars -> Python."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def jsonable(obj):
    """Parameters (nested dicts, lists, tuples, NumPy values) as plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in (obj.tolist() if isinstance(obj, np.ndarray) else obj)]
    if obj is None or isinstance(obj, (bool, int, float, str, np.generic)):
        return _plain(obj)
    return str(obj)


def _encode_frame(frame: pd.DataFrame) -> dict:
    columns = {}
    dtypes = {}
    for name in frame.columns:
        column = frame[name]
        kind = column.dtype.kind
        dtypes[name] = {"f": "float64", "i": "int64", "u": "int64", "b": "bool"}.get(kind, "str")
        columns[name] = [_plain(v) for v in column.tolist()]
    return {"columns": list(frame.columns), "dtypes": dtypes, "data": columns}


def _decode_frame(encoded: dict) -> pd.DataFrame:
    data = {}
    for name in encoded["columns"]:
        values, dtype = encoded["data"][name], encoded["dtypes"][name]
        if dtype == "float64":
            values = [np.nan if v is None else float(v) for v in values]
        data[name] = pd.Series(values, dtype=dtype if dtype != "str" else None)
    return pd.DataFrame(data, columns=encoded["columns"])


# -- writing and reading -----------------------------------------------------


def write(path, kind: str, params: dict, frames: dict[str, pd.DataFrame | None]) -> None:
    """Write `frames` (the first is the main table) and `params` to `path`."""
    suffix = _suffix(path)
    main, *_ = frames
    main_table = frames[main]
    if main_table is None:
        raise check.InputValueError(f"frames: the main table {main!r} is missing")
    header = {"format": _FORMAT, "version": _VERSION, "kind": kind, "params": jsonable(params)}
    others = {name: _encode_frame(f) for name, f in frames.items() if name != main and f is not None}
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("saving .parquet needs pyarrow: pip install kdfast[parquet]") from None
        table = pa.Table.from_pandas(main_table, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"kdfast"] = json.dumps({**header, "main": main, "frames": others}).encode()
        table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        if suffix == ".json":
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({**header, "main": main, "frames": {main: _encode_frame(main_table), **others}}, f)
        elif suffix == ".csv":
            main_table.to_csv(tmp, index=False)
        else:
            pq.write_table(table, tmp)


def read(path) -> tuple[str | None, dict, dict[str, pd.DataFrame]]:
    """(kind, params, frames) from a file written by :func:`write`.

    For CSV the kind is None (the caller infers it from the columns) and
    only the main table, under the name "table", is returned.
    """
    suffix = _suffix(path)
    if suffix == ".csv":
        # Text columns stay text ("1" is a data set's name, not a number,
        # and "NA" is a name too); only empty fields, as written for NaN,
        # are missing values.
        text = {column: str for column in ("dataset", "mode", "projection", "teacher", "arch")}
        return None, {}, {"table": pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""])}
    if suffix == ".json":
        with open(path, encoding="utf-8") as f:
            try:
                stored = json.load(f)
            except json.JSONDecodeError as err:
                raise check.InputValueError(f"path: {os.fspath(path)!r} is not a kdfast JSON file ({err})") from None
        frames = {}
    else:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("reading .parquet needs pyarrow: pip install kdfast[parquet]") from None
        # The other tables travel in the file's metadata, which can exceed
        # pyarrow's default limits for a large sweep's curves (1M rows are
        # ~250 MB): lift them to what the format allows.
        table = pq.read_table(path, thrift_string_size_limit=2**31 - 1, thrift_container_size_limit=2**31 - 1)
        stored = json.loads((table.schema.metadata or {}).get(b"kdfast", b"{}"))
        frames = {stored.get("main", "table"): table.to_pandas()}
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise check.InputValueError(f"path: {os.fspath(path)!r} was not written by kdfast")
    if stored.get("version", 0) > _VERSION:
        raise check.InputValueError(
            f"path: {os.fspath(path)!r} has format version {stored['version']}; upgrade kdfast to read it"
        )
    frames.update({name: _decode_frame(f) for name, f in stored["frames"].items()})
    return stored["kind"], stored["params"], frames


def load(path):
    """A saved :class:`Comparison`, :class:`Sweep` or :class:`Scaling`.

    ``.json`` and ``.parquet`` files restore everything that was saved. A
    ``.csv`` file holds only the main table: a table of neurons needed
    (``soft_neurons``) loads as a Scaling, one with several data sets as a
    Sweep, any other as a Comparison; per-step curves are then unavailable.
    """
    kind, params, frames = read(path)
    if kind is None:
        kind = next((name for name, (_, recognises) in _KINDS.items() if recognises(frames["table"])), None)
    if kind not in _KINDS:
        raise check.InputValueError(f"path: unknown kind of result {kind!r}")
    rebuild, _ = _KINDS[kind]
    return rebuild(params, frames)
