"""The deep students' losses against hand computations and torch.nn.functional.

Everything runs in float64, where two orders of the same sums agree to a
few ulps: 1e-12 relative is far above that and far below any real error.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional
losses = pytest.importorskip("kdfast.deep.losses")

TOL = dict(rtol=1e-12, atol=1e-14)


def _log_softmax(row):
    top = max(row)
    return [v - top - math.log(sum(math.exp(u - top) for u in row)) for v in row]


def test_hard_loss_is_the_cross_entropy_by_hand_and_by_torch():
    s = torch.tensor([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0], [-3.0, 4.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([0, 2, 1])
    by_hand = np.mean([-_log_softmax(row)[label] for row, label in zip(s.tolist(), y.tolist())])
    assert losses.hard_loss(s, y).item() == pytest.approx(by_hand, rel=1e-12)
    torch.testing.assert_close(losses.hard_loss(s, y), F.cross_entropy(s, y), **TOL)


@pytest.mark.parametrize("tau", [1.0, 3.0])
def test_soft_loss_is_tau_squared_kl_by_hand_and_by_torch(tau):
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 4, generator=g, dtype=torch.float64) * 2
    t = torch.randn(5, 4, generator=g, dtype=torch.float64) * 2
    by_hand = 0.0
    for srow, trow in zip(s.tolist(), t.tolist()):
        log_p = _log_softmax([v / tau for v in trow])
        log_q = _log_softmax([v / tau for v in srow])
        by_hand += sum(math.exp(lp) * (lp - lq) for lp, lq in zip(log_p, log_q))
    by_hand *= tau**2 / 5
    assert losses.soft_loss(s, t, tau).item() == pytest.approx(by_hand, rel=1e-12)
    reference = tau**2 * F.kl_div(
        F.log_softmax(s / tau, -1), F.log_softmax(t / tau, -1), reduction="batchmean", log_target=True
    )
    torch.testing.assert_close(losses.soft_loss(s, t, tau), reference, **TOL)


def test_soft_loss_is_zero_at_the_teacher_and_finite_where_its_probabilities_underflow():
    t = torch.tensor([[1000.0, -1000.0, 0.0]], dtype=torch.float32)  # softmax: (1, 0, 0) in float32
    assert losses.soft_loss(t, t, 2.0).item() == 0.0
    s = torch.tensor([[0.0, 0.0, 0.0]])
    # p = (1, 0, 0): the KL is -log q_0 = log 3, times tau^2.
    assert losses.soft_loss(s, t, 2.0).item() == pytest.approx(4 * math.log(3), rel=1e-6)


def test_two_classes_give_the_binary_loss_of_the_two_layer_contract():
    # tau^2 KL(Bern(p) || Bern(sigmoid(f / tau))) with f, the teacher's f_T the logit differences.
    s = torch.tensor([[0.3, 1.5], [2.0, -1.0]], dtype=torch.float64)
    t = torch.tensor([[1.0, -0.5], [0.0, 0.2]], dtype=torch.float64)
    tau = 2.0
    f, f_t = (s[:, 1] - s[:, 0]).numpy(), (t[:, 1] - t[:, 0]).numpy()
    p, q = 1 / (1 + np.exp(-f_t / tau)), 1 / (1 + np.exp(-f / tau))
    binary = tau**2 * np.mean(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)))
    assert losses.soft_loss(s, t, tau).item() == pytest.approx(binary, rel=1e-12)
    y = torch.tensor([1, 0])
    logistic = np.mean(np.log1p(np.exp(-np.where(y.numpy() == 1, 1, -1) * f)))
    assert losses.hard_loss(s, y).item() == pytest.approx(logistic, rel=1e-12)


def test_mixed_loss_weighs_soft_and_hard():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(6, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    soft, hard = losses.soft_loss(s, t, 2.0), losses.hard_loss(s, y)
    torch.testing.assert_close(losses.distillation_loss(s, y, t, 2.0, 0.25), 0.25 * soft + 0.75 * hard, **TOL)
    torch.testing.assert_close(losses.distillation_loss(s, y, t, 2.0, 1.0), soft, **TOL)
    torch.testing.assert_close(losses.distillation_loss(s, y, t, 2.0, 0.0), hard, **TOL)


def test_a_stack_gets_one_loss_per_model_with_its_own_temperature_and_alpha():
    g = torch.Generator().manual_seed(2)
    s, t = (
        torch.randn(3, 5, 4, generator=g, dtype=torch.float64),
        torch.randn(3, 5, 4, generator=g, dtype=torch.float64),
    )
    y = torch.randint(0, 4, (3, 5), generator=g)
    tau, alpha = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64), torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    stacked = losses.distillation_loss(s, y, t, tau, alpha)
    assert stacked.shape == (3,)
    each = torch.stack([losses.distillation_loss(s[k], y[k], t[k], tau[k].item(), alpha[k].item()) for k in range(3)])
    torch.testing.assert_close(stacked, each, **TOL)


def test_bad_arguments_are_named():
    s, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="labels"):
        losses.hard_loss(s, torch.zeros(5, dtype=torch.int64))
    with pytest.raises(ValueError, match="teacher_logits"):
        losses.soft_loss(s, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="temperature"):
        losses.soft_loss(s, s, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        losses.distillation_loss(s, y, s, 1.0, 1.5)
    with pytest.raises(ValueError, match="temperature"):
        losses.soft_loss(s.expand(2, 4, 3), s.expand(2, 4, 3), torch.ones(3))
    with pytest.raises(ValueError, match="logits"):
        losses.hard_loss(torch.zeros(4, dtype=torch.int64), y)
