"""One projected gradient step against a PyTorch autograd implementation, in float64.

Both sides do float64 arithmetic in different orders, so they agree to a few
ulps; 1e-10 (relative to each column's scale, as in test_reference.py) is the
float64 tolerance used throughout the suite.
"""

import numpy as np
import pytest

import kdfast

torch = pytest.importorskip("torch")

TOL = 1e-10
WIDTHS = np.array([1, 3, 8, 2])
K = len(WIDTHS)


def torch_loss(W, a, X, P, tau):
    """Per-network loss (K,) with only torch ops: index_add_ for the per-network sums."""
    net = torch.repeat_interleave(torch.arange(K), torch.from_numpy(WIDTHS))
    scale = 1.0 / torch.sqrt(torch.from_numpy(WIDTHS).double())[net]
    H = torch.relu(X @ W.T) * (a * scale)  # torch's relu has derivative 0 at 0
    F = torch.zeros(X.shape[0], K, dtype=torch.float64).index_add_(1, net, H)
    u = F / tau
    logsig = torch.nn.functional.logsigmoid
    kl = torch.xlogy(P, P) + torch.xlogy(1 - P, 1 - P) - P * logsig(u) - (1 - P) * logsig(-u)
    return (tau**2 * kl).mean(dim=0)


def torch_pgd_step(W0, a, X, P, tau, lr, radius, projection):
    net = torch.repeat_interleave(torch.arange(K), torch.from_numpy(WIDTHS))
    W0 = torch.from_numpy(W0)
    W = W0.clone().requires_grad_(True)
    L = torch_loss(W, a, X, P, tau)
    L.sum().backward()  # networks are independent: d(sum L)/dW_k = dL_k/dW_k
    with torch.no_grad():
        diff = W - lr[net, None] * W.grad - W0
        if projection == "neuron":
            limit = radius[net] / torch.sqrt(torch.from_numpy(WIDTHS).double())[net]
            norm = diff.norm(dim=1)
        else:
            sq = torch.zeros(K, dtype=torch.float64).index_add_(0, net, (diff**2).sum(dim=1))
            limit, norm = radius[net], sq.sqrt()[net]
        factor = torch.clamp(limit / norm, max=1.0)
        W1 = W0 + diff * factor[:, None]
    return W1, L.detach(), bool(torch.any(factor < 1)), bool(torch.any(factor == 1))


def close(actual, desired, what):
    actual, desired = np.asarray(actual, np.float64), np.asarray(desired, np.float64)
    scale = np.max(np.abs(desired), axis=0, keepdims=True) if desired.ndim == 2 else 0.0
    np.testing.assert_array_less(np.abs(actual - desired), TOL * (np.abs(desired) + scale) + 1e-300, err_msg=what)


@pytest.mark.parametrize("projection", ["neuron", "network"])
def test_one_pgd_step_matches_torch(projection):
    rng = np.random.default_rng(0)
    n, d = 40, 5
    M = int(WIDTHS.sum())
    W0 = rng.normal(size=(M, d))
    a = rng.choice([-1.0, 1.0], size=M)
    X = rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = 1 / (1 + np.exp(-2 * X @ rng.normal(size=d)))
    tau = np.array([1.0, 0.5, 2.0, 3.0])
    lr = np.array([4.0, 2.0, 6.0, 1.0])
    radius = np.array([0.05, 0.2, np.inf, 1.0])

    bank = kdfast.StudentBank.from_arrays(W0, a, WIDTHS)
    hist = bank.fit(X, p, steps=1, lr=lr, radius=radius, projection=projection, temperature=tau)

    t = {name: torch.from_numpy(v) for name, v in dict(a=a, X=X, tau=tau, lr=lr, radius=radius).items()}
    P = torch.from_numpy(p)[:, None].expand(n, K)
    W1, L0, clipped, free = torch_pgd_step(W0, t["a"], t["X"], P, t["tau"], t["lr"], t["radius"], projection)
    assert clipped and free, "the step should be projected for some neurons and not others"
    L1 = torch_loss(W1, t["a"], t["X"], P, t["tau"])

    close(bank.W, W1.numpy(), "W after one step")
    close(hist.loss[0], L0.numpy(), "loss at W0")
    close(hist.final_loss, L1.numpy(), "loss after the step")
