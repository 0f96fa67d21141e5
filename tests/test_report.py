"""One report for every comparison: two-layer and deep students, fresh or loaded from any format."""

import numpy as np
import pytest

import kdfast
from kdfast import datasets as ds

SETTINGS = dict(widths=[1, 4], seeds=2, steps=20, lr=2.0, n_threads=1, dtype=np.float64)


def width_table(report: str) -> list[str]:
    """The report's soft-vs-hard lines: from the header to the line before the legend."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("width"))
    return lines[start:-1]


@pytest.fixture(scope="module")
def two_layer():
    return kdfast.compare(ds.xor2(n=40, d=4, n_test=30, seed=2, flip=0.1), **SETTINGS)


def test_a_two_layer_report_reads_its_run(two_layer):
    lines = two_layer.report(0.3).splitlines()
    assert lines[0] == "data: xor2(d=4)  (n_train 40, n_test 30, d 4)"
    assert lines[1].startswith("students: 20 steps, lr 2, radius none, 2 seed(s), ")
    assert lines[2].startswith("teacher: KernelTeacher(") and "train accuracy" in lines[2]
    assert lines[-2].startswith("neurons needed for avg loss <= 0.3: soft ")
    assert "neurons needed" not in two_layer.report()  # no eps, no target line


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_a_loaded_comparison_reports_through_the_same_code(two_layer, tmp_path, suffix):
    path = tmp_path / f"result.{suffix}"
    two_layer.save(path)
    loaded = kdfast.load(path)
    report = loaded.report(0.3)
    assert width_table(report) == width_table(two_layer.report(0.3))
    if suffix == "json":
        assert report == two_layer.report(0.3)
    else:  # a CSV file keeps the table only: the lines the parameters would fill are shorter, not missing
        lines = report.splitlines()
        assert lines[0] == "data: xor2(d=4)"
        assert lines[1] == "students: 20 steps, lr 2, radius none, 2 seed(s)"
        assert "train accuracy" in lines[2]


def test_a_deep_report_is_the_same_layout(tmp_path):
    pytest.importorskip("sklearn")
    deep = pytest.importorskip("kdfast.deep")
    data = deep.digits(n=60, n_test=40, flip=0.2)
    result = deep.compare(
        data,
        arch="mlp",
        widths=[1, 2],
        seeds=2,
        epochs=1,
        batch_size=32,
        teacher_params={"width": 4, "epochs": 1},
        n_threads=1,
    )
    report = result.report(0.5)  # used to fail: deep results have no radius
    lines = report.splitlines()
    assert lines[0] == "data: digits  (n_train 60, n_test 40, images 1x8x8, 10 classes, label noise 0.2)"
    assert lines[1].startswith("students: mlp, 1 epochs (2 steps of 32), sgd lr ")
    assert lines[2].startswith("teacher: width 4, 1 epochs on the hard labels, seed 0: train accuracy ")
    assert "test acc soft" in lines[3] and "agreement hard" in lines[3]
    assert lines[-2].startswith("neurons needed for avg loss <= 0.5")
    assert lines[-1].startswith("test acc: against the clean test labels")
    teacher = result.table[result.table["mode"] == "soft"]
    assert (teacher["teacher_train_agreement"] == result.params["teacher_train_acc"]).all()
    assert result.table.loc[result.table["mode"] == "hard", "teacher_test_acc"].isna().all()
    path = tmp_path / "deep.csv"
    result.save(path)
    loaded = kdfast.load(path)
    assert width_table(loaded.report(0.5)) == width_table(report)
    assert loaded.report().splitlines()[1].startswith("students: mlp, 1 epochs (2 steps of 32)")
