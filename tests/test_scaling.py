"""kdfast.scaling: margins and neurons needed per data set, fitted exponents, results, plots."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import kdfast
from kdfast import datasets as ds
from kdfast import Scaling, Sweep, margin

MARGIN = {"n_samples": 256, "seed": 3}
SETTINGS = dict(teacher="kernel", widths=[1, 4, 16, 64], seeds=2, steps=60, n_threads=1)


@pytest.fixture(scope="module")
def datasets():
    return {f"d={d}": ds.xor2(n=40, d=d, n_test=20, seed=1) for d in (3, 4, 5)}


@pytest.fixture(scope="module")
def result(datasets):
    return kdfast.scaling(datasets, eps=0.3, margin_params=MARGIN, **SETTINGS)


def test_margins_and_neurons_come_from_margin_and_the_comparisons(datasets, result):
    table = result.table.set_index("dataset")
    assert list(table.index) == list(datasets)
    for name, data in datasets.items():
        estimate = margin(data.X_train, data.y_train, **MARGIN)
        assert table.loc[name, "gamma"] == estimate.gamma
        assert (table.loc[name, "gamma_low"], table.loc[name, "gamma_high"]) == estimate.gamma_ci
        needed = result.sweep.comparisons[name].neurons_needed(0.3)
        for mode in ("soft", "hard"):
            value = table.loc[name, f"{mode}_neurons"]
            assert (None if np.isnan(value) else value) == needed[mode]
    assert (table["eps"] == 0.3).all() and (table["metric"] == "mean_loss").all()


def power_law_table(gammas, C, eps):
    """Neurons exactly on the theory's laws: soft C/(gamma^2 eps), hard C ln(1/eps)/gamma^4."""
    g = np.asarray(gammas, dtype=float)
    return pd.DataFrame(
        {
            "dataset": [f"g{i}" for i in range(len(g))],
            "gamma": g,
            "eps": eps,
            "metric": "mean_loss",
            "soft_neurons": C / (g**2 * eps),
            "hard_neurons": C * np.log(1 / eps) / g**4,
        }
    )


def test_fits_recover_exact_power_laws():
    table = power_law_table([0.05, 0.1, 0.2, 0.4], C=3.0, eps=0.05)
    table.loc[0, "hard_neurons"] = np.nan  # not reached: left out of the fit
    fits = Scaling(Sweep({}), table).fits
    assert fits["soft"].exponent == pytest.approx(2.0, rel=1e-9)
    assert fits["soft"].constant == pytest.approx(3.0, rel=1e-9)  # eps divided out: the theory's C
    assert fits["hard"].exponent == pytest.approx(4.0, rel=1e-9) and fits["hard"].n_points == 3
    assert fits["hard"].constant == pytest.approx(3.0, rel=1e-9)


def test_too_few_points_give_no_fit():
    table = power_law_table([0.1, 0.2, 0.4], C=1.0, eps=0.1)
    table.loc[:1, "hard_neurons"] = np.nan
    fits = Scaling(Sweep({}), table).fits
    assert fits["soft"] is not None and fits["hard"] is None
    assert "hard no fit" in repr(Scaling(Sweep({}), table))


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".csv"])
def test_save_load_round_trip(result, tmp_path, suffix):
    result.save(tmp_path / f"s{suffix}")
    loaded = kdfast.load(tmp_path / f"s{suffix}")
    assert isinstance(loaded, Scaling)
    pd.testing.assert_frame_equal(loaded.table, result.table)
    assert loaded.params["eps"] == 0.3 and loaded.params["metric"] == "mean_loss"
    for mode in ("soft", "hard"):
        assert (loaded.fits[mode] is None) == (result.fits[mode] is None)
    if suffix != ".csv":
        pd.testing.assert_frame_equal(loaded.sweep.table, result.sweep.table)
        assert loaded.params["margin_params"] == MARGIN


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    scaling = Scaling(Sweep({}), power_law_table([0.05, 0.1, 0.2, 0.4], C=1.0, eps=0.1))
    figure = scaling.plot(tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    ax = figure.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "theory slope −2" in labels and "theory slope −4" in labels
    assert any(label.startswith("fit: slope −2.00 [") for label in labels)


def test_margin_warnings_reach_the_caller():
    # The same input with both labels: no margin (gamma = 0), and margin() says so.
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    data = ds.from_arrays(X, [1, -1, 1, -1], name="clash")
    with pytest.warns(UserWarning, match="clash: "):
        result = kdfast.scaling([data], margin_params=MARGIN, teacher="kernel", widths=[1, 2], steps=2, n_threads=1)
    assert result.table["gamma"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eps": 0.0}, ValueError, "eps"),
        ({"eps": 2.0, "metric": "test_acc"}, ValueError, "eps"),
        ({"eps": "0.1"}, TypeError, "eps"),
        ({"metric": "accuracy"}, ValueError, "metric: expected one of"),
        ({"margin_params": 3}, TypeError, "margin_params"),
    ],
)
def test_bad_input(datasets, kwargs, error, match):
    with pytest.raises(error, match=match):
        kdfast.scaling(datasets, **{"steps": 1, **kwargs})


class SlowKernelTeacher(kdfast.KernelTeacher):
    """Fits slowly, so that jobs sharing one teacher object would interleave."""

    def fit(self, X, y):
        import time

        super().fit(X, y)
        time.sleep(0.2)
        return self


def test_a_teacher_object_is_copied_for_each_job(datasets):
    """Jobs in threads never refit each other's teacher: a pool equals the serial run."""
    settings = {**SETTINGS, "teacher": SlowKernelTeacher(steps=20)}
    serial = kdfast.scaling(datasets, eps=0.3, margin_params=MARGIN, **settings)
    with ThreadPoolExecutor(2) as pool:
        threaded = kdfast.scaling(datasets, eps=0.3, margin_params=MARGIN, executor=pool, **settings)
    pd.testing.assert_frame_equal(threaded.sweep.table, serial.sweep.table)
    teachers = [c.teacher for c in serial.sweep.comparisons.values()]
    assert len({id(t) for t in teachers}) == len(datasets)


def test_a_test_metric_needs_test_data_before_any_training():
    no_test = ds.from_arrays(ds.xor2(n=30, d=3).X_train, ds.xor2(n=30, d=3).y_train, name="no test")
    with pytest.raises(ValueError, match="metric: test_acc needs test data, which 'no test' lack"):
        kdfast.scaling({"no test": no_test}, eps=0.9, metric="test_acc", steps=10**9, widths=[1])
