"""Plain-NumPy float64 reference for the kdfast student contract (docs/contract.md, section 1).

Written from the specification only, independently of the C++ engine, so the
tests can compare the two. Everything here is float64 and vectorised over all
networks of a bank at once; nothing is tuned for speed.

Bank layout: K networks, M = sum of widths neurons packed contiguously, network
k owning rows offsets[k]:offsets[k+1]; networks are (seed, width) pairs with
seeds outer and widths inner.
"""

from types import SimpleNamespace

import numpy as np

MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------
# Initialisation: Philox4x64-10 + Box-Muller
# --------------------------------------------------------------------------


def philox_blocks(seed, domain, neuron, nblocks):
    """Blocks c = 0..nblocks-1 of philox4x64_10(counter=(c, neuron, 0, 0), key=(seed, domain)).

    numpy's Philox increments its 256-bit counter before producing a block,
    so start one below (0, neuron, 0, 0), i.e. at neuron * 2**64 - 1 mod 2**256.
    The words must be passed as a uint64 array: a list of Python ints above
    2**63 would be converted through float64 and lose bits.
    """
    start = ((neuron << 64) - 1) % (1 << 256)
    counter = np.array([(start >> (64 * i)) & MASK64 for i in range(4)], dtype=np.uint64)
    key = np.array([seed, domain], dtype=np.uint64)
    bitgen = np.random.Philox(key=key, counter=counter)
    return bitgen.random_raw(4 * nblocks).reshape(nblocks, 4)


def uniform_open(x):
    """u(x) = (x >> 11) * 2^-53 + 2^-54, in the open interval (0, 1)."""
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53 + 2.0**-54


def init_neuron(d, seed, neuron):
    """(w (d,), a) for neuron `neuron` of any network with seed `seed`."""
    nblocks = -(-d // 4)
    u = uniform_open(philox_blocks(seed, 0, neuron, nblocks))  # (nblocks, 4)
    r = np.sqrt(-2.0 * np.log(u[:, 0::2]))  # from x0 and x2
    theta = 2.0 * np.pi * u[:, 1::2]  # from x1 and x3
    z = np.empty((nblocks, 4))
    z[:, 0::2] = r * np.cos(theta)  # z0, z2
    z[:, 1::2] = r * np.sin(theta)  # z1, z3
    sign_word = philox_blocks(seed, 1, neuron, 1)[0, 0]
    a = -1.0 if sign_word >> np.uint64(63) else 1.0
    return z.reshape(-1)[:d], a


def init_network(d, width, seed, symmetric=False):
    """(W0 (width, d), a (width,)) of a width-`width` network with seed `seed`.

    symmetric: draws p = 0 .. width/2 - 1 each give the pair of neurons
    (w_p, a_p), (w_p, -a_p), in that order.
    """
    if symmetric:
        assert width % 2 == 0
        half = [init_neuron(d, seed, p) for p in range(width // 2)]
        rows = [(w, sign * a) for w, a in half for sign in (1.0, -1.0)]
    else:
        rows = [init_neuron(d, seed, j) for j in range(width)]
    return np.array([w for w, _ in rows]).reshape(width, d), np.array([a for _, a in rows])


def init_bank(d, widths, seeds, symmetric=False):
    """(W0 (M,d), a (M,), net_widths (K,), offsets (K+1,)) for seeds outer, widths inner."""
    parts = [init_network(d, m, s, symmetric) for s in seeds for m in widths]
    net_widths = np.array([m for _ in seeds for m in widths], dtype=np.int64)
    W0 = np.concatenate([w for w, _ in parts], axis=0)
    a = np.concatenate([a for _, a in parts])
    return W0, a, net_widths, offsets_of(net_widths)


def offsets_of(widths):
    return np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)


# --------------------------------------------------------------------------
# Forward, loss, gradient
# --------------------------------------------------------------------------


def _layout(widths):
    """(offsets (K+1,), net (M,) network of each neuron, scale (M,) = 1/sqrt(m))."""
    widths = np.asarray(widths, dtype=np.int64)
    net = np.repeat(np.arange(len(widths)), widths)
    return offsets_of(widths), net, 1.0 / np.sqrt(widths[net].astype(np.float64))


def logits(W, a, widths, X):
    """F (n, K): f_k(x) = (1/sqrt(m_k)) sum_s a_s relu(<w_s, x>)."""
    offsets, _, scale = _layout(widths)
    H = np.maximum(np.asarray(X, np.float64) @ np.asarray(W, np.float64).T, 0.0) * (a * scale)
    return np.add.reduceat(H, offsets[:-1], axis=1)


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return np.exp(-softplus(-x))


def xlogx(p):
    """p ln p with 0 ln 0 = 0."""
    return p * np.log(np.where(p > 0, p, 1.0))


def pointwise_loss(F, P, tau):
    """l(f, p) = tau^2 KL(Bern(p) || Bern(sigmoid(f/tau))), computed with log-sigmoids.

    ln q = -softplus(-u), ln(1 - q) = -softplus(u), u = f / tau.
    """
    u = F / tau
    kl = xlogx(P) + xlogx(1.0 - P) + P * softplus(-u) + (1.0 - P) * softplus(u)
    return tau**2 * kl


def loss(F, P, tau):
    """L_k = mean over samples of l(F[:, k], P[:, k]) at temperature tau[k]; shape (K,)."""
    return pointwise_loss(F, P, tau).mean(axis=0)


def gradient(W, a, widths, X, P, tau):
    """dL_k/dW for every neuron, (M, d); relu'(0) = 0."""
    X = np.asarray(X, np.float64)
    _, net, scale = _layout(widths)
    Z = X @ W.T  # (n, M) pre-activations
    dF = tau * (sigmoid(logits(W, a, widths, X) / tau) - P) / X.shape[0]  # (n, K) = dL/df / n
    dZ = dF[:, net] * (a * scale) * (Z > 0)
    return dZ.T @ X


def project(W, W0, widths, radius, projection):
    """Pull W back into the ball around W0; radius (K,) with inf meaning no projection.

    Returns (W, number of neurons (neuron) or networks (network) that were rescaled).
    """
    offsets, net, _ = _layout(widths)
    diff = W - W0
    row_norm = np.linalg.norm(diff, axis=1)
    if projection == "neuron":
        limit = radius[net] / np.sqrt(np.asarray(widths, np.float64)[net])
        norm = row_norm
        n_active = int(np.sum(norm > limit))
    elif projection == "network":
        net_norm = np.sqrt(np.add.reduceat(row_norm**2, offsets[:-1]))
        limit, norm = radius[net], net_norm[net]
        n_active = int(np.sum(net_norm > radius))
    else:
        raise ValueError(f"unknown projection {projection!r}")
    over = norm > limit
    factor = limit / np.where(over, norm, 1.0)
    return np.where(over[:, None], W0 + diff * factor[:, None], W), n_active


def max_drift(W, W0, widths):
    """Per network: max over neurons of ||w_s - w_s(0)|| * sqrt(m); shape (K,)."""
    offsets, _, scale = _layout(widths)
    return np.maximum.reduceat(np.linalg.norm(W - W0, axis=1) / scale, offsets[:-1])


# --------------------------------------------------------------------------
# Targets, accuracy, training loop
# --------------------------------------------------------------------------


def is_label_vector(t):
    t = np.asarray(t)
    return t.ndim == 1 and bool(np.all((t == -1) | (t == 1)))


def target_matrix(target, K, target_index=None):
    """Probabilities of class +1 for every network, (n, K).

    Labels in {-1, +1} mean p = (1 + y) / 2; an (n, C) matrix picks column
    target_index[k] for network k.
    """
    t = np.asarray(target, dtype=np.float64)
    if np.all((t == -1) | (t == 1)):
        t = (1.0 + t) / 2.0
    if t.ndim == 1:
        return np.repeat(t[:, None], K, axis=1)
    if target_index is None:
        assert t.shape[1] == 1, "target_index is required when C > 1"
        target_index = np.zeros(K, dtype=np.int64)
    return t[:, np.asarray(target_index)]


def accuracy(F, y):
    """Fraction of samples with sign(f) == y, f == 0 counted wrong; (K,)."""
    y = np.asarray(y, dtype=np.float64)[:, None]
    return np.mean(np.sign(F) == y, axis=0)


def per_network(value, K):
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (K,)).copy()


def fit(
    W0,
    a,
    widths,
    X,
    target,
    *,
    steps,
    lr=1.0,
    radius=None,
    projection="neuron",
    temperature=1.0,
    target_index=None,
    y=None,
    X_test=None,
    y_test=None,
    target_test=None,
    record_every=1,
    W=None,
):
    """Projected gradient descent for all networks at once, mirroring StudentBank.fit.

    W is the starting point (defaults to W0; pass the current weights to
    continue a fit); the projection is always around W0. Returns a namespace
    with W and the History fields, plus n_projected (how many rescalings the
    projection made in total) so tests can check the projection was active.
    """
    W0 = np.asarray(W0, np.float64)
    a = np.asarray(a, np.float64)
    W = W0.copy() if W is None else np.asarray(W, np.float64).copy()
    X = np.asarray(X, np.float64)
    K = len(widths)
    lr, tau = per_network(lr, K), per_network(temperature, K)
    R = None if radius is None else per_network(radius, K)
    P = target_matrix(target, K, target_index)
    if y is None and is_label_vector(target):
        y = target
    if X_test is not None:
        X_test = np.asarray(X_test, np.float64)
        if target_test is not None:
            P_test = target_matrix(target_test, K, target_index)
        elif y_test is not None:
            P_test = target_matrix((1.0 + np.asarray(y_test, np.float64)) / 2.0, K)
        else:
            P_test = None

    rec = dict(loss=[], train_acc=[], test_loss=[], test_acc=[])

    def record(F, L):
        rec["loss"].append(L)
        if y is not None:
            rec["train_acc"].append(accuracy(F, y))
        if X_test is not None:
            F_test = logits(W, a, widths, X_test)
            if P_test is not None:
                rec["test_loss"].append(loss(F_test, P_test, tau))
            if y_test is not None:
                rec["test_acc"].append(accuracy(F_test, y_test))

    all_losses, n_projected = [], 0
    for t in range(steps):
        F = logits(W, a, widths, X)
        L = loss(F, P, tau)
        all_losses.append(L)
        if t % record_every == 0:
            record(F, L)
        W = W - lr[np.repeat(np.arange(K), widths)][:, None] * gradient(W, a, widths, X, P, tau)
        if R is not None:
            W, n = project(W, W0, widths, R, projection)
            n_projected += n
    # The last row describes the weights the fit ends with.
    F = logits(W, a, widths, X)
    record(F, loss(F, P, tau))

    recorded_steps = np.append(np.arange(0, steps, record_every), steps).astype(np.int64)
    n_rec = len(recorded_steps)

    def table(rows, wanted):
        return np.array(rows, dtype=np.float64).reshape(n_rec, K) if wanted else None

    return SimpleNamespace(
        W=W,
        steps=recorded_steps,
        loss=table(rec["loss"], True),
        mean_loss=np.mean(all_losses, axis=0) if steps > 0 else np.full(K, np.nan),
        final_loss=rec["loss"][-1],
        train_acc=table(rec["train_acc"], y is not None),
        test_loss=table(rec["test_loss"], X_test is not None and P_test is not None),
        test_acc=table(rec["test_acc"], X_test is not None and y_test is not None),
        max_drift=max_drift(W, W0, widths),
        n_projected=n_projected,
    )
