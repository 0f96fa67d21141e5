"""The kdfast command line: commands, outputs, exit codes and one-line errors, Ctrl-C."""

import argparse
import dataclasses
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from ctrl_c import gate, interrupt

import kdfast
from kdfast import _specs, cli, theory
from kdfast import datasets as ds

SMALL = ["--data", "xor2:n=40,d=4,n_test=50", "--widths", "1,4", "--seeds", "2", "--steps", "20", "--n-threads", "1"]


def run(argv, capsys):
    """(exit status, stdout, stderr) of `kdfast argv`, run in this process."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_info(capsys):
    code, out, err = run(["info"], capsys)
    assert code == 0 and err == ""
    assert out.startswith(f"kdfast {kdfast.__version__}\n")
    for field in ("OpenMP: ", "threads: ", "SIMD: ", "optional (extra): "):
        assert field in out


def test_python_dash_m_runs_the_same_cli():
    done = subprocess.run([sys.executable, "-m", "kdfast", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"kdfast {kdfast.__version__}"


def test_compare_prints_a_table_by_width(capsys):
    code, out, err = run(["compare", *SMALL], capsys)
    assert code == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    lines = out.splitlines()
    assert lines[0].startswith("data: xor2(d=4)")
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("width"))
    assert [line.split()[0] for line in lines[header + 1 : header + 3]] == ["1", "4"]
    assert "neurons needed for avg loss <= 0.05" in out


@pytest.mark.parametrize(("eps", "target"), [([], "0.3"), (["--eps", "0.2"], "0.2")])
def test_compare_under_a_protocol_reports_neurons_needed_at_its_eps(capsys, eps, target):
    argv = [
        "compare",
        "--data",
        "xor2:n=40,d=4,n_test=50",
        "--widths",
        "2,4",
        "--seeds",
        "1",
        "--n-threads",
        "1",
        "--protocol",
        "eps=0.3,gamma=0.2,max_steps=5",
        *eps,
    ]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert f"neurons needed for avg loss <= {target}:" in out


def test_compare_out_writes_table_parameters_and_plot(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run(["compare", *SMALL, "--temperature", "3", "--out", str(out_dir), "--format", "json"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["plot.png", "run.json", "table.json"]
    result = kdfast.load(out_dir / "table.json")
    assert list(result.table["width"].unique()) == [1, 4] and result.curves is not None
    assert set(result.table.loc[result.table["mode"] == "soft", "temperature"]) == {3.0}
    run_json = json.loads((out_dir / "run.json").read_text())
    assert run_json["command"][:2] == ["kdfast", "compare"]
    assert run_json["params"]["steps"] == 20
    assert {"kdfast", "numpy", "openmp", "simd", "threads_used"} <= set(run_json["environment"])
    assert run_json["environment"]["threads_used"] == 1
    assert (out_dir / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_with_an_array_teacher_and_npz_data(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.where(X[:, 0] > 0, 1, -1)
    np.savez(tmp_path / "mine.npz", X=X, y=y, X_test=X[:10], y_test=y[:10])
    X_unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.save(tmp_path / "logits.npy", 4 * X_unit[:, 0])
    np.save(tmp_path / "test_logits.npy", 4 * X_unit[:10, 0])
    argv = [
        "compare",
        "--data",
        f"npz:path={tmp_path / 'mine.npz'}",
        "--teacher",
        "array",
        "--teacher-logits",
        str(tmp_path / "logits.npy"),
        "--teacher-test-logits",
        str(tmp_path / "test_logits.npy"),
        "--widths",
        "2,8",
        "--steps",
        "10",
        "--n-threads",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert out.startswith("data: mine.npz")
    table = kdfast.load(tmp_path / "o" / "table.csv").table
    assert table["teacher_agreement"].notna().all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "--widths", "0,2"], "argument --widths: not a width grid: '0,2'"),
        (["compare", "--widths", "1:8:2"], "not a width grid"),
        (["compare", "--seeds", "x"], "argument --seeds: not a seed count or list"),
        (["compare", "--lr", "-1"], "lr: must be > 0, got -1.0"),
        (["compare", "--lr", "x"], "argument --lr: not a number: 'x'"),
        (["compare", "--radius", "nan"], "radius: must be finite"),
        (["compare", "--projection", "layer"], "argument --projection: invalid choice"),
        (["compare", "--data", "cifar10"], "--data: unknown data set 'cifar10'"),
        (["compare", "--data", "xor2:d"], "--data: expected KEY=VALUE, got 'd'"),
        (["compare", "--data", "xor2:depth=3"], "--data: xor2 has no option 'depth'"),
        (["compare", "--data", "xor2:d=1"], "d: must be >= 2"),
        (["compare", "--teacher", "array"], "--teacher array: needs --teacher-logits"),
        (["compare", "--teacher-logits", "x.npy"], "--teacher-logits: only with --teacher array"),
        (["compare", "--teacher-param", "no_such=1"], "teacher_params"),
        (["compare", "--n-threads", "0"], "n_threads: must not be 0"),
        (["compare", "--format", "xlsx"], "argument --format: invalid choice"),
        (["sweep", "--vary", "d"], "--vary: expected KEY=V1,V2,..."),
        (["sweep", "--data", "xor2", "--data", "xor2:d=3", "--vary", "n=10,20"], "--vary: give exactly one --data"),
        (["sweep", "--data", "xor2:d=4", "--data", "xor2:d=4"], "the same data set is given twice"),
        (["sweep", "--jobs", "0", "--data", "xor2:n=10,d=3", "--steps", "1"], "--jobs: must be >= 1"),
        (["sweep", "--jobs", "2", "--dask", "tcp://x:1"], "not allowed with argument"),
        (["scaling", "--metric", "loss"], "argument --metric: invalid choice"),
        (["compare", "--protocol", "steps_constant=4"], "--protocol: needs eps=VALUE"),
        (["compare", "--protocol", "eps"], "--protocol: expected KEY=VALUE, got 'eps'"),
        (
            ["compare", "--protocol", "eps=0.3,radius=2"],
            "--protocol: no option 'radius' (options: eps, radius_constant,",
        ),
        (["compare", "--protocol", "eps=1.5"], "--protocol: eps: must lie in the open interval (0, 1), got 1.5"),
        (["compare", "--protocol", "eps=0.3,max_steps=2.5"], "--protocol: max_steps: expected None or an integer"),
        (["compare", "--protocol", "eps=0.3", "--steps", "10"], "steps: set by the protocol; give one or the other"),
        (["compare", "--protocol", "eps=0.3", "--radius", "2"], "radius: set by the protocol; give one or the other"),
        (["sweep", "--protocol", "eps=0.3,gamma=-1"], "--protocol: gamma: must be > 0"),
        (["scaling", "--protocol", "eps=x"], "--protocol: eps: expected real numbers"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("kdfast") and "error: " in err, err
    assert message in err
    assert "Traceback" not in err and out == ""


def test_compare_with_a_protocol(tmp_path, capsys):
    argv = [
        "compare",
        "--data",
        "xor2:n=40,d=4,n_test=50",
        "--widths",
        "2,4",
        "--seeds",
        "1",
        "--n-threads",
        "1",
        "--lr",
        "4",
        "--protocol",
        "eps=0.2, radius-constant=0.5, steps_constant=0.5, gamma=0.15, max_steps=12",
        "--out",
        str(tmp_path),
        "--format",
        "json",
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    protocol = theory.Protocol(eps=0.2, radius_constant=0.5, steps_constant=0.5, gamma=0.15, max_steps=12)
    steps = {mode: protocol.steps(mode, 4.0) for mode in ("soft", "hard")}
    assert steps == {"soft": 7, "hard": 12}  # R = 3.333 and 5.365, T = 7 and 18, capped at 12
    table = kdfast.load(tmp_path / "table.json").table
    for mode in ("soft", "hard"):
        rows = table[table["mode"] == mode]
        assert (rows["steps"] == steps[mode]).all() and (rows["radius"] == protocol.radius(mode)).all()
    assert "students: protocol eps 0.2 at gamma 0.15: soft 7 steps, radius 3.333, hard 12 steps, radius 5.365" in out


@pytest.mark.parametrize("command", ["compare", "sweep", "scaling"])
def test_protocol_help_lists_the_protocols_own_fields_and_defaults(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())  # argparse wraps the help text
    for field in dataclasses.fields(theory.Protocol):
        shown = " (required)" if field.default is dataclasses.MISSING else f"={str(field.default).lower()}"
        assert field.name + shown in text


def test_missing_file_exits_1(tmp_path, capsys):
    code, _, err = run(["compare", "--data", f"npz:path={tmp_path / 'nope.npz'}"], capsys)
    assert code == 1 and err.count("\n") == 1 and "No such file" in err


@pytest.mark.parametrize(
    ("text", "grid"),
    [("1:1024:x2", [2**k for k in range(11)]), ("3:20:x3", [3, 9]), ("1,2,4", [1, 2, 4]), ("5:5:x2", [5])],
)
def test_width_grids(text, grid):
    assert _specs.widths(text) == grid


def test_sweep_over_a_varied_option(tmp_path, capsys):
    argv = [
        "sweep",
        "--data",
        "xor2:n=40,n_test=50",
        "--vary",
        "d=3,5",
        "--widths",
        "1,4",
        "--seeds",
        "1",
        "--steps",
        "10",
        "--n-threads",
        "1",
        "--out",
        str(tmp_path),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "== xor2(d=3)" in out and "== xor2(d=5)" in out
    result = kdfast.load(tmp_path / "table.csv")
    assert isinstance(result, kdfast.Sweep) and list(result.comparisons) == ["xor2(d=3)", "xor2(d=5)"]
    assert (tmp_path / "plot.png").exists() and (tmp_path / "widths.png").exists()


def test_sweep_in_processes_equals_serial(tmp_path, capsys):
    base = [
        "sweep",
        "--data",
        "xor2:n=40,n_test=50",
        "--vary",
        "d=3,4",
        "--widths",
        "2,4",
        "--seeds",
        "1",
        "--steps",
        "10",
        "--format",
        "json",
    ]
    assert run([*base, "--n-threads", "1", "--out", str(tmp_path / "serial")], capsys)[0] == 0
    code, _, err = run([*base, "--jobs", "2", "--out", str(tmp_path / "jobs")], capsys)
    assert code == 0, err
    serial, jobs = (kdfast.load(tmp_path / name / "table.json") for name in ("serial", "jobs"))
    assert serial.table.equals(jobs.table) and serial.curves.equals(jobs.curves)


def test_scaling_and_margin(tmp_path, capsys):
    argv = [
        "scaling",
        "--data",
        "xor2:n=40,n_test=20",
        "--vary",
        "d=3,4,5",
        "--widths",
        "1,4,16",
        "--seeds",
        "1",
        "--steps",
        "30",
        "--eps",
        "0.5",
        "--margin-samples",
        "256",
        "--margin-param",
        "bounds=false",
        "--n-threads",
        "1",
        "--out",
        str(tmp_path),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "gamma" in out and "(theory: p = 2)" in out and "(theory: p = 4)" in out
    result = kdfast.load(tmp_path / "table.csv")
    assert isinstance(result, kdfast.Scaling) and len(result.table) == 3
    assert result.table["gamma_upper_bound"].isna().all()  # bounds=false reached kdfast.margin
    code, out, err = run(["margin", "--data", "xor2:n=40,d=4", "--n-samples", "256"], capsys)
    assert code == 0, err
    assert out.splitlines()[1].startswith("gamma = ")


# The command line as `python -m kdfast` runs it, behind the gate of ctrl_c.
CLI_CHILD = gate() + "from kdfast.cli import main\nsys.exit(main())\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_ctrl_c_during_a_sweep_exits_130_and_writes_nothing(tmp_path):
    # Two data sets of a million steps would take hours: the command ends
    # only if the interrupt, which finds the engine at work, stops it.
    out_dir = tmp_path / "out"
    argv = [
        sys.executable,
        "-c",
        CLI_CHILD,
        "sweep",
        "--data",
        "xor2:n=400,n_test=10",
        "--vary",
        "d=8,9",
        "--widths",
        "2000",
        "--steps",
        "1000000",
        "--record-every",
        "10",
        "--progress",
        "--out",
        str(out_dir),
    ]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = interrupt(child)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert err.decode().strip().splitlines()[-1].endswith("kdfast: interrupted") and b"Traceback" not in err
    assert b"sweep" in err  # the progress bar was drawn
    assert not out_dir.exists()


@pytest.mark.parametrize(("text", "seeds"), [("3", 3), ("0,5,9", [0, 5, 9]), ("5,", [5]), ("0,", [0])])
def test_seed_counts_and_lists(text, seeds):
    assert _specs.seeds(text) == seeds


@pytest.mark.parametrize("text", ["0", "-1,", "x", "3,,4", ","])
def test_bad_seeds(text):
    with pytest.raises(argparse.ArgumentTypeError, match="not a seed count or list"):
        _specs.seeds(text)


# -- design options: several teachers, temperatures, replicates, validation, the map ------

DESIGN_SMALL = ["--widths", "1,4", "--seeds", "2", "--steps", "20", "--n-threads", "1"]
DESIGN_DATA = ["--data", "gaussians:n=60,d=4,separation=1.5,flip=0.2,n_test=40"]


def test_compare_with_two_teachers_two_temperatures_and_replicates(tmp_path, capsys):
    argv = [
        "compare",
        *DESIGN_DATA,
        *DESIGN_SMALL,
        "--teacher",
        "kernel,network",
        "--teacher-param",
        "kernel.steps=30",
        "--teacher-param",
        "network.width=16",
        "--teacher-param",
        "network.steps=10",
        "--temperature",
        "1,4",
        "--replicates",
        "2",
        "--validation",
        "0.2",
        "--out",
        str(tmp_path / "out"),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "2 replicates of the data" in out and out.count("teacher: ") == 4  # 2 teachers x 2 temperatures
    table = pd.read_csv(tmp_path / "out" / "table.csv")
    assert set(table["replicate"]) == {0, 1} and set(table["temperature"]) == {1.0, 4.0}
    assert set(table["teacher"].dropna()) == {"kernel", "network"} and table["test_acc_early"].notna().all()
    # The same run from Python.
    data = ds.gaussians(n=60, d=4, separation=1.5, flip=0.2, n_test=40)
    teachers = {"kernel": kdfast.KernelTeacher(steps=30), "network": kdfast.NetworkTeacher(width=16, steps=10)}
    direct = kdfast.compare(
        data,
        teacher=teachers,
        temperature=[1, 4],
        replicates=2,
        validation=0.2,
        widths=[1, 4],
        seeds=2,
        steps=20,
        n_threads=1,
    )
    np.testing.assert_allclose(table["test_acc_early"], direct.table["test_acc_early"])


def test_sweep_draws_the_map(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "map.png"
    argv = [
        "sweep",
        *DESIGN_DATA,
        "--vary",
        "separation=1,3",
        *DESIGN_SMALL,
        "--teacher",
        "kernel,svc",
        "--temperature",
        "1,4",
        "--map",
        str(path),
    ]
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
    code, out, err = run(["compare", *DESIGN_DATA, *DESIGN_SMALL, *extra], capsys)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_a_bad_map_path_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(
        ["sweep", *DESIGN_DATA, "--vary", "separation=1,3", *DESIGN_SMALL, "--map", str(blocker / "map.png")], capsys
    )
    assert code == 1 and "--map" in err and err.count("\n") == 1
