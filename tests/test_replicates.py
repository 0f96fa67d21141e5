"""compare's design axes: replicates over the data, several teachers and temperatures in one call,
a validation share with early-stopped accuracy; bootstrap intervals and neurons needed for an accuracy."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import kdfast
from kdfast import datasets as ds
from kdfast.comparison import Comparison

FIT = dict(widths=[1, 4], seeds=2, steps=30, record_every=5, n_threads=1)
KERNEL = kdfast.KernelTeacher(steps=40)
KEYS = ["mode", "teacher", "temperature", "width", "seed"]
RESULTS = ["mean_loss", "final_loss", "train_acc", "test_loss", "test_acc", "teacher_agreement", "max_drift"]


@pytest.fixture(scope="module")
def data():
    return ds.gaussians(n=80, d=6, separation=1.5, flip=0.2, n_test=60, seed=4)


@pytest.fixture(scope="module")
def replicated(data):
    return kdfast.compare(data, teacher=KERNEL, replicates=3, **FIT)


def rows(table: pd.DataFrame, **where) -> pd.DataFrame:
    for column, value in where.items():
        table = table[table[column] == value]
    return table.sort_values(KEYS, na_position="first").reset_index(drop=True)


# -- replicates ------------------------------------------------------------------


def test_replicate_r_is_the_comparison_on_the_redrawn_data(data, replicated):
    """Replicate r trains the same students on data.redraw(seed + r); replicate 0 is `data` itself."""
    assert sorted(replicated.table["replicate"].unique()) == [0, 1, 2]
    for r in range(3):
        alone = kdfast.compare(data.redraw(4 + r), teacher=KERNEL, **FIT)
        mine = rows(replicated.table, replicate=r)
        assert (mine["data_seed"] == 4 + r).all()
        pd.testing.assert_frame_equal(mine[RESULTS], rows(alone.table)[RESULTS])


def test_replicates_redraw_the_data_and_keep_the_students_starts(data, replicated):
    """Different splits and flips per replicate; the same initial weights (checked at step 0)."""
    draws = [data.redraw(4 + r) for r in range(3)]
    for a, b in itertools.combinations(draws, 2):
        assert not np.array_equal(a.X_train, b.X_train)
        assert not np.array_equal(a.y_train != a.y_train_clean, b.y_train != b.y_train_clean)
    still = kdfast.compare(data, teacher=KERNEL, replicates=3, **{**FIT, "steps": 0})
    for r, draw in enumerate(draws):
        hard = rows(still.table, replicate=r, mode="hard")
        for row in hard.itertuples():
            # The width-m network of seed s: neurons 0..m-1 of stream s, whatever the replicate.
            start = kdfast.StudentBank(draw.d, [row.width], seeds=[row.seed]).logits(draw.X_test)[:, 0]
            assert row.test_acc == np.mean(np.sign(start) == draw.y_test)


def test_a_replicate_gives_the_same_results_every_time(data, replicated):
    again = kdfast.compare(data, teacher=KERNEL, replicates=3, **FIT)
    pd.testing.assert_frame_equal(again.table, replicated.table)


def test_replicates_reseed_a_teacher_with_a_seed():
    data = ds.gaussians(n=60, d=4, separation=2, n_test=30)
    result = kdfast.compare(data, teacher=kdfast.NetworkTeacher(width=8, steps=5, seed=3), replicates=2, **FIT)
    described = [p["teachers"]["NetworkTeacher"]["teacher"] for p in result.params["replicate_params"]]
    assert "seed=3" in described[0] and "seed=4" in described[1]


def test_data_from_arrays_cannot_be_replicated():
    data = ds.from_arrays(np.eye(4), [1, -1, 1, -1])
    with pytest.raises(kdfast.InputError, match="^data: arrays given by from_arrays cannot be redrawn"):
        kdfast.compare(data, replicates=2, **FIT)


# -- several teachers and temperatures in one call ---------------------------------


def test_temperatures_in_one_call_equal_separate_calls(data):
    both = kdfast.compare(data, teacher=KERNEL, temperature=[1, 4], **FIT)
    assert sorted(both.table["temperature"].unique()) == [1.0, 4.0]
    for tau in (1.0, 4.0):
        alone = kdfast.compare(data, teacher=KERNEL, temperature=tau, **FIT)
        for mode in ("soft", "hard"):
            mine = rows(both.table, mode=mode) if mode == "hard" else rows(both.table, temperature=tau, mode=mode)
            pd.testing.assert_frame_equal(mine[RESULTS], rows(alone.table, mode=mode)[RESULTS])


def test_teachers_in_one_call_equal_separate_calls(data):
    network = kdfast.NetworkTeacher(width=16, steps=20)
    both = kdfast.compare(data, teacher={"k": KERNEL, "n": network}, **FIT)
    assert set(both.table.loc[both.table["mode"] == "soft", "teacher"]) == {"k", "n"}
    assert both.table.loc[both.table["mode"] == "hard", "teacher"].isna().all()
    for name, teacher in (("k", KERNEL), ("n", network)):
        alone = kdfast.compare(data, teacher=teacher, **FIT)
        mine = rows(both.table, teacher=name)
        pd.testing.assert_frame_equal(mine[RESULTS], rows(alone.table, mode="soft")[RESULTS])
        assert (mine["teacher_test_acc"] == alone.params["teacher_test_acc"]).all()
    # Several teachers: a hard student has no one teacher to agree with.
    assert both.table.loc[both.table["mode"] == "hard", "teacher_agreement"].isna().all()


def test_the_table_reports_each_teachers_quality(data):
    result = kdfast.compare(data, teacher=KERNEL, **FIT)
    teacher = result.teacher
    f = teacher.logits(data.X_train)
    flipped = data.y_train != data.y_train_clean
    soft = result.table[result.table["mode"] == "soft"]
    assert (soft["teacher_train_agreement"] == np.mean(np.sign(f) == data.y_train)).all()
    assert (soft["teacher_flipped_fit"] == np.mean(np.sign(f[flipped]) == data.y_train[flipped])).all()
    assert (soft["teacher_test_acc"] == np.mean(np.sign(teacher.logits(data.X_test)) == data.y_test)).all()
    summary = result.summary("test_acc")
    hard = result.table[result.table["mode"] == "hard"].groupby("width")["test_acc"].mean()
    expected = soft["teacher_test_acc"].iloc[0] - hard.loc[summary["width"]].to_numpy()
    np.testing.assert_allclose(summary["teacher_advantage"], expected)


def test_flipped_fit_is_the_share_of_flipped_labels_a_student_fits(data):
    result = kdfast.compare(data, teacher=KERNEL, widths=[4], seeds=[0], steps=30, n_threads=1)
    bank = kdfast.StudentBank(data.d, [4], seeds=[0])
    bank.fit(data.X_train, data.y_train, steps=30, lr=result.params["lr"], y=data.y_train)
    flipped = data.y_train != data.y_train_clean
    F = bank.logits(data.X_train[flipped])[:, 0]
    hard = result.table[result.table["mode"] == "hard"].iloc[0]
    assert hard["flipped_fit"] == np.mean(np.sign(F) == data.y_train[flipped])


# -- validation and early stopping --------------------------------------------------


def test_validation_holds_out_training_rows_only_and_early_stops_on_them(data):
    result = kdfast.compare(data, teacher=KERNEL, validation=0.25, **FIT)
    p = result.params
    assert p["n_train"] + p["n_validation"] == data.n_train and p["n_validation"] == 20
    assert p["n_test"] == data.n_test  # the test set is never touched
    curves = result.curves
    for row in result.table.itertuples():
        curve = curves[
            (curves["mode"] == row.mode)
            & (curves["width"] == row.width)
            & (curves["seed"] == row.seed)
            & (curves["temperature"] == row.temperature)
        ]
        best = curve["val_acc"].to_numpy().argmax()  # the first of the best
        assert row.best_step == curve["step"].iloc[best] and row.val_acc == curve["val_acc"].max()
        assert row.test_acc_early == curve["test_acc"].iloc[best]
        assert row.test_acc == curve["test_acc"].iloc[-1]


def test_validation_rows_are_stratified_and_teachers_do_not_see_them(data):
    result = kdfast.compare(data, teacher=KERNEL, validation=0.25, **FIT)
    seen = result.teacher.X_train_
    assert seen.shape[0] == 60
    held = np.array([not (seen == x).all(axis=1).any() for x in data.X_train])
    assert held.sum() == 20
    assert abs(np.mean(data.y_train[held] > 0) - np.mean(data.y_train > 0)) <= 1 / 20


# -- intervals and neurons needed ----------------------------------------------------


def hand_table(soft: dict, hard: dict, widths=(1, 2, 4, 8), teacher_acc=None) -> Comparison:
    """A comparison whose test_acc per (replicate, seed) is given: {replicate: [[per width] per seed]}."""
    frames = []
    for mode, values in (("soft", soft), ("hard", hard)):
        for r, seeds in values.items():
            for s, accs in enumerate(seeds):
                frames.append(
                    pd.DataFrame(
                        {
                            "dataset": "hand",
                            "replicate": r,
                            "mode": mode,
                            "teacher": "t" if mode == "soft" else None,
                            "temperature": 1.0,
                            "width": list(widths),
                            "seed": s,
                            "test_acc": accs,
                            "mean_loss": 0.1,
                            "teacher_test_acc": np.nan if teacher_acc is None or mode == "hard" else teacher_acc[r],
                        }
                    )
                )
    return Comparison(pd.concat(frames, ignore_index=True), None, {})


def exact_bootstrap_quantiles(values, probabilities):
    """Quantiles of the mean of a resample with replacement, from every ordered resample."""
    values = np.asarray(values)
    means = np.sort([values[list(idx)].mean() for idx in itertools.product(range(len(values)), repeat=len(values))])
    return [means[math.floor(p * (len(means) - 1))] for p in probabilities]


def test_gap_interval_of_three_replicates_spans_their_means():
    """With 3 replicates each extreme resample has probability 1/27 > 2.5%: the interval is [min, max]."""
    soft = {0: [[0.9] * 4, [0.8] * 4], 1: [[0.7] * 4, [0.7] * 4], 2: [[0.95] * 4, [0.85] * 4]}
    hard = {r: [[0.6] * 4, [0.6] * 4] for r in range(3)}
    summary = hand_table(soft, hard).summary("test_acc")
    replicate_gaps = [0.25, 0.1, 0.3]  # seeds averaged within a replicate
    for row in summary.itertuples():
        assert row.gap_low == pytest.approx(min(replicate_gaps)) and row.gap_high == pytest.approx(max(replicate_gaps))
        assert row.gap_mean == pytest.approx(np.mean(replicate_gaps)) and row.interval_over == "replicates"
        assert row.n_replicates == 3 and row.n_seeds == 2


def test_gap_interval_agrees_with_the_exact_bootstrap_distribution():
    """Six replicates: the Monte-Carlo percentile ends lie between the exact 1.5% and 3.5% (96.5%, 98.5%)
    quantiles; 9,999 resamples put a 2.5% quantile within about 0.3% of probability (2 sd of the binomial)."""
    gaps = [0.02, -0.01, 0.05, 0.03, 0.00, 0.08]
    soft = {r: [[0.6 + g] * 4] for r, g in enumerate(gaps)}
    hard = {r: [[0.6] * 4] for r in range(6)}
    row = hand_table(soft, hard).summary("test_acc").iloc[0]
    lo1, lo2, hi1, hi2 = exact_bootstrap_quantiles(gaps, [0.015, 0.035, 0.965, 0.985])
    assert lo1 - 1e-12 <= row.gap_low <= lo2 + 1e-12 and hi1 - 1e-12 <= row.gap_high <= hi2 + 1e-12


def test_one_replicate_gives_an_interval_over_seeds():
    soft = {0: [[0.7] * 4, [0.9] * 4, [0.8] * 4]}
    hard = {0: [[0.6] * 4] * 3}
    row = hand_table(soft, hard).summary("test_acc").iloc[0]
    assert row.interval_over == "seeds"
    assert row.gap_low == pytest.approx(0.1) and row.gap_high == pytest.approx(0.3)


def test_neurons_needed_for_an_accuracy_with_intervals():
    """Soft reaches 0.85 at width 2 on the mean curve, at width 4 when every resample is replicate 1;
    hard never reaches it at the mean (inf), but does at width 8 when two of three resampled are replicate 2."""
    soft = {0: [[0.5, 0.9, 0.95, 0.95]], 1: [[0.5, 0.8, 0.95, 0.95]], 2: [[0.5, 0.9, 0.95, 0.95]]}
    hard = {0: [[0.5, 0.6, 0.7, 0.8]], 1: [[0.5, 0.6, 0.7, 0.8]], 2: [[0.5, 0.6, 0.7, 0.9]]}
    row = hand_table(soft, hard).neurons_needed(acc=0.85).iloc[0]
    assert (row.soft, row.soft_low, row.soft_high) == (2, 2, 4)
    assert math.isinf(row.hard) and (row.hard_low, row.hard_high) == (8, math.inf)
    assert math.isinf(row.ratio) and row.ratio_low == 4 and math.isinf(row.ratio_high)  # 8 / 2: two of replicate 2
    assert row.soft_censored == "" and row.hard_censored == "above"
    assert hand_table(soft, hard).neurons_needed(acc=0.4).iloc[0].soft_censored == "floor"


def test_neurons_needed_relative_to_each_replicates_teacher():
    soft = {0: [[0.5, 0.8, 0.9, 0.95]], 1: [[0.5, 0.8, 0.9, 0.95]]}
    hard = {0: [[0.5, 0.6, 0.9, 0.95]], 1: [[0.5, 0.6, 0.9, 0.95]]}
    table = hand_table(soft, hard, teacher_acc={0: 0.91, 1: 0.81})
    row = table.neurons_needed(acc="teacher-0.01").iloc[0]  # targets 0.90 and 0.80: mean 0.85
    assert row.target == pytest.approx(0.85) and row.soft == 4 and row.hard == 4
    assert (row.soft_low, row.soft_high) == (2, 4)  # replicate 1 alone: 0.80, reached at width 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(acc="teach"), "^acc: expected an accuracy in"),
        (dict(acc=1.5), r"^acc: must lie in \[0, 1\], got 1.5"),
        (dict(target=0.1, acc=0.5), "^acc: give either target or acc"),
        (dict(acc=0.5, metric="mean_loss_x"), "^metric: "),
        (dict(), "^target: give a target"),
    ],
)
def test_neurons_needed_bad_input(kwargs, message):
    table = hand_table({0: [[0.5, 0.9, 0.9, 0.9]]}, {0: [[0.5, 0.6, 0.9, 0.9]]})
    with pytest.raises(kdfast.InputError, match=message):
        table.neurons_needed(**kwargs)


def test_the_loss_form_refuses_several_groups(data):
    result = kdfast.compare(data, teacher=KERNEL, temperature=[1, 2], **FIT)
    with pytest.raises(kdfast.InputError, match="^target: this comparison has 2 soft groups"):
        result.neurons_needed(0.1)
    assert "soft temperature 2" in result.report(0.1)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(replicates=0), "^replicates: must be >= 1"),
        (dict(replicates=1.5), "^replicates: "),
        (dict(validation=1.0), r"^validation: must lie in the open interval \(0, 1\), got 1.0"),
        (dict(validation=0), r"^validation: must lie in the open interval \(0, 1\), got 0"),
        (dict(temperature=[]), "^temperature: an empty sequence"),
        (dict(temperature=[1, 1.0]), "^temperature: every value must be different"),
        (dict(temperature=[1, -2]), "^temperature: must be > 0"),
        (dict(temperature="hot"), "^temperature: "),
        (dict(teacher={}), "^teacher: an empty dict"),
        (dict(teacher={"k": "kernel"}, teacher_params={"steps": 3}), "^teacher_params: only for a single teacher"),
        (dict(teacher={"a": np.zeros(80)}), "^teacher: 'a' is given as outputs"),
        (dict(teacher={1: "kernel"}), "^teacher: names must be non-empty strings"),
        (dict(teacher=np.zeros(80), replicates=2), "^replicates: a teacher given as arrays"),
        (dict(protocol=kdfast.theory.Protocol(eps=0.3, gamma=0.1), validation=0.1), "^validation: not with a protocol"),
    ],
)
def test_bad_design_input(data, kwargs, message):
    fit = {k: v for k, v in FIT.items() if not ("protocol" in kwargs and k == "steps")}
    with pytest.raises(kdfast.InputError, match=message):
        kdfast.compare(data, **{**fit, **kwargs})


# -- plots -----------------------------------------------------------------------------


def test_plots_draw_every_soft_group_and_the_map(data, tmp_path):
    pytest.importorskip("matplotlib")
    result = kdfast.compare(
        data, teacher={"k": KERNEL, "n": kdfast.NetworkTeacher(width=8, steps=5)}, temperature=[1, 4], **FIT
    )
    labels = [line.get_label() for line in result.plot(metrics="test_acc").axes[0].get_lines()]
    assert labels[:5] == ["soft: k, T = 1", "soft: k, T = 4", "soft: n, T = 1", "soft: n, T = 4", "hard labels"]
    sweep = kdfast.Sweep({"a": result.renamed("a"), "b": result.renamed("b")})
    with pytest.raises(kdfast.InputError, match="^kind: 'gap' draws one soft group, this sweep has 4"):
        sweep.plot(metrics="test_acc")
    figure = sweep.plot(tmp_path / "map.png", metrics="test_acc", kind="map")
    assert sum(bool(ax.images) for ax in figure.axes) == 4 and (tmp_path / "map.png").exists()
