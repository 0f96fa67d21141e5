"""kdfast.compare and Comparison: table and curves against independent engine fits,
summary and neurons-needed logic, save/load round trips, atomic writes, plots, bad input."""

import os

import numpy as np
import pandas as pd
import pytest

import kdfast
from kdfast import datasets as ds
from kdfast.experiments import Comparison

WIDTHS, SEEDS = [1, 3, 8], [0, 7]
# One thread: these tests are not about threads (results do not depend on
# them), and a single thread is fastest on a small, busy machine.
SETTINGS = dict(
    steps=37, lr=2.0, radius=3.0, projection="neuron", temperature=2.0, record_every=4, dtype=np.float64, n_threads=1
)


def sigmoid(f):
    return 1 / (1 + np.exp(-f))


class LinearTeacher:
    """A teacher object with fixed logits 3 <w, x>: anything with fit and logits will do."""

    def fit(self, X, y):
        self.w_ = np.linspace(1.0, -1.0, X.shape[1])
        return self

    def logits(self, X):
        return 3.0 * np.asarray(X) @ self.w_


@pytest.fixture(scope="module")
def data():
    return ds.xor2(n=60, d=5, n_test=40, seed=1)


@pytest.fixture(scope="module")
def result(data):
    return kdfast.compare(data, teacher=LinearTeacher(), widths=WIDTHS, seeds=SEEDS, **SETTINGS)


def reference_fit(data, mode, width, seed):
    """One network alone in its bank, trained by the engine directly in one call."""
    teacher = LinearTeacher().fit(data.X_train, data.y_train)
    tau = SETTINGS["temperature"] if mode == "soft" else 1.0
    if mode == "soft":
        target, target_test = sigmoid(teacher.logits(data.X_train) / tau), sigmoid(teacher.logits(data.X_test) / tau)
    else:
        target, target_test = (1 + data.y_train) / 2, (1 + data.y_test) / 2
    bank = kdfast.StudentBank(data.d, [width], seeds=[seed], dtype=np.float64)
    history = bank.fit(
        data.X_train,
        target,
        y=data.y_train,
        X_test=data.X_test,
        y_test=data.y_test,
        target_test=target_test,
        steps=SETTINGS["steps"],
        lr=SETTINGS["lr"],
        radius=SETTINGS["radius"],
        projection="neuron",
        temperature=tau,
        record_every=SETTINGS["record_every"],
        n_threads=1,
    )
    agreement = np.mean(np.sign(bank.logits(data.X_test, n_threads=1)[:, 0]) == np.sign(teacher.logits(data.X_test)))
    return history, agreement


def test_table_has_one_row_per_network_in_a_fixed_order(result):
    table = result.table
    assert len(table) == 2 * len(WIDTHS) * len(SEEDS)
    assert list(table[["mode", "width", "seed"]].itertuples(index=False, name=None)) == [
        (mode, width, seed) for mode in ("soft", "hard") for width in WIDTHS for seed in SEEDS
    ]
    for column in (
        "mean_loss",
        "final_loss",
        "train_acc",
        "test_acc",
        "teacher_agreement",
        "max_drift",
        "temperature",
        "lr",
        "radius",
        "projection",
        "steps",
        "dataset",
    ):
        assert column in table.columns
    assert (table.loc[table["mode"] == "soft", "temperature"] == 2.0).all()
    assert (table.loc[table["mode"] == "hard", "temperature"] == 1.0).all()


def test_table_and_curves_match_independent_engine_fits(data, result):
    """Every row equals the same network trained alone, in one engine call.

    The engine's results do not depend on the rest of the bank, and compare's
    fit in pieces continues exactly where each piece ended, so the records
    agree to rounding; only the average loss is assembled from the pieces'
    averages (a few ulps). 1e-12 relative is far below any real difference.
    """
    curves = result.curves
    for row in result.table.itertuples():
        history, agreement = reference_fit(data, row.mode, row.width, row.seed)
        np.testing.assert_allclose(row.mean_loss, history.mean_loss[0], rtol=1e-12)
        np.testing.assert_allclose(row.final_loss, history.final_loss[0], rtol=1e-12)
        np.testing.assert_allclose(row.max_drift, history.max_drift[0], rtol=1e-12)
        assert row.train_acc == history.train_acc[-1, 0] and row.test_acc == history.test_acc[-1, 0]
        np.testing.assert_allclose(row.test_loss, history.test_loss[-1, 0], rtol=1e-12)
        assert row.teacher_agreement == agreement
        mine = curves[(curves["mode"] == row.mode) & (curves["width"] == row.width) & (curves["seed"] == row.seed)]
        np.testing.assert_array_equal(mine["step"], history.steps)
        for name in ("loss", "train_acc", "test_loss", "test_acc"):
            np.testing.assert_allclose(mine[name], getattr(history, name)[:, 0], rtol=1e-12, err_msg=name)
    assert result.params["teacher_train_acc"] == np.mean(
        np.sign(LinearTeacher().fit(data.X_train, None).logits(data.X_train)) == data.y_train
    )


def test_soft_and_hard_students_of_a_seed_start_from_the_same_weights(data):
    """With zero steps both students of a seed are the same network, so they agree exactly."""
    still = kdfast.compare(data, teacher=LinearTeacher(), widths=[4], seeds=[3], steps=0, n_threads=1)
    soft, hard = still.table.iloc[0], still.table.iloc[1]
    assert soft["test_acc"] == hard["test_acc"] and soft["teacher_agreement"] == hard["teacher_agreement"]
    assert np.isnan(soft["mean_loss"])  # no steps, no average


def test_summary_gaps_are_paired_by_seed(result):
    summary = result.summary(["mean_loss", "test_acc"])
    assert list(summary.columns[:4]) == ["metric", "teacher", "temperature", "width"]
    assert len(summary) == 2 * len(WIDTHS)
    t = result.table
    for row in summary.itertuples():
        soft = t[(t["mode"] == "soft") & (t["width"] == row.width)].set_index("seed")[row.metric]
        hard = t[(t["mode"] == "hard") & (t["width"] == row.width)].set_index("seed")[row.metric]
        gap = soft - hard
        assert row.soft_mean == pytest.approx(soft.mean()) and row.hard_sd == pytest.approx(hard.std())
        assert row.gap_mean == pytest.approx(gap.mean()) and row.gap_sd == pytest.approx(gap.std())
        assert row.n_seeds == len(SEEDS)


def synthetic(values: dict, metric="mean_loss", seeds=(0, 1)):
    """A Comparison whose seed-mean `metric` per width is values[mode][i] (seeds spread +-0.01)."""
    rows = []
    for mode, means in values.items():
        for width, mean in zip([1, 2, 4, 8, 16], means):
            for i, seed in enumerate(seeds):
                rows.append(
                    {
                        "dataset": "x",
                        "mode": mode,
                        "width": width,
                        "seed": seed,
                        metric: mean + (0.01 if i == 0 else -0.01),
                    }
                )
    return Comparison(pd.DataFrame(rows))


def test_neurons_needed_for_a_loss():
    c = synthetic({"soft": [0.5, 0.2, 0.09, 0.05, 0.04], "hard": [0.6, 0.5, 0.4, 0.3, 0.2]})
    assert c.neurons_needed(0.1) == {"soft": 4, "hard": None}
    assert c.neurons_needed(0.3) == {"soft": 2, "hard": 8}
    assert c.neurons_needed(1.0) == {"soft": 1, "hard": 1}
    assert c.neurons_needed(0.01) == {"soft": None, "hard": None}


def test_neurons_needed_with_all_wider_widths():
    # Width 2 dips below the target but width 4 does not: 2 reaches it first,
    # 8 is where every wider width does.
    c = synthetic({"soft": [0.5, 0.05, 0.2, 0.05, 0.04], "hard": [0.6, 0.5, 0.09, 0.3, 0.2]})
    assert c.neurons_needed(0.1) == {"soft": 2, "hard": 4}
    assert c.neurons_needed(0.1, all_wider=True) == {"soft": 8, "hard": None}


def test_neurons_needed_for_an_accuracy():
    c = synthetic({"soft": [0.6, 0.8, 0.9, 0.95, 0.96], "hard": [0.5, 0.6, 0.7, 0.9, 0.92]}, metric="test_acc")
    assert c.neurons_needed(0.9, metric="test_acc") == {"soft": 4, "hard": 8}
    with pytest.raises(ValueError, match=r"target: an accuracy target must lie in \[0, 1\]"):
        c.neurons_needed(90, metric="test_acc")


def test_neurons_needed_bad_input(result):
    with pytest.raises(ValueError, match="metric: expected one of"):
        result.neurons_needed(0.1, metric="loss")
    with pytest.raises(ValueError, match="target"):
        result.neurons_needed(np.nan)


def test_without_a_test_set_test_metrics_are_missing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    data = ds.from_arrays(X, np.where(X[:, 0] > 0, 1, -1), name="no-test")
    c = kdfast.compare(data, teacher=LinearTeacher(), widths=[2, 4], seeds=1, steps=5, n_threads=1)
    assert c.table[["test_acc", "test_loss", "teacher_agreement"]].isna().all().all()
    assert c.table["train_acc"].notna().all()
    with pytest.raises(ValueError, match="metric: test_acc was not measured"):
        c.neurons_needed(0.9, metric="test_acc")


def test_teacher_as_an_array_of_logits(data):
    logits = LinearTeacher().fit(data.X_train, data.y_train).logits(data.X_train)
    by_array = kdfast.compare(data, teacher=logits, widths=[2], seeds=1, steps=5, n_threads=1)
    by_object = kdfast.compare(data, teacher=LinearTeacher(), widths=[2], seeds=1, steps=5, n_threads=1)
    np.testing.assert_array_equal(by_array.table["mean_loss"], by_object.table["mean_loss"])
    # The array teacher knows no test logits: no agreement, and no soft test loss.
    assert by_array.table["teacher_agreement"].isna().all()
    assert by_array.table.set_index("mode")["test_loss"].isna().to_dict() == {"soft": True, "hard": False}
    assert by_array.table["test_acc"].notna().all()


@pytest.mark.parametrize("teacher", ["kernel", "network", "margin"])
def test_teachers_by_name(data, teacher):
    params = {"network": {"width": 64, "steps": 20}}.get(teacher)
    c = kdfast.compare(data, teacher=teacher, teacher_params=params, widths=[2, 8], seeds=1, steps=10, n_threads=1)
    assert c.table["teacher_agreement"].between(0, 1).all()
    assert 0.5 <= c.params["teacher_train_acc"] <= 1.0
    assert c.params["teacher"].startswith(teacher.capitalize())


# -- saving and loading ------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".csv"])
def test_save_load_round_trip(result, tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    result.save(path)
    loaded = kdfast.load(path)
    assert isinstance(loaded, Comparison)
    pd.testing.assert_frame_equal(loaded.table, result.table)
    if suffix == ".csv":
        assert loaded.curves is None
    else:
        pd.testing.assert_frame_equal(loaded.curves, result.curves)
        assert loaded.params["widths"] == WIDTHS and loaded.params["radius"] == 3.0
        assert loaded.params["data_params"] == result.params["data_params"]
    assert loaded.neurons_needed(0.5) == result.neurons_needed(0.5)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


def test_round_trip_keeps_nan_and_infinity(tmp_path):
    table = pd.DataFrame(
        {
            "dataset": "x",
            "mode": ["soft", "hard"],
            "width": [1, 1],
            "seed": [0, 0],
            "mean_loss": [np.inf, np.nan],
            "radius": [np.nan, -np.inf],
        }
    )
    Comparison(table, None, {"radius": None, "a": [1.5, np.nan]}).save(tmp_path / "x.json")
    loaded = kdfast.load(tmp_path / "x.json")
    pd.testing.assert_frame_equal(loaded.table, table)
    assert loaded.params == {"radius": None, "a": [1.5, None]}
    assert "NaN" not in (tmp_path / "x.json").read_text()  # strict JSON


def test_a_failed_save_leaves_nothing_behind(result, tmp_path, monkeypatch):
    target = tmp_path / "run.csv"
    target.write_text("previous contents")

    def broken_to_csv(self, path, **kwargs):
        with open(path, "w") as f:
            f.write("dataset,mode\nhalf")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(KeyboardInterrupt):
        result.save(target)
    assert target.read_text() == "previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv"]
    monkeypatch.undo()
    fresh = tmp_path / "fresh.json"
    monkeypatch.setattr("json.dump", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        result.save(fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv"]


def test_saved_files_get_ordinary_permissions(result, tmp_path):
    result.save(tmp_path / "run.json")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "run.json").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [("run.txt", ValueError, "path: the extension must be one of"), (3, TypeError, "path: expected a file path")],
)
def test_save_bad_path(result, tmp_path, path, error, match):
    with pytest.raises(error, match=match):
        result.save(tmp_path / path if isinstance(path, str) else path)


def test_load_rejects_foreign_files(tmp_path):
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="was not written by kdfast"):
        kdfast.load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="is not a kdfast JSON file"):
        kdfast.load(tmp_path / "broken.json")


# -- plots -------------------------------------------------------------------


def test_plot_writes_a_png(result, tmp_path):
    pytest.importorskip("matplotlib")
    figure = result.plot(tmp_path / "cmp.png", metrics=["mean_loss", "test_acc", "teacher_agreement"])
    assert len(figure.axes) == 3
    assert figure.axes[0].get_xscale() == "log"
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cmp.png"]
    # soft and hard lines on each panel, at the measured widths
    lines = figure.axes[0].get_lines()
    assert sorted(lines[0].get_xdata().tolist()) == WIDTHS


# -- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"widths": [2, 2]}, ValueError, "widths: every value must appear once"),
        ({"widths": [0, 2]}, ValueError, "widths: every value must be >= 1"),
        ({"widths": []}, ValueError, "widths: expected a non-empty"),
        ({"seeds": 0}, ValueError, "seeds: must be >= 1"),
        ({"seeds": [1, 1]}, ValueError, "seeds: every value must appear once"),
        ({"seeds": [2**63]}, ValueError, "seeds: every value must be < 2\\*\\*63"),
        ({"temperature": 0.0}, ValueError, "temperature"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"radius": 0.0}, ValueError, "radius"),
        ({"projection": "layer"}, ValueError, "projection"),
        ({"steps": -1}, ValueError, "steps"),
        ({"record_every": 0}, ValueError, "record_every"),
        ({"teacher": "oracle"}, ValueError, "teacher: expected one of 'kernel', 'margin', 'network'"),
        ({"teacher": "array"}, ValueError, "teacher: 'array' needs the teacher's outputs"),
        ({"teacher": 3}, TypeError, "teacher: expected a name"),
        ({"teacher": LinearTeacher(), "teacher_params": {"a": 1}}, ValueError, "teacher_params"),
        ({"teacher": "kernel", "teacher_params": {"no_such_option": 1}}, TypeError, "teacher_params"),
        ({"teacher": "kernel", "teacher_params": [1]}, TypeError, "teacher_params: expected a dict"),
        ({"progress": "yes"}, TypeError, "progress"),
        ({"dtype": np.int32}, TypeError, "dtype"),
    ],
)
def test_bad_input(data, kwargs, error, match):
    kwargs = {"teacher": LinearTeacher(), "widths": [1], "seeds": 1, "steps": 1, "n_threads": 1, **kwargs}
    with pytest.raises(error, match=match):
        kdfast.compare(data, **kwargs)


def test_data_must_be_a_dataset():
    with pytest.raises(TypeError, match="data: expected a kdfast Dataset"):
        kdfast.compare((np.zeros((3, 2)), np.ones(3)))


class ShortTeacher(LinearTeacher):
    def logits(self, X):
        return super().logits(X)[1:]


def test_teacher_logits_must_fit_the_data(data):
    with pytest.raises(ValueError, match="teacher: expected 60 training logits without NaN"):
        kdfast.compare(data, teacher=ShortTeacher(), widths=[1], steps=1)


class NanTestTeacher(LinearTeacher):
    def logits(self, X):
        f = super().logits(X)
        return f if len(f) == 60 else np.full(len(f), np.nan)


def test_teacher_test_logits_are_checked(data):
    with pytest.raises(ValueError, match="teacher: expected 40 test logits without NaN, got shape \\(40,\\) with NaN"):
        kdfast.compare(data, teacher=NanTestTeacher(), widths=[1], steps=1)


def test_array_teacher_probabilities_of_0_and_1(data):
    """Certain probabilities are infinite logits; sigmoid(+-inf) is still a target."""
    proba = (1 + data.y_train) / 2
    result = kdfast.compare(data, teacher=kdfast.ArrayTeacher(train_proba=proba), widths=[2], seeds=1, steps=5)
    soft, hard = (result.table[result.table["mode"] == m] for m in ("soft", "hard"))
    # Soft targets equal to the hard labels: the same training, row for row.
    np.testing.assert_array_equal(soft["mean_loss"].to_numpy(), hard["mean_loss"].to_numpy())
