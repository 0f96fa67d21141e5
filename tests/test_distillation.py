"""The distillation experiment's pieces: the early-stopped network teacher, its temperature,
and sweeps that measure the margin gamma of each data set's clean labels."""

import copy
import sys

import numpy as np
import pytest

import kdfast
from kdfast import datasets as ds
from kdfast.teachers import TEACHER_STREAMS


@pytest.fixture(scope="module")
def noisy():
    return ds.gaussians(n=120, d=6, separation=1.5, flip=0.25, n_test=200, seed=3)


# -- the early-stopped network teacher ----------------------------------------------


def test_early_stopping_keeps_the_first_best_step_of_a_plain_loop(noisy):
    X, y = noisy.X_train, noisy.y_train
    teacher = kdfast.NetworkTeacher(
        width=64, steps=60, lr=4.0, validation=0.25, validate_every=5, seed=7, dtype=np.float64, n_threads=1
    ).fit(X, y)

    # The same by hand: the stratified quarter held out with the teacher's seed, the
    # network trained one step at a time, scored on the held-out part every 5 steps.
    rng = np.random.default_rng(7)
    held = kdfast._sampling.holdout(y, 0.25, rng)
    train = np.setdiff1d(np.arange(len(y)), held)
    share = 30 * np.mean(y > 0)  # stratified: the class shares, rounded one way or the other
    assert len(held) == 30 and np.floor(share) <= np.sum(y[held] > 0) <= np.ceil(share)
    bank = kdfast.StudentBank(X.shape[1], [64], seeds=(TEACHER_STREAMS + 7,), dtype=np.float64)
    snapshots, accuracy = [copy.copy(bank)], [np.mean(np.sign(bank.logits(X[held])[:, 0]) == y[held])]
    for step in range(1, 61):
        bank.fit(X[train], y[train], steps=1, lr=4.0, n_threads=1)
        if step % 5 == 0:
            snapshots.append(copy.copy(bank))
            accuracy.append(np.mean(np.sign(bank.logits(X[held])[:, 0]) == y[held]))
    best = int(np.argmax(accuracy))  # the first of the best
    assert teacher.best_step_ == 5 * best
    np.testing.assert_array_equal(teacher.validation_steps_, np.arange(0, 61, 5))
    np.testing.assert_allclose(teacher.validation_acc_, accuracy, rtol=0, atol=1e-12)
    # Continuing a fit is exact, so the kept weights are those of the loop's best step.
    np.testing.assert_array_equal(teacher.bank_.W, snapshots[best].W)
    np.testing.assert_allclose(teacher.logits(noisy.X_test), snapshots[best].logits(noisy.X_test)[:, 0], rtol=0, atol=0)
    np.testing.assert_array_equal(teacher.history_.steps, np.arange(0, 61, 5))  # recorded at each check


def test_a_shallow_copy_of_a_bank_is_a_snapshot(noisy):
    bank = kdfast.StudentBank(noisy.d, [8], dtype=np.float64)
    before = copy.copy(bank)
    W = before.W.copy()
    bank.fit(noisy.X_train, noisy.y_train, steps=3, lr=2.0)
    np.testing.assert_array_equal(before.W, W)
    assert not np.array_equal(bank.W, W)


def test_without_validation_the_teacher_keeps_its_last_step(noisy):
    teacher = kdfast.NetworkTeacher(width=16, steps=20, dtype=np.float64, n_threads=1).fit(noisy.X_train, noisy.y_train)
    assert teacher.best_step_ == 20 and teacher.validation_acc_ is None


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"validation": 1.0}, ValueError, r"validation: must lie in the open interval \(0, 1\)"),
        ({"validation": "10%"}, TypeError, "validation: "),
        ({"validate_every": 0}, ValueError, "validate_every: must be >= 1"),
        ({"temperature": 0.0}, ValueError, "temperature: must be > 0"),
    ],
)
def test_bad_teacher_parameters(noisy, params, error, match):
    teacher = kdfast.NetworkTeacher(width=4, steps=2, **{"validation": 0.1, **params})
    with pytest.raises(error, match=match):
        teacher.fit(noisy.X_train, noisy.y_train)


# -- the teacher's temperature -------------------------------------------------------


def test_compare_takes_the_teacher_temperature_unless_given(noisy):
    settings = dict(widths=[2, 8], seeds=1, steps=5, n_threads=1, dtype=np.float64)
    params = dict(width=32, steps=10, temperature=3.0, dtype=np.float64, n_threads=1)
    own = kdfast.compare(noisy, teacher="network", teacher_params=params, **settings)
    assert own.params["temperature"] == 3.0
    assert set(own.table.loc[own.table["mode"] == "soft", "temperature"]) == {3.0}
    explicit = kdfast.compare(noisy, teacher="network", teacher_params=params, temperature=3.0, **settings)
    np.testing.assert_array_equal(own.table["mean_loss"], explicit.table["mean_loss"])
    overridden = kdfast.compare(noisy, teacher="network", teacher_params=params, temperature=1.0, **settings)
    assert overridden.params["temperature"] == 1.0
    assert not np.array_equal(own.table["mean_loss"], overridden.table["mean_loss"])
    # A teacher without a temperature of its own gives soft labels at temperature 1.
    assert kdfast.compare(noisy, teacher="kernel", teacher_params={"steps": 5}, **settings).params["temperature"] == 1.0


def test_predict_proba_defaults_to_the_teacher_temperature(noisy):
    teacher = kdfast.NetworkTeacher(width=16, steps=10, temperature=4.0, n_threads=1).fit(noisy.X_train, noisy.y_train)
    f = teacher.logits(noisy.X_test)
    np.testing.assert_allclose(teacher.predict_proba(noisy.X_test), 1 / (1 + np.exp(-f / 4.0)), rtol=1e-12)
    np.testing.assert_allclose(teacher.predict_proba(noisy.X_test, temperature=1.0), 1 / (1 + np.exp(-f)), rtol=1e-12)


# -- sweeps that measure gamma ---------------------------------------------------------

MARGIN = dict(n_samples=256, seed=1, bounds=False)
SETTINGS = dict(teacher="kernel", teacher_params={"steps": 20}, widths=[1, 4], seeds=2, steps=10, n_threads=1)


@pytest.fixture(scope="module")
def levels():
    return {f"d={d}": ds.xor2(n=60, d=d, flip=0.2, n_test=40, seed=d) for d in (4, 8)}


@pytest.fixture(scope="module")
def measured(levels):
    return kdfast.sweep(levels, margin_params=MARGIN, **SETTINGS)


def test_gamma_column_is_the_margin_of_the_clean_labels(levels, measured):
    for name, data in levels.items():
        assert np.any(data.y_train != data.y_train_clean)
        expected = kdfast.margin(data.X_train, data.y_train_clean, **MARGIN)
        rows = measured.table[measured.table["dataset"] == name]
        assert set(rows["gamma"]) == {expected.gamma}
        assert set(rows["gamma_low"]) == {expected.gamma_ci[0]} and set(rows["gamma_high"]) == {expected.gamma_ci[1]}
        assert rows["gamma_upper_bound"].isna().all()  # bounds=False
        # On the noisy labels a flipped copy of a point makes the task inseparable: gamma = 0.
        with pytest.warns(UserWarning, match="same point but have opposite labels"):
            assert kdfast.margin(data.X_train, data.y_train, **MARGIN).gamma == 0
        assert expected.gamma > 0
    margins = measured.margins
    assert margins["dataset"].tolist() == list(levels)
    assert measured.difficulty("gamma") == dict(zip(margins["dataset"], margins["gamma"]))


def test_gamma_does_not_change_the_students(levels, measured):
    plain = kdfast.sweep(levels, **SETTINGS)
    assert plain.margins is None
    for name in levels:
        a, b = measured.comparisons[name].table, plain.comparisons[name].table
        np.testing.assert_array_equal(a["mean_loss"], b["mean_loss"])
    with pytest.raises(ValueError, match="x: this sweep did not measure gamma"):
        plain.difficulty("gamma")


def test_gamma_survives_saving(tmp_path, measured):
    measured.save(tmp_path / "sweep.csv")
    loaded = kdfast.load(tmp_path / "sweep.csv")
    np.testing.assert_array_equal(loaded.margins["gamma"], measured.margins["gamma"])


def test_gap_against_gamma_plot(tmp_path, measured):
    pytest.importorskip("matplotlib")
    figure = measured.plot(tmp_path / "gap.png", x="gamma", metrics="test_acc")
    assert (tmp_path / "gap.png").stat().st_size > 0
    ax = figure.axes[0]
    assert ax.get_xlabel() == "gamma"
    drawn = sorted({round(x, 12) for bars in ax.containers for x in bars.lines[0].get_xdata()})
    assert drawn == sorted(round(g, 12) for g in measured.margins["gamma"])


def test_gamma_argument_checks(levels):
    with pytest.raises(TypeError, match="gamma: expected True or False"):
        kdfast.sweep(levels, gamma="yes", **SETTINGS)
    with pytest.raises(TypeError, match="margin_params: expected a dict"):
        kdfast.sweep(levels, margin_params=[1], **SETTINGS)


def test_cli_sweep_prints_gamma(capsys, tmp_path):
    from kdfast.cli import main

    code = main(
        [
            "sweep",
            "--data",
            "xor2:n=60,n_test=40,flip=0.2",
            "--vary",
            "d=4,8",
            "--gamma",
            "--margin-samples",
            "256",
            "--margin-param",
            "bounds=false",
            "--widths",
            "1,4",
            "--seeds",
            "2",
            "--steps",
            "10",
            "--teacher-param",
            "steps=20",
            "--n-threads",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = ds.xor2(n=60, n_test=40, flip=0.2, d=8)
    expected = kdfast.margin(data.X_train, data.y_train_clean, n_samples=256, bounds=False)
    assert f"gamma = {expected.gamma:.5f}" in out


def test_noisy_versions_of_one_task_share_its_margin(monkeypatch):
    sweep_module = sys.modules["kdfast._sweep"]
    calls = []
    real = sweep_module.margin

    def counting(X, y, **kwargs):
        calls.append(len(y))
        return real(X, y, **kwargs)

    monkeypatch.setattr(sweep_module, "margin", counting)
    levels = {f"flip={f}": ds.xor2(n=50, d=4, flip=f, n_test=20, seed=0) for f in (0.0, 0.1, 0.3)}
    levels["other"] = ds.xor2(n=50, d=5, n_test=20, seed=0)
    result = kdfast.sweep(levels, margin_params=MARGIN, **{**SETTINGS, "steps": 2})
    assert len(calls) == 2
    gammas = result.difficulty("gamma")
    assert gammas["flip=0.0"] == gammas["flip=0.1"] == gammas["flip=0.3"] != gammas["other"]
