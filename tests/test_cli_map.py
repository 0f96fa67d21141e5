"""The command line's design options: several teachers, temperatures, replicates, validation, the map."""

import numpy as np
import pandas as pd
import pytest

import kdfast
from kdfast import cli
from kdfast import datasets as ds

SMALL = ["--widths", "1,4", "--seeds", "2", "--steps", "20", "--n-threads", "1"]
DATA = ["--data", "gaussians:n=60,d=4,separation=1.5,flip=0.2,n_test=40"]


def run(argv, capsys):
    """(exit status, stdout, stderr) of `kdfast argv`, run in this process."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_with_two_teachers_two_temperatures_and_replicates(tmp_path, capsys):
    argv = ["compare", *DATA, *SMALL, "--teacher", "kernel,network", "--teacher-param", "kernel.steps=30",
            "--teacher-param", "network.width=16", "--teacher-param", "network.steps=10", "--temperature", "1,4",
            "--replicates", "2", "--validation", "0.2", "--out", str(tmp_path / "out")]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "2 replicates of the data" in out and out.count("teacher: ") == 4  # 2 teachers x 2 temperatures
    table = pd.read_csv(tmp_path / "out" / "table.csv")
    assert set(table["replicate"]) == {0, 1} and set(table["temperature"]) == {1.0, 4.0}
    assert set(table["teacher"].dropna()) == {"kernel", "network"} and table["test_acc_early"].notna().all()
    # The same run from Python.
    data = ds.gaussians(n=60, d=4, separation=1.5, flip=0.2, n_test=40)
    teachers = {"kernel": kdfast.KernelTeacher(steps=30), "network": kdfast.NetworkTeacher(width=16, steps=10)}
    direct = kdfast.compare(data, teacher=teachers, temperature=[1, 4], replicates=2, validation=0.2,
                            widths=[1, 4], seeds=2, steps=20, n_threads=1)  # fmt: skip
    np.testing.assert_allclose(table["test_acc_early"], direct.table["test_acc_early"])


def test_sweep_draws_the_map(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "map.png"
    argv = ["sweep", *DATA, "--vary", "separation=1,3", *SMALL, "--teacher", "kernel,svc", "--temperature", "1,4",
            "--map", str(path)]  # fmt: skip
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--teacher", "kernel,nope"], "--teacher: expected distinct names among"),
        (["--teacher", "kernel,kernel"], "--teacher: expected distinct names among"),
        (["--teacher", "kernel,network", "--teacher-param", "steps=3"], "--teacher-param: with several teachers"),
        (["--teacher", "kernel,network", "--teacher-param", "margin.scale=3"], "--teacher-param: 'margin' is not one"),
        (["--teacher", "array,kernel"], "--teacher array: one teacher only"),
        (["--temperature", "1,x"], "not a number: 'x'"),
        (["--replicates", "0"], "replicates: must be >= 1"),
        (["--validation", "2"], "validation: must lie in the open interval"),
    ],
)
def test_bad_design_options_exit_2_with_one_line(extra, message, capsys):
    code, out, err = run(["compare", *DATA, *SMALL, *extra], capsys)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_a_bad_map_path_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(["sweep", *DATA, "--vary", "separation=1,3", *SMALL, "--map", str(blocker / "map.png")], capsys)
    assert code == 1 and "--map" in err and err.count("\n") == 1
