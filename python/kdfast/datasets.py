"""Built-in data sets for soft-vs-hard experiments.

Every generator returns a :class:`Dataset` with labels in {-1, +1}. Rows
have unit norm by default (``normalize=True``: the theory assumes
||x|| <= 1); ``bias=True`` appends a constant feature so that the bias-free
student can learn an offset (with ``normalize`` the row is then
(x/||x||, 1)/sqrt(2), still of unit norm). All randomness comes from
NumPy's default generator seeded by ``seed``; the same arguments always give
the same data.

Families and their difficulty knobs:

- :func:`xor2` — noisy 2-XOR on the hypercube; harder as ``d`` grows.
- :func:`gaussians` — Gaussian clusters; harder as ``separation`` shrinks.
- :func:`digits` — two classes of scikit-learn's bundled 8x8 digits, with
  input noise and label flips (needs ``pip install kdfast[data]``).
- :func:`mnist1d` — two classes of MNIST-1D, generated locally by the
  ``mnist1d`` package (``pip install kdfast[data]``); nothing is downloaded.
- :func:`idx` — MNIST / Fashion-MNIST IDX files you already have.
- :func:`from_arrays` — your own arrays.
"""

from __future__ import annotations

import gzip
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np

from . import _validation as check

__all__ = ["Dataset", "digits", "from_arrays", "gaussians", "idx", "mnist1d", "xor2"]


@dataclass(frozen=True)
class Dataset:
    """Train and test inputs (n, d) with labels in {-1, +1}, and how they were made.

    The test set may be empty (0 rows) when none was given to
    :func:`from_arrays`; experiments then report no test metrics.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    params: dict = field(default_factory=dict)

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape[0]}, test={self.X_test.shape[0]}, "
            f"d={self.d}, params={self.params})"
        )


# -- shared pieces -----------------------------------------------------------


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


def _flip(y: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(y.shape[0]) < rate, -y, y)


def _pair(pair, name: str = "pair") -> tuple[int, int]:
    try:
        a, b = (check.positive_int(v, name, minimum=0) for v in pair)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: expected two distinct class labels (positive, negative), got {pair!r}") from None
    if a == b:
        raise ValueError(f"{name}: the two classes must differ, got {pair!r}")
    return a, b


def _select_pair(X: np.ndarray, labels: np.ndarray, pair: tuple[int, int], what: str):
    """Rows of the two classes; y = +1 for pair[0], -1 for pair[1]."""
    keep = (labels == pair[0]) | (labels == pair[1])
    for c in pair:
        if not (labels == c).any():
            raise ValueError(f"pair: class {c} does not occur in {what} (classes present: {np.unique(labels)[:20].tolist()})")
    return X[keep], np.where(labels[keep] == pair[0], 1.0, -1.0)


def _split(X, y, test_fraction: float, rng: np.random.Generator):
    """A seeded random split keeping at least one sample on each side."""
    n = X.shape[0]
    n_test = min(n - 1, max(1, round(test_fraction * n)))
    order = rng.permutation(n)
    return X[order[n_test:]], y[order[n_test:]], X[order[:n_test]], y[order[:n_test]]


# -- synthetic families ------------------------------------------------------


def xor2(
    n: int = 400,
    d: int = 10,
    *,
    flip: float = 0.0,
    n_test: int = 1000,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Noisy 2-XOR on the hypercube (Ji & Telgarsky, ICLR 2020).

    x is uniform on {-1, +1}^d (scaled to unit norm when `normalize`), and
    y = x_1 * x_2: only the first two coordinates carry the label, the other
    d - 2 are noise, so the NTK margin shrinks as d grows (about 1/d). A
    fraction `flip` of training and test labels is flipped at random.

    Parameters
    ----------
    n, n_test : samples in the training and test sets.
    d : int >= 2, input dimension: the difficulty knob.
    flip : label-noise rate in [0, 0.5].
    seed : seed of NumPy's default generator.
    normalize, bias : see the module docstring.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    flip = check.real_number(flip, "flip", minimum=0, maximum=0.5)
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = np.random.default_rng(check.positive_int(seed, "seed", minimum=0))
    X = rng.choice(np.array([-1.0, 1.0]), size=(n + n_test, d))
    y = _flip(X[:, 0] * X[:, 1], flip, rng)
    X = _features(X, normalize, bias)
    params = {"n": n, "d": d, "flip": flip, "n_test": n_test, "seed": seed, "normalize": normalize, "bias": bias}
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"xor2(d={d})", params=params)


def gaussians(
    n: int = 400,
    d: int = 10,
    *,
    separation: float = 2.0,
    clusters: int = 2,
    flip: float = 0.0,
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
    flip : additional label-noise rate in [0, 0.5].
    seed : seed of NumPy's default generator.
    normalize, bias : see the module docstring.
    """
    n = check.positive_int(n, "n")
    n_test = check.positive_int(n_test, "n_test")
    d = check.positive_int(d, "d", minimum=2)
    separation = check.real_number(separation, "separation", minimum=0)
    if clusters not in (2, 4) or isinstance(clusters, bool):
        raise ValueError(f"clusters: must be 2 or 4, got {clusters!r}")
    flip = check.real_number(flip, "flip", minimum=0, maximum=0.5)
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    rng = np.random.default_rng(check.positive_int(seed, "seed", minimum=0))
    total = n + n_test
    signs = rng.choice(np.array([-1.0, 1.0]), size=(total, 2))
    X = rng.standard_normal((total, d))
    if clusters == 2:
        X[:, 0] += signs[:, 0] * separation / 2
        y = signs[:, 0]
    else:
        X[:, :2] += signs * separation / 2
        y = signs[:, 0] * signs[:, 1]
    y = _flip(y, flip, rng)
    X = _features(X, normalize, bias)
    params = {
        "n": n, "d": d, "separation": separation, "clusters": clusters, "flip": flip, "n_test": n_test,
        "seed": seed, "normalize": normalize, "bias": bias,
    }  # fmt: skip
    knobs = f"separation={separation:g}" if clusters == 2 else f"clusters=4, separation={separation:g}"
    return Dataset(X[:n], y[:n], X[n:], y[n:], name=f"gaussians({knobs})", params=params)


# -- real data ---------------------------------------------------------------


def _noisy_pair_dataset(X, labels, *, pair, noise, flip, test_fraction, seed, n, normalize, bias, name, params):
    """Shared tail of the image data sets: pick two classes, subsample, split, add noise and flips."""
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X, y = _select_pair(X, labels, pair, name)
    rng = np.random.default_rng(check.positive_int(seed, "seed", minimum=0))
    if n is not None:
        n = check.positive_int(n, "n", minimum=2)
        if n < X.shape[0]:
            keep = np.sort(rng.choice(X.shape[0], size=n, replace=False))
            X, y = X[keep], y[keep]
    X_train, y_train, X_test, y_test = _split(X, y, test_fraction, rng)
    X_train, X_test = (Z + noise * rng.standard_normal(Z.shape) for Z in (X_train, X_test))
    y_train, y_test = _flip(y_train, flip, rng), _flip(y_test, flip, rng)
    params = {**params, "pair": list(pair), "noise": noise, "flip": flip, "test_fraction": test_fraction,
              "seed": seed, "n": n, "normalize": normalize, "bias": bias}  # fmt: skip
    return Dataset(
        _features(X_train, normalize, bias), y_train, _features(X_test, normalize, bias), y_test,
        name=f"{name}({pair[0]} vs {pair[1]})", params=params,
    )  # fmt: skip


def digits(
    pair=(3, 5),
    *,
    noise: float = 0.0,
    flip: float = 0.0,
    test_fraction: float = 0.3,
    seed: int = 0,
    n: int | None = None,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes of scikit-learn's bundled 8x8 digits (d = 64, about 360 images a pair).

    Needs scikit-learn (``pip install kdfast[data]``); the images ship with
    it, nothing is downloaded. Pixels are scaled to [0, 1].

    Parameters
    ----------
    pair : (positive class, negative class), digits 0-9; y = +1 for pair[0].
    noise : standard deviation of Gaussian noise added to every pixel
        (in units of the [0, 1] pixel range), train and test alike.
    flip : label-noise rate in [0, 0.5], train and test alike.
    test_fraction : share of the pair's images held out for testing.
    seed : seeds the split, the subsample, the noise and the flips.
    n : use a random subset of this many images of the pair (None: all).
    normalize, bias : see the module docstring.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits() needs scikit-learn: pip install kdfast[data]") from None
    pair = _pair(pair)
    if max(pair) > 9:
        raise ValueError(f"pair: digits are 0-9, got {pair!r}")
    bunch = load_digits()
    return _noisy_pair_dataset(
        bunch.data / 16.0, bunch.target, pair=pair, noise=check.real_number(noise, "noise", minimum=0),
        flip=check.real_number(flip, "flip", minimum=0, maximum=0.5),
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed, n=n, normalize=normalize, bias=bias, name="digits", params={},
    )  # fmt: skip


def mnist1d(
    pair=(3, 5),
    *,
    n_per_class: int = 500,
    noise: float = 0.0,
    flip: float = 0.0,
    test_fraction: float = 0.2,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes of MNIST-1D (Greydanus, 2020): 1-D signals of length 40.

    The ``mnist1d`` package (``pip install kdfast[data]``) generates the signals
    locally from its templates with the given seed — nothing is downloaded.
    Only the two classes are generated. That package draws from NumPy's
    global generator; its state (and that of ``random``) is restored
    afterwards.

    Parameters
    ----------
    pair : (positive class, negative class), 0-9; y = +1 for pair[0].
    n_per_class : signals generated per class (MNIST-1D's default: 500).
    noise, flip, test_fraction, seed, normalize, bias : as in :func:`digits`;
        `seed` also seeds the generator of the signals.
    """
    try:
        from mnist1d.data import get_dataset_args, get_templates, make_dataset
    except ImportError:
        raise ImportError("mnist1d() needs the mnist1d package: pip install kdfast[data]") from None
    pair = _pair(pair)
    if max(pair) > 9:
        raise ValueError(f"pair: MNIST-1D classes are 0-9, got {pair!r}")
    n_per_class = check.positive_int(n_per_class, "n_per_class", minimum=1)
    args = get_dataset_args()
    args.num_samples = 2 * n_per_class
    args.seed = check.positive_int(seed, "seed", minimum=0)
    # Generate the two classes only: a template set restricted to the pair.
    templates = get_templates()
    templates = {**templates, "x": templates["x"][list(pair)], "y": templates["y"][list(pair)]}
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        made = make_dataset(args, templates)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    X = np.concatenate([made["x"], made["x_test"]]).astype(np.float64)
    labels = np.concatenate([made["y"], made["y_test"]])
    return _noisy_pair_dataset(
        X, labels, pair=pair, noise=check.real_number(noise, "noise", minimum=0),
        flip=check.real_number(flip, "flip", minimum=0, maximum=0.5),
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed, n=None, normalize=normalize, bias=bias, name="mnist1d", params={"n_per_class": n_per_class},
    )  # fmt: skip


# IDX type codes (LeCun's MNIST format): dtype of the big-endian payload.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_idx(path, name: str) -> np.ndarray:
    """An IDX file (raw or gzip-compressed) as an array of its stated shape."""
    check.file_path(path, name)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{name}: cannot read {os.fspath(path)!r}: {err}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{name}: {os.fspath(path)!r} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{name}: {os.fspath(path)!r}: truncated IDX header")
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{name}: {os.fspath(path)!r}: header says shape {shape} ({expected} bytes of data), "
            f"file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _idx_pair(images, labels, names: tuple[str, str]):
    X = _read_idx(images, names[0])
    y = _read_idx(labels, names[1])
    if y.ndim != 1:
        raise ValueError(f"{names[1]}: expected a 1-D label file, got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{names[1]}: {y.shape[0]} labels for {X.shape[0]} images in {names[0]}")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if X.dtype.kind in "f" and not np.isfinite(X).all():
        raise ValueError(f"{names[0]}: contains NaN or infinity")
    return X, y


def idx(
    images,
    labels,
    pair=(3, 5),
    *,
    test_images=None,
    test_labels=None,
    n: int | None = None,
    n_test: int | None = None,
    test_fraction: float = 0.2,
    noise: float = 0.0,
    flip: float = 0.0,
    scale: float = 255.0,
    seed: int = 0,
    normalize: bool = True,
    bias: bool = False,
) -> Dataset:
    """Two classes of an IDX image data set you already have (MNIST, Fashion-MNIST).

    Parameters
    ----------
    images, labels : paths of the training IDX files (raw or .gz), e.g.
        ``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``.
    pair : (positive class, negative class); y = +1 for pair[0].
    test_images, test_labels : paths of the test files (e.g. ``t10k-*``).
        Without them, `test_fraction` of the training pair is held out.
    n, n_test : use random subsets of this many training / test images of
        the pair (None: all).
    noise, flip, seed, normalize, bias : as in :func:`digits`.
    scale : pixels are divided by it (255 for 8-bit images).
    """
    pair = _pair(pair)
    scale = check.real_number(scale, "scale", minimum=0, exclusive=True)
    noise = check.real_number(noise, "noise", minimum=0)
    flip = check.real_number(flip, "flip", minimum=0, maximum=0.5)
    X, y = _idx_pair(images, labels, ("images", "labels"))
    params = {"images": os.path.basename(os.fspath(images)), "scale": scale}
    if (test_images is None) != (test_labels is None):
        raise ValueError("test_images and test_labels: give both or neither")
    if test_images is None:
        return _noisy_pair_dataset(
            X / scale, y, pair=pair, noise=noise, flip=flip,
            test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
            seed=seed, n=n, normalize=normalize, bias=bias, name="idx", params=params,
        )  # fmt: skip
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X_test, y_test = _idx_pair(test_images, test_labels, ("test_images", "test_labels"))
    if X_test.shape[1] != X.shape[1]:
        raise ValueError(f"test_images: images of {X_test.shape[1]} pixels, training images have {X.shape[1]}")
    rng = np.random.default_rng(check.positive_int(seed, "seed", minimum=0))

    def prepare(Z, t, size, what, size_name):
        Z, t = _select_pair(Z / scale, t, pair, what)
        if size is not None and check.positive_int(size, size_name, minimum=1) < Z.shape[0]:
            keep = np.sort(rng.choice(Z.shape[0], size=size, replace=False))
            Z, t = Z[keep], t[keep]
        return _features(Z + noise * rng.standard_normal(Z.shape), normalize, bias), _flip(t, flip, rng)

    X_train, y_train = prepare(X, y, n, "images", "n")
    X_test, y_test = prepare(X_test, y_test, n_test, "test_images", "n_test")
    params.update(pair=list(pair), n=n, n_test=n_test, noise=noise, flip=flip, seed=seed, normalize=normalize, bias=bias)
    return Dataset(X_train, y_train, X_test, y_test, name=f"idx({pair[0]} vs {pair[1]})", params=params)


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
    """A Dataset from your own arrays.

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
        raise TypeError(f"name: expected a non-empty string, got {name!r}")
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X = check.matrix(X, "X", np.float64)
    y = check.labels(y, "y", X.shape[0]).astype(np.float64)
    if np.unique(y).size < 2:
        raise ValueError("y: the training labels must contain both classes")
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test: give both or neither")
    if X_test is None:
        X_test, y_test = np.empty((0, X.shape[1])), np.empty(0)
    else:
        X_test = check.matrix(X_test, "X_test", np.float64, columns=X.shape[1])
        y_test = check.labels(y_test, "y_test", X_test.shape[0]).astype(np.float64)
    params = {"n": X.shape[0], "n_test": X_test.shape[0], "normalize": normalize, "bias": bias}
    return Dataset(_features(X, normalize, bias), y, _features(X_test, normalize, bias), y_test, name=name, params=params)
