"""The command line's values parsed from text: width grids, seed lists, numbers and data set specs.

Plain functions from text to values, so that they are tested without a
parser; a bad text raises :class:`UsageError`, which argparse reports
as a bad value of its option.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
from typing import Callable

import numpy as np

from . import datasets as ds
from ._validation import InputError, InputValueError
from .theory import Protocol

__all__ = [
    "FAMILIES",
    "UsageError",
    "assignments",
    "classes",
    "dataset",
    "datasets",
    "load",
    "npz",
    "number",
    "protocol",
    "protocol_options",
    "radius",
    "seeds",
    "spec",
    "value",
    "vary",
    "widths",
]


class UsageError(InputValueError, argparse.ArgumentTypeError):
    """A bad command-line argument: reported in one line, exit status 2.

    Also argparse's error for a bad value, so that it reports this message
    for an option's type function.
    """


def widths(text: str) -> list[int]:
    """'1,2,4' or 'START:STOP:xFACTOR' (a geometric grid, STOP included when on it)."""
    try:
        if ":" in text:
            first, last, times = text.split(":")
            if not times.startswith("x"):
                raise ValueError
            start, stop, factor = int(first), int(last), int(times[1:])
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
        raise UsageError(f"not a width grid: {text!r} (use e.g. 1,2,4 or 1:256:x2)") from None


def seeds(text: str):
    """'3' (seeds 0, 1, 2), '0,5,9' (those seeds) or '5,' (seed 5 alone)."""
    listed = "," in text
    try:
        values = [int(v) for v in (text[:-1] if text.endswith(",") else text).split(",")]
    except ValueError:
        raise UsageError(f"not a seed count or list: {text!r} (use e.g. 3, 0,5,9 or 5,)") from None
    if min(values) < 0 or (not listed and values[0] < 1):
        raise UsageError(f"not a seed count or list: {text!r}")
    return values if listed else values[0]


def temperatures(text: str):
    """'4' (one temperature) or '1,2,4' (several, trained in one call)."""
    values = [number(part) for part in text.split(",")]
    return values[0] if len(values) == 1 and "," not in text else values


def radius(text: str):
    """'none' (plain gradient descent) or a number."""
    if text.lower() == "none":
        return None
    return number(text)


def number(text: str) -> float:
    """A number; its range is checked by the function it is passed to, with that function's message."""
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"not a number: {text!r}") from None


def value(text: str):
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
    if "/" in text and all(part.isdecimal() for part in text.split("/")):  # the digits int() reads
        return tuple(int(part) for part in text.split("/"))
    return text


def classes(text: str) -> tuple[tuple[int, ...], ...]:
    """'13579/02468': groups of digits, one digit a class (odd against even).

    Parsed apart from :func:`value`, which reads '13579/02468' as the pair
    (13579, 2468). The data set checks the groups (two, disjoint, non-empty).
    """
    groups = text.split("/")
    if not all(group.isdecimal() or not group for group in groups):
        raise UsageError(f"classes: expected groups of digits such as 13579/02468, got {text!r}")
    return tuple(tuple(int(digit) for digit in group) for group in groups)


# Data set options whose text reads otherwise than value() would read it.
DATA_VALUES: dict[str, Callable[[str], object]] = {"classes": classes}


def assignments(text: str, what: str, parsers: dict[str, Callable[[str], object]] | None = None) -> dict:
    """'k=v,k=v' as a dict of values, each parsed by parsers[k] where given, else by :func:`value`."""
    parsers = parsers or {}
    result = {}
    for item in filter(None, text.split(",")):
        key, sep, text_value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what}: expected KEY=VALUE, got {item!r}")
        key = key.strip().replace("-", "_")
        result[key] = parsers.get(key, value)(text_value.strip())
    return result


def protocol_options() -> str:
    """The keys of --protocol with kdfast.theory.Protocol's own defaults, for --help."""
    described = []
    for field in dataclasses.fields(Protocol):
        if field.default is dataclasses.MISSING:
            described.append(f"{field.name} (required)")
        else:
            described.append(f"{field.name}={str(field.default).lower()}")
    return ", ".join(described)


def protocol(text: str) -> Protocol:
    """'eps=0.3,steps_constant=4,...': a kdfast.theory.Protocol with these fields, the rest its defaults."""
    options = assignments(text, "--protocol")
    fields = dataclasses.fields(Protocol)
    names = [field.name for field in fields]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise UsageError(f"--protocol: no option {unknown[0]!r} (options: {', '.join(names)})")
    missing = [field.name for field in fields if field.default is dataclasses.MISSING and field.name not in options]
    if missing:
        raise UsageError(f"--protocol: needs {missing[0]}=VALUE")
    try:
        return Protocol(**options)
    except InputError as err:  # a bad value, in Protocol's own words
        raise UsageError(f"--protocol: {err}") from None


def vary(text: str) -> tuple[str, list]:
    """'KEY=V1,V2,...': a data set option and its values, parsed as in a --data spec."""
    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise UsageError(f"--vary: expected KEY=V1,V2,..., got {text!r}")
    key = key.strip()
    parse = DATA_VALUES.get(key, value)
    return key, [parse(v.strip()) for v in values.split(",") if v.strip()]


# -- data sets -----------------------------------------------------------------


def load(path, option: str):
    """np.load(path), with a file NumPy cannot read reported as a bad value of `option`."""
    try:
        return np.load(path)
    except ValueError as err:  # not an .npy / .npz file, or one holding Python objects
        raise UsageError(f"{option}: cannot read {os.fspath(path)!r}: {err}") from None


def npz(path, *, name=None, normalize=True, bias=False) -> ds.Dataset:
    """A data set from the arrays X, y (and optionally X_test, y_test) of a .npz file."""
    with load(path, "--data") as arrays:
        if "X" not in arrays or "y" not in arrays:
            raise UsageError(f"--data: {path!r} must hold arrays X and y (and optionally X_test, y_test)")
        test = (arrays["X_test"], arrays["y_test"]) if "X_test" in arrays else (None, None)
        return ds.from_arrays(
            arrays["X"], arrays["y"], *test, name=name or os.path.basename(str(path)), normalize=normalize, bias=bias
        )


FAMILIES: dict[str, Callable[..., ds.Dataset]] = {
    "xor2": ds.xor2,
    "gaussians": ds.gaussians,
    "planted": ds.planted,
    "digits": ds.digits,
    "mnist": ds.mnist,
    "mnist1d": ds.mnist1d,
    "idx": ds.idx,
    "npz": npz,
}


def spec(text: str) -> tuple[str, dict]:
    name, _, options = text.partition(":")
    if name not in FAMILIES:
        raise UsageError(f"--data: unknown data set {name!r} (choose from {', '.join(FAMILIES)})")
    return name, assignments(options, "--data", DATA_VALUES)


def dataset(name: str, options: dict) -> ds.Dataset:
    make = FAMILIES[name]
    accepted = [p for p in inspect.signature(make).parameters]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"--data: {name} has no option {unknown[0]!r} (options: {', '.join(accepted)})")
    return make(**options)


def datasets(specs: list[str], varied: str | None) -> dict[str, ds.Dataset]:
    """Named data sets from --data specs, or one spec expanded over --vary KEY=V1,V2,... (`varied`)."""
    if varied is not None:
        if len(specs) != 1:
            raise UsageError("--vary: give exactly one --data to vary")
        name, options = spec(specs[0])
        key, values = vary(varied)
        made = [dataset(name, {**options, key: v}) for v in values]
        labels = [f"{data.name}, {key}={v}" for data, v in zip(made, values)]
    else:
        parsed = [spec(text) for text in specs]
        made = [dataset(name, options) for name, options in parsed]
        labels = specs
    names = [data.name for data in made]
    if len(set(names)) < len(names):  # e.g. two seeds of one family: name them by their specs
        names = labels
    if len(set(names)) < len(names):
        raise UsageError("--data: the same data set is given twice")
    return dict(zip(names, made))
