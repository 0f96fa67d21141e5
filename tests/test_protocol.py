"""compare(..., protocol=...) and init="symmetric" through the experiment layer."""

import numpy as np
import pytest

import kdfast
from kdfast import experiments, theory

WIDTHS, SEEDS, LR = [2, 6, 16], 2, 4.0


@pytest.fixture(scope="module")
def data():
    return kdfast.datasets.xor2(n=60, d=4, n_test=40, seed=1)


@pytest.fixture(scope="module")
def protocol():
    return theory.Protocol(eps=0.1, radius_constant=0.5, soft_radius_constant=0.4, steps_constant=0.1, gamma=0.15)


@pytest.fixture(scope="module")
def result(data, protocol):
    return kdfast.compare(
        data, widths=WIDTHS, seeds=SEEDS, lr=LR, init="symmetric", protocol=protocol, record_every=3, n_threads=1
    )


def test_radius_and_steps_per_network(result, protocol):
    table = result.table
    for mode in ("soft", "hard"):
        rows = table[table["mode"] == mode]
        assert (rows["radius"] == protocol.radius(mode)).all()
        assert (rows["steps"] == protocol.steps(mode, LR)).all()
        assert (rows["init"] == "symmetric").all()
        assert (rows["max_drift"] <= protocol.radius(mode) * (1 + 1e-6)).all()
        assert result.curves[result.curves["mode"] == mode]["step"].max() == protocol.steps(mode, LR)
    assert protocol.steps("soft", LR) != protocol.steps("hard", LR)  # the two stages are exercised
    assert result.params["protocol"]["steps"] == {m: protocol.steps(m, LR) for m in ("soft", "hard")}


def test_each_network_as_if_trained_alone(data, result, protocol):
    """A student's row equals the same network fitted alone for its own steps and radius."""
    from kdfast._replicate import _sigmoid

    teacher = kdfast.KernelTeacher().fit(data.X_train, data.y_train)
    soft = _sigmoid(teacher.logits(data.X_train))
    agreement_sign = np.sign(teacher.logits(data.X_test))
    for mode, target in (("soft", soft), ("hard", data.y_train)):
        bank = kdfast.StudentBank(data.d, WIDTHS, seeds=range(SEEDS), init="symmetric")
        history = bank.fit(
            data.X_train,
            target,
            steps=protocol.steps(mode, LR),
            lr=LR,
            radius=protocol.radius(mode),
            y=data.y_train,
            n_threads=1,
        )
        rows = result.table[result.table["mode"] == mode].sort_values(["seed", "width"])
        np.testing.assert_allclose(rows["mean_loss"], history.mean_loss, rtol=1e-12)
        np.testing.assert_array_equal(rows["final_loss"], history.final_loss)
        np.testing.assert_array_equal(rows["train_acc"], history.train_acc[-1])
        np.testing.assert_array_equal(rows["max_drift"], history.max_drift)
        agreement = np.mean(np.sign(bank.logits(data.X_test)) == agreement_sign[:, None], axis=0)
        np.testing.assert_array_equal(rows["teacher_agreement"], agreement)


def test_gamma_measured_when_not_given(data):
    protocol = theory.Protocol(eps=0.2, steps_constant=0.05)
    result = kdfast.compare(data, widths=[2, 4], seeds=1, protocol=protocol, n_threads=1)
    gamma = kdfast.margin(data.X_train, data.y_train_clean, n_threads=1).gamma
    assert result.params["protocol"]["gamma"] == gamma
    assert (result.table.loc[result.table["mode"] == "hard", "radius"] == protocol.radius("hard", gamma)).all()
    # a sweep that measures gamma hands its own value to the protocol
    swept = kdfast.sweep({"a": data}, gamma=True, widths=[2, 4], seeds=1, protocol=protocol, n_threads=1)
    comparison = swept.comparisons["a"]
    assert comparison.params["protocol"]["gamma"] == comparison.params["margin"]["gamma"]


def test_bad_input(data, protocol):
    with pytest.raises(ValueError, match=r"widths: init='symmetric' needs even widths.*\[3\]"):
        kdfast.compare(data, widths=[2, 3], init="symmetric")
    with pytest.raises(ValueError, match="init: expected"):
        kdfast.compare(data, widths=[2], init="zero")
    with pytest.raises(ValueError, match="radius: set by the protocol"):
        kdfast.compare(data, widths=[2], radius=1.0, protocol=protocol)
    with pytest.raises(TypeError, match="protocol: expected a kdfast.theory.Protocol"):
        kdfast.compare(data, widths=[2], protocol={"eps": 0.1})


def test_steps_and_a_protocol_do_not_mix(data, protocol):
    # the protocol sets each student's steps: a number of steps next to it would be ignored, so it is refused,
    # the kdfast default included (steps=None is "not given", not 1000)
    for steps in (10, experiments.STEPS, 0):
        with pytest.raises(ValueError, match="steps: set by the protocol; give one or the other"):
            kdfast.compare(data, widths=[2], steps=steps, protocol=protocol)
    plain = kdfast.compare(data, widths=[2], seeds=1, teacher_params={"steps": 1}, n_threads=1)
    assert plain.params["steps"] == experiments.STEPS and (plain.table["steps"] == experiments.STEPS).all()


def test_curves_have_about_a_hundred_points_under_a_protocol(data):
    # the default record interval follows the protocol's longest run, not the default number of steps
    protocol = theory.Protocol(eps=0.1, steps_constant=2.0, gamma=0.15)
    longest = max(protocol.steps(mode, LR) for mode in ("soft", "hard"))
    result = kdfast.compare(data, widths=[2], seeds=1, lr=LR, protocol=protocol, n_threads=1)
    assert longest > 200 and result.params["record_every"] == longest // 100
    assert 100 <= result.curves["step"].nunique() <= 110  # (the soft students' stop adds its own record)


def test_network_teacher_and_cli_take_init(data, tmp_path):
    teacher = kdfast.NetworkTeacher(width=8, steps=0, init="symmetric").fit(data.X_train, data.y_train)
    assert np.all(teacher.logits(data.X_test) == 0.0)
    from kdfast.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "compare",
                "--data",
                "xor2:n=40,d=4,n_test=20",
                "--widths",
                "2,4",
                "--seeds",
                "1",
                "--steps",
                "3",
                "--init",
                "symmetric",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    import pandas as pd

    assert (pd.read_csv(out / "table.csv")["init"] == "symmetric").all()
