"""The reference workloads of the contract (docs/contract.md, section 3), as data and banks.

Inputs are random unit-norm rows and random soft targets: speed does not
depend on the values, and about half the ReLUs are active, as in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    n: int
    d: int
    widths: tuple[int, ...]
    seeds: int

    @property
    def n_neurons(self) -> int:
        return sum(self.widths) * self.seeds

    @property
    def flops_per_step(self) -> float:
        """The two products of a step: X W^T forward and G^T X backward."""
        return 4.0 * self.n * self.d * self.n_neurons

    def data(self, dtype=np.float32):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(self.n, self.d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        p = rng.uniform(0.05, 0.95, size=self.n)
        return X.astype(dtype), p


WORKLOADS = {
    w.name: w
    for w in (
        Workload("digits-sweep", 360, 64, tuple(2**i for i in range(11)), 5),
        Workload("mnist-sweep", 10_000, 784, tuple(2**i for i in range(13)), 1),
        Workload("lowdim-300", 256, 8, tuple(range(1, 301)), 1),
        Workload("thousands", 1_000, 16, tuple(range(1, 2001)), 1),
    )
}

# Hyperparameters of the timed steps: soft targets, neuron projection.
LR, RADIUS, TEMPERATURE = 1.0, 1.0, 1.0
