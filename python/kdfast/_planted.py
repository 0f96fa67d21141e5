"""Data with a planted NTK margin: labels from a known infinite-width network, points kept beyond a margin gamma.

The planted function is the infinite-width student of a transport v(z)
(see :mod:`kdfast._margin` for the margin it enters):

    f*(x) = E_z[ <v(z), x> 1[<z, x> > 0] ],   z ~ N(0, I_d),
    v(z)  = sum_j alpha_j sign(<z, w_j>) u_j,

with unit directions u_j, w_j and sum_j |alpha_j| <= 1, so that
|v(z)| <= 1 for every z: v is feasible for the margin's maximum, and a
labelled set with y_i f*(x_i) >= gamma for every i has a margin of at least
gamma. (A unit norm of f* in the kernel's space would not do: the margin
constrains v(z) pointwise.) f* has a closed form. For one term,

    E_z[ sign(<z, w>) 1[<z, x> > 0] ] = P(<z, w> > 0, <z, x> > 0) - P(<z, w> < 0 < <z, x>)
                                      = (pi - theta) / (2 pi) - theta / (2 pi),

theta the angle between x and w, and pi - 2 theta = 2 arcsin(<w, x> / |x|), so

    f*(x) = (1 / pi) sum_j alpha_j <u_j, x> arcsin(<w_j, x> / |x|).

Each term is at most 1/2 in absolute value on the unit ball, so |f*| < 1/2.
With one term and u orthogonal to w the label is about
sign(<u, x> <w, x>): a 2-XOR on two random directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validation as check
from ._data import Dataset, generator, redrawable
from ._flips import flip_rate, flip_signs

__all__ = ["PlantedFunction", "planted", "planted_function"]

# Candidate points are drawn in blocks of this many rows, so that the k-th
# point kept does not depend on how many are asked for or on the budget.
BLOCK = 8192
# The default budget of candidate draws: so many per point asked for, and
# at most DEFAULT_MAX_DRAWS (seconds to a minute, with the dimension).
DRAWS_PER_POINT = 1000
DEFAULT_MAX_DRAWS = 10**7
# Keys the planted function's generator apart from the points' one, so that
# plant=0 and seed=0 do not share their draws.
PLANT_STREAM = 0x706C616E74


@dataclass(frozen=True)
class PlantedFunction:
    """f*(x) = (1/pi) sum_j alphas[j] <U[j], x> arcsin(<W[j], x> / |x|), the infinite-width network of a transport.

    alphas : (J,) weights, sum |alphas[j]| |U[j]| <= 1
    U, W : (J, d) unit rows, the directions u_j and w_j of the module notes
    """

    alphas: np.ndarray
    U: np.ndarray
    W: np.ndarray

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """f* at the (non-zero) rows of X."""
        cosines = (X @ self.W.T) / np.linalg.norm(X, axis=1, keepdims=True)
        return ((X @ self.U.T) * np.arcsin(np.clip(cosines, -1.0, 1.0))) @ self.alphas / math.pi


def _unit_rows(rng: np.random.Generator, rows: int, d: int) -> np.ndarray:
    """Rows uniform on the unit sphere of R^d."""
    X = rng.standard_normal((rows, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def planted_function(d: int, components: int = 1, plant: int = 0) -> PlantedFunction:
    """The planted function of `planted`: `components` terms with directions and weights drawn from `plant`.

    u_j and w_j are uniform on the unit sphere, independently; the alphas
    are Gaussian, scaled to sum |alpha_j| |u_j| = 1 less a few roundings.
    """
    rng = np.random.default_rng([plant, PLANT_STREAM])
    U, W = _unit_rows(rng, components, d), _unit_rows(rng, components, d)
    weights = rng.standard_normal(components)
    # The bound on |v(z)| is sum |alpha_j| |u_j|, |u_j| being 1 only to
    # within rounding; dividing by its exact sum and a few ulps more keeps
    # it at most 1 after the division rounds.
    total = math.fsum(np.abs(weights) * np.linalg.norm(U, axis=1)) * (1 + 8 * np.finfo(np.float64).eps)
    return PlantedFunction(weights / total, U, W)


def _kept_points(
    target: PlantedFunction, gamma: float, total: int, budget: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float]:
    """The first `total` unit rows with |f*| >= gamma, their f*, and the share of the candidates kept.

    After each block the acceptance rate so far says how many more draws the
    rest would take (with none kept yet, its 95% upper limit 3 / drawn);
    beyond the budget the draw stops with an error rather than running on.
    """
    d = target.U.shape[1]
    kept: list[np.ndarray] = []
    values: list[np.ndarray] = []
    count = drawn = 0
    largest = 0.0
    while count < total:
        X = _unit_rows(rng, BLOCK, d)
        f = target(X)
        keep = np.abs(f) >= gamma
        kept.append(X[keep])
        values.append(f[keep])
        count += int(keep.sum())
        drawn += BLOCK
        largest = max(largest, float(np.abs(f).max()))
        rate = count / drawn
        needed = drawn + (total - count) / (rate if count else 3 / drawn)
        if count >= total or needed <= budget:
            continue
        if not count:
            raise check.InputValueError(
                f"gamma: none of {drawn} points drawn has |f*(x)| >= gamma = {gamma:g} (the largest is "
                f"{largest:.3g}), so {total} points (n + n_test) would take over {needed:.3g} draws, beyond the "
                f"budget max_draws = {budget}; lower gamma or d"
            )
        raise check.InputValueError(
            f"n: {total} points (n + n_test) with |f*(x)| >= gamma = {gamma:g} would take about "
            f"{needed:.3g} draws at the acceptance rate {rate:.3g} of the first {drawn}, beyond the budget "
            f"max_draws = {budget}; lower n, n_test or gamma, or raise max_draws"
        )
    return np.concatenate(kept)[:total], np.concatenate(values)[:total], count / drawn


@redrawable
def planted(
    n: int = 400,
    d: int = 10,
    gamma: float = 0.02,
    *,
    components: int = 1,
    plant: int = 0,
    flip: float = 0.0,
    flip_test: bool = False,
    n_test: int = 1000,
    seed: int = 0,
    max_draws: int | None = None,
) -> Dataset:
    """Points labelled by a planted infinite-width network, kept where its margin is at least gamma.

    The labels are the signs of f*(x) = E_z[<v(z), x> 1[<z, x> > 0]],
    z ~ N(0, I_d), for the transport v(z) = sum_j alpha_j sign(<z, w_j>) u_j
    with unit u_j, w_j and ``sum_j |alpha_j| <= 1``, so that ``|v(z)| <= 1``
    for every z. Its closed form is

        f*(x) = sum_j alpha_j <u_j, x> (pi - 2 theta_j) / (2 pi),

    theta_j the angle between x and w_j. Points are drawn uniformly on the
    unit sphere and kept when ``|f*(x)| >= gamma`` (rejection sampling), so the
    margin of the clean training labels (:func:`kdfast.margin`) is at least
    gamma by construction: v is feasible for the margin's maximum. That is
    a lower bound, not the margin: another transport may do better (with
    n=60, d=5, gamma=0.05, seed=1, kdfast.margin measures 0.14), so measure
    gamma where its value matters. With one component the task is about
    sign(<u, x> <w, x>), a 2-XOR on two random directions; more components
    bend the boundary further. The training and test sets come from the
    same kept distribution. The planted function depends on `d`,
    `components` and `plant` only, so :meth:`Dataset.redraw` (another
    `seed`) draws new points of the same task.

    ``params`` records, beside the arguments, ``certified_margin`` (the
    smallest y_i f*(x_i) over the clean training set, in float64: at least
    gamma, and a lower bound of the margin), ``alpha_l1``
    (``sum_j |alpha_j| <= 1``) and ``acceptance_rate`` (the share of the
    candidates kept).

    Parameters
    ----------
    n, n_test : samples in the training and test sets.
    d : int >= 2, input dimension; rows have unit norm.
    gamma : float in (0, 1/2), the planted margin: ``|f*| < 1/2`` on the unit
        sphere, and the share of points kept falls quickly as gamma grows
        (and as d grows, f* shrinking as about 1/d).
    components : int >= 1, the number J of terms of v.
    plant : int >= 0, the seed of the planted function (its directions and
        weights), apart from `seed`.
    flip : label-noise rate in [0, 0.5] of the training labels, applied
        after the selection (the certified margin is that of the clean labels).
    flip_test : flip the test labels too (default: no).
    seed : seed of NumPy's default generator, for the points and the flips.
    max_draws : the most candidate points drawn (default 1000 (n + n_test),
        at most 10^7; drawn in blocks of 8192, so at least one block). When the acceptance
        rate seen so far says that n + n_test points would need more, a
        ValueError gives that rate instead of a long wait.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    components = check.positive_int(components, "components")
    plant = check.positive_int(plant, "plant", minimum=0)
    gamma = check.real_number(gamma, "gamma", minimum=0, maximum=0.5, exclusive=True)
    flip = flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    total = n + n_test
    budget = (
        min(DRAWS_PER_POINT * total, DEFAULT_MAX_DRAWS)
        if max_draws is None
        else check.positive_int(max_draws, "max_draws")
    )
    target = planted_function(d, components, plant)
    rng = generator(seed)
    X, f, rate = _kept_points(target, gamma, total, budget, rng)
    clean = np.sign(f)
    y = flip_signs(clean, flip, rng, only=(np.arange(total) < n) | flip_test)
    params = {
        "n": n,
        "d": d,
        "gamma": gamma,
        "components": components,
        "plant": plant,
        "flip": flip,
        "flip_test": flip_test,
        "n_test": n_test,
        "seed": seed,
        "max_draws": max_draws,
        "certified_margin": float(np.min(clean[:n] * f[:n])),
        "alpha_l1": math.fsum(np.abs(target.alphas)),
        "acceptance_rate": rate,
    }
    knobs = f"d={d}, gamma={gamma:g}" + (f", components={components}" if components > 1 else "")
    knobs += f", plant={plant}" if plant else ""
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"planted({knobs})", params=params, y_train_clean=clean[:n])
