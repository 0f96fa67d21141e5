"""Property-based tests of the command line's parsers: any text gets a correct parse or a clear ValueError."""

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kdfast import _specs  # noqa: E402

# Text built from the parsers' own punctuation and digits is far more likely
# to get past their first checks than arbitrary Unicode; both are tried.
pieces = st.sampled_from(
    [
        ":",
        ",",
        "=",
        "/",
        "x",
        "-",
        "+",
        " ",
        ".",
        "e",
        "_",
        "0",
        "1",
        "2",
        "9",
        "none",
        "true",
        "xor2",
        "gaussians",
        "digits",
        "npz",
        "²",
        "٣",
        "nan",
        "inf",
    ]
)
texts = st.one_of(st.text(), st.lists(pieces, max_size=12).map("".join))


def parsed(parse, text, words):
    """parse(text), or None once its ValueError is one line that says what was wrong."""
    try:
        return parse(text)
    except ValueError as err:
        message = str(err)
        assert message and "\n" not in message and words in message, message
        return None


@settings(max_examples=500)
@given(texts)
@example("1:0:x2")
@example("1:8:x1")
@example("0,1")
@example("1:" + "9" * 5000 + ":x2")
@example("²")
def test_width_grids(text):
    widths = parsed(_specs.widths, text, "not a width grid")
    if widths is None:
        return
    assert widths and all(isinstance(w, int) and w >= 1 for w in widths)
    if ":" in text:  # a geometric grid: START, then each times FACTOR, up to STOP
        start, stop, factor = text.split(":")
        assert widths[0] == int(start) and widths[-1] <= int(stop) < widths[-1] * int(factor[1:])
        assert all(b == a * int(factor[1:]) for a, b in zip(widths, widths[1:]))
    else:
        assert widths == [int(part) for part in text.split(",")]


@settings(max_examples=100)
@given(st.integers(1, 10**6), st.integers(0, 10**9), st.integers(2, 10))
def test_width_grids_as_written(start, extra, factor):
    grid = _specs.widths(f"{start}:{start + extra}:x{factor}")
    expected = [start]
    while expected[-1] * factor <= start + extra:
        expected.append(expected[-1] * factor)
    assert grid == expected


@settings(max_examples=500)
@given(texts)
def test_data_set_specs(text):
    spec = parsed(_specs.spec, text, "--data:")
    if spec is None:
        return
    name, options = spec
    assert name in _specs.FAMILIES and text.startswith(name)
    assert all(isinstance(key, str) for key in options)


names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.tuples(st.integers(0, 99), st.integers(0, 99)),
    # text that does not read as a number or a word of its own, e.g. a path
    st.from_regex(r"[A-Za-z][A-Za-z0-9_./-]{0,12}", fullmatch=True).filter(
        lambda s: s.lower() not in ("none", "true", "false", "inf", "infinity", "nan")
    ),
)


def written(value) -> str:
    if isinstance(value, tuple):
        return "/".join(map(str, value))
    return repr(value) if isinstance(value, float) else str(value)


@settings(max_examples=300)
@given(st.sampled_from(sorted(_specs.FAMILIES)), st.dictionaries(names, values, max_size=4))
def test_data_set_specs_as_written(family, options):
    text = family + (":" + ",".join(f"{key}={written(value)}" for key, value in options.items()) if options else "")
    name, parsed = _specs.spec(text)
    assert name == family
    assert parsed.keys() == options.keys()
    for key, value in options.items():
        assert parsed[key] == value and type(parsed[key]) is type(value)


@settings(max_examples=300)
@given(texts)
def test_seed_lists(text):
    seeds = parsed(_specs.seeds, text, "not a seed count or list")
    if seeds is None:
        return
    if isinstance(seeds, list):
        assert "," in text and all(isinstance(s, int) and s >= 0 for s in seeds)
    else:
        assert isinstance(seeds, int) and seeds >= 1
