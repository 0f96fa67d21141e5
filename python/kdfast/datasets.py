"""Built-in data sets for soft-vs-hard experiments.

Every generator is seeded, returns rows of unit norm by default (the theory
assumes ||x|| <= 1) and labels in {-1, +1}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validation as check


@dataclass(frozen=True)
class Dataset:
    """Train and test inputs (n, d) with labels in {-1, +1}, and how they were made."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    params: dict = field(default_factory=dict)

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape[0]}, test={self.X_test.shape[0]}, "
            f"d={self.d}, params={self.params})"
        )


def _normalise_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _probability(value, name: str) -> float:
    value = float(check.real_array(value, name))
    if not 0.0 <= value <= 0.5:
        raise ValueError(f"{name}: must lie in [0, 0.5], got {value}")
    return value


def xor2(n: int = 400, d: int = 10, *, flip: float = 0.0, n_test: int = 1000, seed: int = 0, normalize: bool = True):
    """Noisy 2-XOR on the hypercube (Ji & Telgarsky, ICLR 2020).

    x is uniform on {-1, +1}^d (scaled to unit norm when `normalize`), and
    y = x_1 * x_2: only the first two coordinates carry the label, the other
    d - 2 are noise, so the NTK margin shrinks as d grows. A fraction `flip`
    of training and test labels is flipped at random.

    Parameters
    ----------
    n, n_test : samples in the training and test sets.
    d : int >= 2, input dimension: the difficulty knob.
    flip : label-noise rate in [0, 0.5].
    seed : seed of NumPy's default generator.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    flip = _probability(flip, "flip")
    rng = np.random.default_rng(check.positive_int(seed, "seed", minimum=0))
    X = rng.choice(np.array([-1.0, 1.0]), size=(n + n_test, d))
    y = X[:, 0] * X[:, 1]
    y = np.where(rng.random(n + n_test) < flip, -y, y)
    if normalize:
        X = _normalise_rows(X)
    params = {"n": n, "d": d, "flip": flip, "n_test": n_test, "seed": seed, "normalize": normalize}
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"xor2(d={d})", params=params)
