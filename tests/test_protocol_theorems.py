"""The theorems' preset of kdfast.theory.Protocol: the radius and steps of the theorems, a cap, and lr <= 1."""

from pathlib import Path

import pandas as pd
import pytest

import kdfast
from kdfast import theory
from kdfast.cli import main

GAMMA, EPS, N, LR = 0.08, 0.03, 200, 0.7


def test_the_preset_by_hand():
    protocol = theory.Protocol.theorems(EPS, max_steps=10**9)
    # hard, gaussian start: lambda = (sqrt(2 ln(4 n / delta)) + ln(4 / eps)) / (gamma / 4)
    #   = (sqrt(2 ln 8000) + ln(133.33)) * 50 = (4.239622 + 4.892852) * 50 = 456.6237,
    # R = 4 lambda / gamma = 50 lambda = 22831.19, T = ceil(2 lambda^2 / (0.7 * 0.03)) = 19857639
    assert protocol.radius("hard", GAMMA, n=N) == pytest.approx(22831.19, rel=1e-6)
    assert protocol.steps("hard", LR, GAMMA, n=N) == 19857639
    # symmetric start: no sqrt term, lambda = 50 * 4.892852 = 244.6426, R = 12232.13, T = ceil(5700000.77)
    assert protocol.radius("hard", GAMMA, n=N, init="symmetric") == pytest.approx(12232.13, rel=1e-6)
    assert protocol.steps("hard", LR, GAMMA, n=N, init="symmetric") == 5700001
    # soft: R = 1 / gamma = 12.5, T = ceil(12.5^2 / 0.021) = ceil(7440.48) = 7441; n plays no part
    assert protocol.radius("soft", GAMMA) == 12.5
    assert protocol.steps("soft", LR, GAMMA) == 7441
    # the cap, by default 100,000
    capped = theory.Protocol.theorems(EPS, gamma=GAMMA)
    assert capped.max_steps == 100_000
    assert capped.steps("hard", LR, n=N) == 100_000 and capped.steps("soft", LR) == 7441


@pytest.mark.parametrize("init", ["gaussian", "symmetric"])
@pytest.mark.parametrize(("gamma", "eps", "n", "delta", "lr"), [(0.3, 0.1, 10, 0.1, 1.0), (0.01, 0.5, 5000, 0.3, 0.05)])
def test_the_preset_is_the_theorems_functions(gamma, eps, n, delta, lr, init):
    protocol = theory.Protocol.theorems(eps, delta=delta, max_steps=2**62)
    hard = theory.hard_label_theorem(gamma, eps, n, delta, lr, init=init)
    soft = theory.soft_label_theorem(gamma, eps, lr)
    assert protocol.radius("hard", gamma, n=n, init=init) == hard.radius
    assert protocol.steps("hard", lr, gamma, n=n, init=init) == hard.steps
    assert (protocol.radius("soft", gamma), protocol.steps("soft", lr, gamma)) == (soft.radius, soft.steps)


def test_the_orders_rule_is_unchanged():
    protocol = theory.Protocol(eps=0.1, radius_constant=0.5, steps_constant=2.0, gamma=0.2)
    assert protocol.rule == "orders"
    # R = 0.5 ln(10) / 0.2 = 5.756463, T = ceil(2 R^2 / (4 * 0.1)) = ceil(165.6842)
    assert protocol.radius("hard") == pytest.approx(5.756463, rel=1e-6)
    assert protocol.steps("hard", 4.0) == 166
    assert protocol.radius("hard", n=10, init="symmetric") == protocol.radius("hard")  # neither plays a part


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: theory.Protocol.theorems(0.1).steps("soft", 2.0, 0.1),
            "lr: the theorem needs a step size eta <= 1, got 2.0",
        ),
        (lambda: theory.Protocol.theorems(0.1).check_lr(1.5), "lr: the theorem needs a step size eta <= 1"),
        (lambda: theory.Protocol.theorems(0.1).radius("hard", 0.1), "n: rule='theorems' needs the number of training"),
        (lambda: theory.Protocol(eps=0.1, rule="theorems"), "max_steps: rule='theorems' needs a cap on the steps"),
        (lambda: theory.Protocol.theorems(0.1, max_steps=None), "max_steps: rule='theorems' needs a cap"),
        (lambda: theory.Protocol.theorems(0.1, max_steps=0), "max_steps: expected None or an integer >= 1, got 0"),
        (lambda: theory.Protocol.theorems(0.1, delta=0.5), r"delta: must lie in the open interval \(0, 0.333333\)"),
        (lambda: theory.Protocol(eps=0.1, rule="exact"), "rule: expected one of 'orders', 'theorems', got 'exact'"),
        (
            lambda: theory.Protocol(eps=0.1, delta=0.2),
            r"delta: not used by rule='orders'; leave it at its default \(0.1\)",
        ),
        (
            lambda: theory.Protocol(eps=0.1, rule="theorems", max_steps=10, steps_constant=2.0),
            "steps_constant: not used by rule='theorems'",
        ),
        (lambda: theory.Protocol.theorems(1.0), r"eps: must lie in the open interval \(0, 1\)"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_orders_rule_takes_any_step_size():
    assert theory.Protocol(eps=0.1).check_lr(8.0) == 8.0


@pytest.fixture(scope="module")
def data():
    return kdfast.datasets.planted(n=40, d=4, gamma=0.05, n_test=20, seed=1)


def test_compare_under_the_preset(data):
    # eps = gamma = 0.5: the soft students' T = ceil(2^2 / 0.5) = 8, the hard ones' far beyond the cap of 20
    protocol = theory.Protocol.theorems(0.5, gamma=0.5, max_steps=20)
    for init in ("gaussian", "symmetric"):
        result = kdfast.compare(data, widths=[2, 4], seeds=1, lr=1.0, init=init, protocol=protocol, n_threads=1)
        table = result.table
        for mode, steps in (("soft", 8), ("hard", 20)):
            rows = table[table["mode"] == mode]
            assert (rows["steps"] == steps).all()
            assert (rows["radius"] == protocol.radius(mode, n=data.n_train, init=init)).all()
        assert result.params["protocol"]["rule"] == "theorems"
        assert "protocol (the theorems' formulas) eps 0.5 at gamma 0.5: soft 8 steps" in result.report(0.5)
    # the default lr (8) is refused before any training
    with pytest.raises(ValueError, match="lr: the theorem needs a step size eta <= 1, got 8.0"):
        kdfast.compare(data, widths=[2], protocol=protocol)


def test_the_command_line(data, tmp_path, capsys):
    out = tmp_path / "run"
    spec = "planted:n=40,d=4,gamma=0.05,n_test=20,seed=1"
    argv = [
        "compare",
        "--data",
        spec,
        "--widths",
        "2",
        "--seeds",
        "1",
        "--lr",
        "1",
        "--n-threads",
        "1",
        "--protocol",
        "rule=theorems,eps=0.5,gamma=0.5,max_steps=20",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    table = pd.read_csv(out / "table.csv")
    assert sorted(zip(table["mode"], table["steps"])) == [("hard", 20), ("soft", 8)]
    assert main(["compare", "--data", spec, "--protocol", "rule=theorems,eps=0.1"]) == 2
    assert "max_steps: rule='theorems' needs a cap" in capsys.readouterr().err
    # kdfast margin shows what each preset sets at the measured gamma
    assert main(["margin", "--data", spec, "--n-samples", "256", "--eps", "0.1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    gamma = kdfast.margin(data.X_train, data.y_train_clean, n_samples=256).gamma  # the command's, to the bit
    theorems = theory.Protocol.theorems(0.1)
    row = next(line for line in lines if "rule=theorems" in line)
    for kind in ("soft", "hard"):
        radius, steps = theorems.radius(kind, gamma, n=40), theorems.steps(kind, 1.0, gamma, n=40)
        assert f"{kind} radius {radius:.3g}, steps {steps}" in row


def test_the_guides_table_is_what_the_presets_set():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "guide" / "regime-map.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2:6] for line in guide.splitlines() if "| `Protocol" in line}
    presets = {
        "`Protocol(eps=0.1)`": theory.Protocol(eps=0.1),
        "`Protocol.theorems(0.1)`": theory.Protocol.theorems(0.1),
    }
    assert rows.keys() == presets.keys()
    for name, protocol in presets.items():
        soft_r, soft_t, hard_r, hard_t = (cell.split()[0] for cell in rows[name])
        for kind, radius, steps in (("soft", soft_r, soft_t), ("hard", hard_r, hard_t)):
            assert float(radius) == pytest.approx(protocol.radius(kind, 0.1, n=200), rel=5e-4)  # 4 digits shown
            assert int(steps) == protocol.steps(kind, 1.0, 0.1, n=200)
    uncapped = theory.hard_label_theorem(0.1, 0.1, 200).steps
    assert f"(of {uncapped:.0f})" in guide
