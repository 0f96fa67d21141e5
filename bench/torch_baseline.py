"""PyTorch baselines for one projected-gradient step of a bank of students.

`batched_step` is the honest baseline of the design: one step over all
networks at once (a single X @ W.T, index_add_ for the per-network sums, the
mask, G.T @ X, the projection). `loop_step` is what a newcomer would write:
one small network at a time.
"""

from __future__ import annotations

import numpy as np
import torch


class TorchBank:
    """The same bank as a kdfast.StudentBank, as torch tensors."""

    def __init__(self, W0, a, widths, *, lr, radius, temperature):
        self.W0 = torch.from_numpy(np.array(W0))
        self.W = self.W0.clone()
        widths = torch.from_numpy(np.array(widths, dtype=np.int64))
        self.K = len(widths)
        self.net = torch.repeat_interleave(torch.arange(self.K), widths)  # (M,) network of each neuron
        self.scale = torch.from_numpy(np.array(a)) / widths[self.net].to(self.W0.dtype).sqrt()  # a_s / sqrt(m)
        self.bound = (radius / widths[self.net].to(self.W0.dtype).sqrt()).unsqueeze(1)  # R / sqrt(m)
        self.offsets = torch.cat([torch.zeros(1, dtype=torch.int64), widths.cumsum(0)])
        self.lr, self.tau = lr, temperature

    def logits(self, X):
        H = torch.relu(X @ self.W.T) * self.scale  # (n, M)
        return torch.zeros(X.shape[0], self.K, dtype=X.dtype).index_add_(1, self.net, H)

    def _loss_residual(self, F, P):
        u = F / self.tau
        loss = self.tau**2 * (
            torch.special.xlogy(P, P)
            + torch.special.xlogy(1 - P, 1 - P)
            + torch.nn.functional.softplus(-u)
            + (1 - P) * u
        ).mean(0)
        return loss, self.tau * (torch.sigmoid(u) - P) / F.shape[0]

    def _project(self):
        D = self.W - self.W0
        norms = D.norm(dim=1, keepdim=True)
        self.W = self.W0 + D * torch.clamp(self.bound / norms.clamp_min(1e-30), max=1.0)

    def batched_step(self, X, P):
        """One step for every network at once; returns the loss before it, (K,)."""
        Z = X @ self.W.T  # (n, M)
        H = torch.relu(Z) * self.scale
        F = torch.zeros(X.shape[0], self.K, dtype=X.dtype).index_add_(1, self.net, H)
        loss, R = self._loss_residual(F, P)
        C = R[:, self.net] * (Z > 0) * self.scale  # (n, M)
        self.W = self.W - self.lr * (C.T @ X)
        self._project()
        return loss

    def loop_step(self, X, P):
        """The same step, one network at a time."""
        losses, updated = [], []
        for k in range(self.K):
            rows = slice(int(self.offsets[k]), int(self.offsets[k + 1]))
            W = self.W[rows].clone().requires_grad_(True)
            Z = X @ W.T
            f = (torch.relu(Z) * self.scale[rows]).sum(1)
            loss, _ = self._loss_residual(f.unsqueeze(1), P[:, k : k + 1])
            loss.sum().backward()
            updated.append(W.detach() - self.lr * W.grad)
            losses.append(loss.detach())
        self.W = torch.cat(updated)
        self._project()
        return torch.cat(losses)
