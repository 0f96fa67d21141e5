"""The synthetic two-layer families: noisy 2-XOR on the hypercube and Gaussian clusters.

Each draws its points, its labels and their flips from one generator of
its seed; see :mod:`kdfast.datasets` for the shared arguments.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check
from ._data import Dataset, features, generator, redrawable
from ._flips import flip_rate, flip_signs

__all__ = ["gaussians", "xor2"]


@redrawable
def xor2(
    n: int = 400,
    d: int = 10,
    *,
    flip: float = 0.0,
    flip_test: bool = False,
    n_test: int = 1000,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Noisy 2-XOR on the hypercube (Ji & Telgarsky, ICLR 2020).

    x is uniform on {-1, +1}^d (scaled to unit norm when `normalize`), and
    y = x_1 * x_2: only the first two coordinates carry the label, the other
    d - 2 are noise, so the NTK margin shrinks as d grows (about 1/d). A
    fraction `flip` of the training labels is flipped at random.

    Parameters
    ----------
    n, n_test : samples in the training and test sets.
    d : int >= 2, input dimension: the difficulty knob.
    flip : label-noise rate in [0, 0.5] of the training labels.
    flip_test : flip the test labels too (default: no; test accuracy then
        measures agreement with the true labels).
    seed : seed of NumPy's default generator.
    normalize, bias : see the module docstring.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    flip = flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = generator(seed)
    X = rng.choice(np.array([-1.0, 1.0]), size=(n + n_test, d))
    clean = X[:, 0] * X[:, 1]
    y = flip_signs(clean, flip, rng, only=(np.arange(n + n_test) < n) | flip_test)
    X = features(X, normalize, bias)
    params = {
        "n": n,
        "d": d,
        "flip": flip,
        "flip_test": flip_test,
        "n_test": n_test,
        "seed": seed,
        "normalize": normalize,
        "bias": bias,
    }
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"xor2(d={d})", params=params, y_train_clean=clean[:n])


@redrawable
def gaussians(
    n: int = 400,
    d: int = 10,
    *,
    separation: float = 2.0,
    clusters: int = 2,
    flip: float = 0.0,
    flip_test: bool = False,
    n_test: int = 1000,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Gaussian clusters whose overlap is set by `separation`.

    Each point is a cluster centre plus N(0, I_d) noise (before the row
    normalisation). With ``clusters=2`` the centres are +-(separation/2) e_1
    with labels +1 / -1: a linear problem whose Bayes accuracy is
    Phi(separation / 2). With ``clusters=4`` the centres are
    (+-separation/2, +-separation/2, 0, ...) labelled by the product of the
    signs of the first two coordinates: a Gaussian XOR, which no linear
    classifier solves; its Bayes accuracy is p^2 + (1 - p)^2 with
    p = Phi(separation / 2). Either way `separation` is a continuous
    difficulty knob: as it shrinks the classes overlap and a teacher's soft
    labels carry more information than the noisy hard labels. Row
    normalisation keeps every sign, so these accuracies still hold after it.

    Parameters
    ----------
    n, n_test : samples in the training and test sets (clusters equally likely).
    d : int >= 2, input dimension; coordinates beyond the first two are noise.
    separation : float >= 0, distance between the centres of neighbouring clusters.
    clusters : 2 or 4.
    flip : additional label-noise rate in [0, 0.5] of the training labels.
    flip_test : flip the test labels too (default: no).
    seed : seed of NumPy's default generator.
    normalize, bias : see the module docstring.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    separation = check.real_number(separation, "separation", minimum=0)
    if clusters not in (2, 4) or isinstance(clusters, bool):
        raise check.InputValueError(f"clusters: must be 2 or 4, got {clusters!r}")
    flip = flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = generator(seed)
    total = n + n_test
    signs = rng.choice(np.array([-1.0, 1.0]), size=(total, 2))
    X = rng.standard_normal((total, d))
    if clusters == 2:
        X[:, 0] += signs[:, 0] * separation / 2
        y = signs[:, 0]
    else:
        X[:, :2] += signs * separation / 2
        y = signs[:, 0] * signs[:, 1]
    noisy = flip_signs(y, flip, rng, only=(np.arange(total) < n) | flip_test)
    X = features(X, normalize, bias)
    params = {
        "n": n,
        "d": d,
        "separation": separation,
        "clusters": clusters,
        "flip": flip,
        "flip_test": flip_test,
        "n_test": n_test,
        "seed": seed,
        "normalize": normalize,
        "bias": bias,
    }
    knobs = f"separation={separation:g}" if clusters == 2 else f"clusters=4, separation={separation:g}"
    return Dataset(X[:n], noisy[:n], X[n:], noisy[n:], name=f"gaussians({knobs})", params=params, y_train_clean=y[:n])
