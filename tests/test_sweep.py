"""kdfast.sweep: serial and parallel runs agree, Dask, results, plots, Ctrl-C, bad input."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from ctrl_c import gate, interrupt

import kdfast
from kdfast import datasets as ds

SETTINGS = dict(teacher="kernel", widths=[1, 4, 16], seeds=2, steps=40, n_threads=1)


@pytest.fixture(scope="module")
def datasets():
    return {f"d={d}": ds.xor2(n=60, d=d, n_test=40, seed=d) for d in (4, 8)}


@pytest.fixture(scope="module")
def serial(datasets):
    return kdfast.sweep(datasets, **SETTINGS)


def test_a_sweep_is_one_comparison_per_dataset(datasets, serial):
    assert list(serial.comparisons) == ["d=4", "d=8"]
    assert serial.table["dataset"].unique().tolist() == ["d=4", "d=8"]
    for name, data in datasets.items():
        alone = kdfast.compare(data, **SETTINGS)
        mine = serial.comparisons[name]
        pd.testing.assert_frame_equal(mine.table.drop(columns="dataset"), alone.table.drop(columns="dataset"))
        assert mine.params["data_name"] == data.name and mine.params["dataset"] == name
    assert len(serial.curves) == len(serial.comparisons["d=4"].curves) * 2


def test_a_list_is_named_by_the_datasets(datasets):
    result = kdfast.sweep(list(datasets.values()), **{**SETTINGS, "steps": 2})
    assert list(result.comparisons) == ["xor2(d=4)", "xor2(d=8)"]


def assert_same_results(a, b):
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.curves, b.curves)


def test_thread_pool_equals_serial(datasets, serial):
    default_threads = {k: v for k, v in SETTINGS.items() if k != "n_threads"}
    with ThreadPoolExecutor(2) as pool:
        parallel = kdfast.sweep(datasets, executor=pool, **default_threads)
    assert_same_results(parallel, serial)
    assert {c.params["n_threads"] for c in parallel.comparisons.values()} == {1}  # one thread per job


def test_dask_cluster_equals_serial(datasets, serial):
    distributed = pytest.importorskip("distributed")
    # Two single-threaded workers in this process: the jobs still run in
    # parallel (the engine releases the GIL) without the seconds that
    # starting worker processes takes on a small machine.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        with distributed.Client(cluster) as client:
            parallel = kdfast.sweep(datasets, executor=client.get_executor(), **SETTINGS)
    assert_same_results(parallel, serial)


def test_neurons_needed_and_summary(serial):
    needed = serial.neurons_needed(0.9, metric="test_acc")
    assert needed["dataset"].tolist() == ["d=4", "d=8"]
    for row in needed.itertuples():
        expected = serial.comparisons[row.dataset].neurons_needed(0.9, metric="test_acc")
        assert (None if pd.isna(row.soft) else row.soft) == expected["soft"]
        assert (None if pd.isna(row.hard) else row.hard) == expected["hard"]
    summary = serial.summary("test_acc")
    assert summary.columns[0] == "dataset" and len(summary) == 2 * 3


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".csv"])
def test_save_load_round_trip(serial, tmp_path, suffix):
    serial.save(tmp_path / f"sweep{suffix}")
    loaded = kdfast.load(tmp_path / f"sweep{suffix}")
    assert isinstance(loaded, kdfast.Sweep) and list(loaded.comparisons) == ["d=4", "d=8"]
    pd.testing.assert_frame_equal(loaded.table, serial.table)
    if suffix != ".csv":
        pd.testing.assert_frame_equal(loaded.curves, serial.curves)
        assert loaded.comparisons["d=8"].params["data_params"]["d"] == 8


def test_plot_against_a_data_parameter(serial, tmp_path):
    pytest.importorskip("matplotlib")
    figure = serial.plot(tmp_path / "gap.png", x="d", widths=[4, 16])
    assert (tmp_path / "gap.png").read_bytes()[:4] == b"\x89PNG"
    ax = figure.axes[0]
    assert ax.get_xlabel() == "d"
    # one line per width through the data sets' d
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert sorted(lines[0].get_xdata().tolist()) == [4.0, 8.0]
    categorical = serial.plot()
    assert [t.get_text() for t in categorical.axes[0].get_xticklabels()] == ["d=4", "d=8"]
    with pytest.raises(ValueError, match="x: data set 'd=4' has no numeric parameter 'pair'"):
        serial.plot(x="pair")
    with pytest.raises(ValueError, match=r"widths: \[2\] were not trained"):
        serial.plot(widths=[2])


def test_plot_widths_has_a_row_per_dataset(serial, tmp_path):
    pytest.importorskip("matplotlib")
    figure = serial.plot_widths(tmp_path / "w.png", metrics=["mean_loss", "test_acc"])
    assert len(figure.axes) == 4 and [ax.get_title() for ax in figure.axes[::2]] == ["d=4", "d=8"]
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("datasets", "kwargs", "error", "match"),
    [
        ({}, {}, ValueError, "datasets: empty"),
        (ds.xor2(n=5, d=3), {}, TypeError, "use kdfast.compare"),
        ([ds.xor2(n=5, d=3), ds.xor2(n=6, d=3)], {}, ValueError, "several data sets are named 'xor2\\(d=3\\)'"),
        ({"a": np.zeros((3, 2))}, {}, TypeError, "'a' is a ndarray, not a kdfast Dataset"),
        ({1: ds.xor2(n=5, d=3)}, {}, TypeError, "names must be non-empty strings"),
        ({"a": ds.xor2(n=5, d=3)}, {"executor": "dask"}, TypeError, "executor: expected a concurrent.futures.Executor"),
        ({"a": ds.xor2(n=5, d=3)}, {"teacher": np.zeros(5)}, ValueError, "teacher: outputs given as arrays"),
        (
            {"a": ds.xor2(n=5, d=3)},
            {"teacher": kdfast.ArrayTeacher(train_logits=np.zeros(5))},
            ValueError,
            "belong to one data set",
        ),
        ({"a": ds.xor2(n=5, d=3)}, {"temperature": -1.0}, ValueError, "temperature"),
    ],
)
def test_bad_input(datasets, kwargs, error, match):
    with pytest.raises(error, match=match):
        kdfast.sweep(datasets, **{"steps": 1, **kwargs})


class BrokenTeacher:
    def fit(self, X, y):
        if X.shape[0] == 3:
            raise ValueError("teacher: cannot fit three points")
        return self

    def logits(self, X):
        return np.zeros(X.shape[0])


def test_a_failing_job_raises_its_error():
    jobs = {"ok": ds.xor2(n=20, d=3), "bad": ds.from_arrays(np.eye(3), [1, -1, 1]), "later": ds.xor2(n=20, d=4)}
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="teacher: cannot fit three points"):
        kdfast.sweep(jobs, executor=pool, teacher=BrokenTeacher(), widths=[1], steps=1)


# Four data sets of a million steps each would take hours: the sweep ends
# only if the interrupt, which finds the engine at work in every job running
# (ctrl_c), stops it. On the thread pool, the two running jobs stop at their
# next piece and the two waiting are cancelled; none runs to the end.
CHILD_CODE = """
from concurrent.futures import ThreadPoolExecutor
import kdfast
from kdfast import datasets as ds

class Pool(ThreadPoolExecutor):
    \"\"\"Keeps the futures of the jobs, to tell how each ended.\"\"\"

    futures = []

    def submit(self, fn, /, *args, **kwargs):
        self.futures.append(super().submit(fn, *args, **kwargs))
        return self.futures[-1]

data = {f"d={d}": ds.xor2(n=400, d=d, n_test=10) for d in (8, 9, 10, 11)}
pool = Pool(2) if sys.argv[1] == "threads" else None
try:
    kdfast.sweep(data, executor=pool, widths=[2000], seeds=2, steps=10**6, record_every=10, n_threads=1)
except KeyboardInterrupt:
    if pool is not None:
        pool.shutdown(wait=True)  # returns once the running jobs have stopped
        print(*("cancelled" if f.cancelled() else type(f.exception()).__name__ for f in pool.futures))
    print("interrupted")
    sys.exit(0)
sys.exit(1)
"""
ENDINGS = {
    "serial": ["interrupted"],
    "threads": ["KeyboardInterrupt KeyboardInterrupt cancelled cancelled", "interrupted"],
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
@pytest.mark.parametrize("executor", ["serial", "threads"])
def test_ctrl_c_stops_a_sweep(executor):
    code = gate(engines=2 if executor == "threads" else 1) + CHILD_CODE
    child = subprocess.Popen(
        [sys.executable, "-c", code, executor], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = interrupt(child)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert out.splitlines() == ENDINGS[executor]


def test_csv_keeps_dataset_names_that_look_like_numbers_or_missing(tmp_path):
    named = {"1": ds.xor2(n=20, d=3, n_test=10), "NA": ds.xor2(n=20, d=4, n_test=10)}
    result = kdfast.sweep(named, **{**SETTINGS, "steps": 2, "widths": [1]})
    result.save(tmp_path / "s.csv")
    back = kdfast.load(tmp_path / "s.csv")
    assert list(back.comparisons) == ["1", "NA"]
    pd.testing.assert_frame_equal(back.table, result.table, check_dtype=False)
