"""kdfast.theory: the theorems' own parameters and the protocol that runs their regime."""

import math

import numpy as np
import pytest

from kdfast import theory


def test_hard_label_theorem_by_hand():
    # gamma = 0.5, eps = 0.1, n = 10, delta = 0.1, eta = 0.5:
    # lambda = (sqrt(2 ln 400) + ln 40) / (0.5 / 4) = (3.461640 + 3.688879) * 8 = 57.20413
    # M = 4096 lambda^2 / 0.5^6 = 8.578e8, T = ceil(2 lambda^2 / 0.05) = 130,893, radius = 4 lambda / 0.5
    p = theory.hard_label_theorem(0.5, 0.1, 10, 0.1, lr=0.5)
    assert p.kind == "hard" and "Ji & Telgarsky" in p.source
    assert p.lam == pytest.approx(57.204129754548056, rel=1e-12)
    assert p.width == pytest.approx(857817077.769875, rel=1e-12)
    assert p.steps == 130893.0
    assert p.radius == pytest.approx(457.63303803638445, rel=1e-12)
    # symmetric start: no initial-output term, lambda = 8 ln 40
    s = theory.hard_label_theorem(0.5, 0.1, 10, 0.1, lr=0.5, init="symmetric")
    assert s.lam == pytest.approx(29.51103563291149, rel=1e-12)
    assert s.width == pytest.approx(228301530.49754086, rel=1e-12)
    assert s.steps == 34837.0
    # the constants are parameters: each enters as a plain factor
    c = theory.hard_label_theorem(
        0.5, 0.1, 10, 0.1, lr=0.5, lam_constant=2.0, width_constant=1.0, steps_constant=1.0, radius_constant=1.0
    )
    assert c.lam == pytest.approx(p.lam / 2, rel=1e-12)
    assert c.width == pytest.approx(p.width / 4096 / 4, rel=1e-12)
    assert c.steps == math.ceil(c.lam**2 / 0.05)
    assert c.radius == pytest.approx(c.lam / 0.5, rel=1e-12)


def test_soft_label_theorem_by_hand():
    p = theory.soft_label_theorem(0.2, 0.05, lr=2.0, C=3.0, radius_constant=0.5, steps_constant=4.0)
    assert p.kind == "soft"
    assert p.width == pytest.approx(3.0 / (0.04 * 0.05), rel=1e-12)  # 1500
    assert p.radius == pytest.approx(2.5, rel=1e-12) and p.lam == p.radius
    assert p.steps == math.ceil(4.0 * 6.25 / (2.0 * 0.05))  # 250


@pytest.mark.parametrize("which", ["hard", "soft"])
def test_monotone_in_gamma_eps_n_delta(which):
    def width(gamma=0.1, eps=0.1, n=100, delta=0.1):
        if which == "hard":
            return theory.hard_label_theorem(gamma, eps, n, delta)
        return theory.soft_label_theorem(gamma, eps)

    base = width()
    for smaller in (width(gamma=0.05), width(eps=0.01)):
        assert smaller.width > base.width and smaller.steps > base.steps
    if which == "hard":
        assert width(n=10_000).width > base.width and width(delta=0.01).width > base.width
        assert width(gamma=0.05).radius > base.radius and width(eps=0.01).radius > base.radius
    else:
        assert width(gamma=0.05).radius > base.radius and width(eps=0.01).radius == base.radius


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: theory.hard_label_theorem(0.0, 0.1, 10), "gamma: must be > 0"),
        (lambda: theory.hard_label_theorem(0.1, 1.5, 10), r"eps: must lie in the open interval \(0, 1\)"),
        (lambda: theory.hard_label_theorem(0.1, 0.1, 0), "n: expected a positive number"),
        (
            lambda: theory.hard_label_theorem(0.1, 0.1, 10, delta=0.4),
            r"delta: must lie in the open interval \(0, 0.333333\)",
        ),
        (lambda: theory.hard_label_theorem(0.1, 0.1, 10, lr=2.0), "lr: the theorem needs a step size eta <= 1"),
        (lambda: theory.hard_label_theorem(0.1, 0.1, 10, init="normal"), "init: expected"),
        (lambda: theory.soft_label_theorem(0.1, 0.1, C=-1.0), "C: must be > 0"),
        (lambda: theory.Protocol(eps=0.0), "eps: must lie"),
        (lambda: theory.Protocol(eps=0.1, max_steps=0), "max_steps: expected None or an integer >= 1"),
        (lambda: theory.Protocol(eps=0.1).radius("hard"), "gamma: the protocol has no margin"),
        (lambda: theory.Protocol(eps=0.1, gamma=0.1).radius("both"), "kind: expected one of 'soft', 'hard'"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_protocol_radius_and_steps():
    protocol = theory.Protocol(eps=0.1, radius_constant=0.5, soft_radius_constant=2.0, steps_constant=0.25, gamma=0.2)
    hard = 0.5 * math.log(10.0) / 0.2  # 5.7565
    assert protocol.radius("hard") == pytest.approx(hard, rel=1e-12)
    assert protocol.radius("soft") == pytest.approx(10.0, rel=1e-12)
    assert protocol.steps("hard", lr=4.0) == math.ceil(0.25 * hard**2 / 0.4)  # 21
    assert protocol.steps("soft", lr=4.0) == math.ceil(0.25 * 100.0 / 0.4)  # 63
    # an explicit gamma overrides the protocol's; R ~ 1/gamma, T ~ 1/gamma^2
    assert protocol.radius("soft", gamma=0.1) == pytest.approx(20.0, rel=1e-12)
    assert protocol.steps("soft", lr=4.0, gamma=0.1) == math.ceil(0.25 * 400.0 / 0.4)
    capped = theory.Protocol(eps=0.1, gamma=0.01, max_steps=1000)
    assert capped.steps("hard", lr=1.0) == 1000
    # the soft radius constant defaults to the hard one
    assert theory.Protocol(eps=0.1, radius_constant=3.0, gamma=0.5).radius("soft") == pytest.approx(6.0)
    assert np.isfinite(theory.Protocol(eps=0.5, gamma=1.0).steps("hard", 1.0))
