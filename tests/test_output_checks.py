"""Outputs are checked before the work, and written with the usual permissions without touching the umask."""

import functools
import os
import subprocess
import sys
import textwrap

import pytest

import kdfast
from kdfast import cli
from kdfast import results

SMALL = ["--data", "xor2:n=30,d=3,n_test=10", "--widths", "1,2", "--seeds", "1", "--steps", "2", "--n-threads", "1"]
COMMANDS = [
    ["compare", *SMALL],
    ["sweep", *SMALL, "--vary", "d=3,4"],
    ["scaling", *SMALL, "--vary", "d=3,4", "--margin-samples", "64"],
]


@pytest.fixture
def no_training(monkeypatch):
    """Every command trains through compare(): make any call to it fail the test."""

    @functools.wraps(kdfast.compare)  # the command line reads compare's defaults from its signature
    def refuse(*args, **kwargs):
        raise AssertionError("training started before --out was checked")

    monkeypatch.setattr(cli, "compare", refuse)
    monkeypatch.setattr(sys.modules["kdfast._sweep"], "compare", refuse)


def bad_outs(tmp_path):
    (tmp_path / "a-file").write_text("")
    outs = [tmp_path / "a-file", tmp_path / "a-file" / "below"]
    if os.path.isdir("/proc/self"):
        outs.append("/proc/x")  # exists on Linux and refuses new entries, even to root
    return outs


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
def test_an_unwritable_out_fails_at_once_in_one_line(argv, tmp_path, capsys, no_training):
    for out in bad_outs(tmp_path):
        code = cli.main([*argv, "--out", str(out)])
        captured = capsys.readouterr()
        assert code == 1 and captured.out == ""
        assert captured.err.count("\n") == 1
        assert captured.err.startswith(f"kdfast {argv[0]}: error: --out: cannot write files in ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_missing_out_is_checked_without_leaving_folders(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    results.check_output_directory(out, "out")
    assert list(tmp_path.iterdir()) == []
    os.makedirs(out)
    (out / "kept").write_text("x")
    results.check_output_directory(out, "out")  # an existing folder is left as it was
    assert [p.name for p in out.iterdir()] == ["kept"]
    with pytest.raises(TypeError, match="out: expected a file path"):
        results.check_output_directory(3, "out")


def test_a_missing_out_is_made_by_a_successful_run(tmp_path, capsys):
    out = tmp_path / "new" / "run"
    assert cli.main(["compare", *SMALL, "--out", str(out)]) == 0, capsys.readouterr().err
    assert {"table.csv", "run.json"} <= {p.name for p in out.iterdir()}


def test_the_file_mode_fallback_agrees_with_proc(tmp_path, monkeypatch):
    umask = os.umask(0o027)  # this test's own setting, restored below
    try:
        from_proc = results._new_file_mode(str(tmp_path))

        def no_proc(*args, **kwargs):
            raise OSError("no /proc here")

        monkeypatch.setattr(results, "open", no_proc, raising=False)
        probed = results._new_file_mode(str(tmp_path))
    finally:
        os.umask(umask)
    assert from_proc == probed == 0o640
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_saving_never_sets_the_umask(tmp_path):
    # Another thread could create files while the mask is briefly changed:
    # reading it must not change it, at import or when saving.
    code = textwrap.dedent(
        """
        import os, sys
        def refuse(mask):
            raise AssertionError("os.umask called")
        os.umask = refuse
        import kdfast
        from kdfast import datasets
        result = kdfast.compare(datasets.xor2(n=20, d=3), widths=[1], seeds=1, steps=1, n_threads=1)
        result.save(sys.argv[1])
        """
    )
    path = tmp_path / "r.json"
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    assert isinstance(kdfast.load(path), kdfast.Comparison)
