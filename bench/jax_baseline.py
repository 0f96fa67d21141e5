"""The batched projected-gradient step of a bank of students in JAX, jit-compiled.

The same step as `torch_baseline.TorchBank.batched_step` (one X @ W.T,
per-network sums, the mask, G.T @ X, the neuron projection), written as one
function that XLA compiles whole, so it fuses the elementwise work around
the two products. `segment_sum` over the sorted network index of each neuron
forms the per-network sums.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np


class JaxBank:
    """The same bank as a kdfast.StudentBank, as JAX arrays (float32)."""

    def __init__(self, W0, a, widths, *, lr, radius, temperature):
        widths = np.asarray(widths, dtype=np.int64)
        net = np.repeat(np.arange(len(widths)), widths)  # (M,) network of each neuron
        self.K = len(widths)
        self.W0 = jnp.asarray(np.asarray(W0))
        self.W = self.W0.copy()  # donated to each step, so never W0 itself
        self.net = jnp.asarray(net.astype(np.int32))
        self.scale = jnp.asarray(np.asarray(a) / np.sqrt(widths[net]).astype(np.asarray(a).dtype))  # a_s / sqrt(m)
        self.bound = jnp.asarray((radius / np.sqrt(widths[net]))[:, None].astype(np.asarray(W0).dtype))  # R / sqrt(m)
        self.lr, self.tau = lr, temperature

    def step(self, X, P):
        """One step for every network at once; returns the loss before it, (K,)."""
        self.W, loss = _step(self.W, self.W0, X, P, self.net, self.scale, self.bound, self.lr, self.tau, self.K)
        return loss


@partial(jax.jit, static_argnums=(7, 8, 9), donate_argnums=(0,))
def _step(W, W0, X, P, net, scale, bound, lr, tau, K):
    Z = X @ W.T  # (n, M)
    H = jnp.maximum(Z, 0) * scale
    F = jax.ops.segment_sum(H.T, net, num_segments=K, indices_are_sorted=True).T  # (n, K)
    u = F / tau
    loss = tau**2 * (
        jax.scipy.special.xlogy(P, P) + jax.scipy.special.xlogy(1 - P, 1 - P) + jax.nn.softplus(-u) + (1 - P) * u
    ).mean(0)
    R = tau * (jax.nn.sigmoid(u) - P) / X.shape[0]  # (n, K)
    C = R[:, net] * (Z > 0) * scale  # (n, M)
    W = W - lr * (C.T @ X)
    D = W - W0
    norms = jnp.linalg.norm(D, axis=1, keepdims=True)
    return W0 + D * jnp.minimum(bound / jnp.maximum(norms, 1e-30), 1.0), loss
