"""Built-in data sets: shapes, labels, norms, seeds, difficulty knobs, file formats, bad input."""

import math
import sys

import numpy as np
import pytest

from datafiles import four_sigma, write_idx

from kdfast import datasets as ds


def assert_well_formed(data, d):
    assert data.X_train.shape == (data.n_train, d) and data.X_test.shape == (data.n_test, d)
    assert data.y_train.shape == (data.n_train,) and data.y_test.shape == (data.n_test,)
    for X in (data.X_train, data.X_test):
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-12)
    assert set(np.unique(data.y_train)) == {-1.0, 1.0}


def normal_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# -- synthetic families ------------------------------------------------------


def test_xor2_labels_are_the_product_of_the_first_two_signs():
    data = ds.xor2(n=300, d=7, n_test=50, seed=3)
    assert_well_formed(data, 7)
    X = np.vstack([data.X_train, data.X_test])
    y = np.concatenate([data.y_train, data.y_test])
    np.testing.assert_array_equal(y, np.sign(X[:, 0]) * np.sign(X[:, 1]))
    # Scaled hypercube: every coordinate is +-1/sqrt(d).
    np.testing.assert_allclose(np.abs(X), 1 / math.sqrt(7), rtol=1e-12)


def test_xor2_flip_rate():
    n = 20000
    clean, noisy = ds.xor2(n=n, d=4, n_test=1, seed=1), ds.xor2(n=n, d=4, n_test=1, flip=0.2, seed=1)
    flipped = np.mean(noisy.y_train != np.sign(noisy.X_train[:, 0] * noisy.X_train[:, 1]))
    assert abs(flipped - 0.2) < four_sigma(0.2, n)
    assert np.mean(clean.y_train != np.sign(clean.X_train[:, 0] * clean.X_train[:, 1])) == 0


def test_seeds_reproduce_and_differ():
    for make in (ds.xor2, ds.gaussians):
        a, b, c = make(n=50, d=5, seed=4), make(n=50, d=5, seed=4), make(n=50, d=5, seed=5)
        np.testing.assert_array_equal(a.X_train, b.X_train)
        np.testing.assert_array_equal(a.y_test, b.y_test)
        assert not np.array_equal(a.X_train, c.X_train)


def test_bias_feature_keeps_unit_norm():
    data = ds.xor2(n=20, d=5, n_test=5, bias=True)
    assert_well_formed(data, 6)
    np.testing.assert_allclose(data.X_train[:, -1], 1 / math.sqrt(2))
    raw = ds.gaussians(n=20, d=3, n_test=5, normalize=False, bias=True)
    np.testing.assert_array_equal(raw.X_train[:, -1], 1.0)


@pytest.mark.parametrize("separation", [0.0, 1.0, 3.0])
def test_two_gaussians_bayes_accuracy(separation):
    """sign(x_1) is the Bayes classifier; its accuracy is Phi(separation / 2)."""
    n = 20000
    data = ds.gaussians(n=n, d=6, separation=separation, n_test=1, seed=2)
    assert_well_formed(data, 6)
    p = normal_cdf(separation / 2)
    assert abs(np.mean(np.sign(data.X_train[:, 0]) == data.y_train) - p) < four_sigma(p, n)


def test_four_gaussians_are_an_xor_of_blobs():
    n, separation = 20000, 2.0
    data = ds.gaussians(n=n, d=6, separation=separation, clusters=4, n_test=1, seed=2)
    p = normal_cdf(separation / 2)
    bayes = p**2 + (1 - p) ** 2
    guess = np.sign(data.X_train[:, 0] * data.X_train[:, 1])
    assert abs(np.mean(guess == data.y_train) - bayes) < four_sigma(bayes, n)
    # No linear rule through the origin does better than chance on an XOR.
    assert abs(np.mean(np.sign(data.X_train[:, 0]) == data.y_train) - 0.5) < four_sigma(0.5, n)
    assert data.name != ds.gaussians(separation=separation).name


# -- real data ---------------------------------------------------------------


def test_digits_pair():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    target = load_digits().target
    data = ds.digits(pair=(3, 5), test_fraction=0.25, seed=1)
    assert_well_formed(data, 64)
    n3, n5 = int((target == 3).sum()), int((target == 5).sum())
    assert data.n_train + data.n_test == n3 + n5
    assert (np.concatenate([data.y_train, data.y_test]) == 1).sum() == n3
    assert data.n_test == round(0.25 * (n3 + n5))
    assert data.name == "digits(3 vs 5)"


def test_digits_noise_flip_and_subset():
    pytest.importorskip("sklearn")
    clean = ds.digits(pair=(1, 7), seed=0)
    noisy = ds.digits(pair=(1, 7), noise=0.5, seed=0)
    assert noisy.X_train.shape == clean.X_train.shape
    # The same split (the noise is drawn after it) with different pixels.
    assert not np.allclose(noisy.X_train, clean.X_train)
    flipped = ds.digits(pair=(1, 7), flip=0.5, seed=0)
    np.testing.assert_array_equal(flipped.X_train, clean.X_train)
    assert np.mean(flipped.y_train != clean.y_train) > 0.3
    small = ds.digits(pair=(1, 7), n=50, seed=0)
    assert small.n_train + small.n_test == 50


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install kdfast\[data\]"):
        ds.digits()


def test_mnist1d_two_classes_without_touching_global_state():
    pytest.importorskip("mnist1d")
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    data = ds.mnist1d(pair=(2, 7), n_per_class=60, seed=1)
    assert np.random.random() == expected  # the global generator was restored
    assert_well_formed(data, 40)
    assert data.n_train + data.n_test == 120
    again = ds.mnist1d(pair=(2, 7), n_per_class=60, seed=1)
    np.testing.assert_array_equal(data.X_train, again.X_train)


def test_mnist1d_missing_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match=r"pip install kdfast\[data\]"):
        ds.mnist1d()


# -- IDX files ---------------------------------------------------------------


@pytest.fixture
def idx_files(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 10)
    images = rng.integers(0, 256, size=(40, 3, 4))
    images[:, 0, 0] = labels * 60 + 1  # tie a pixel to the label to check rows stay with labels
    files = {
        "images": write_idx(tmp_path / "train-images.gz", images, compress=True),
        "labels": write_idx(tmp_path / "train-labels", labels),
        "test_images": write_idx(tmp_path / "t10k-images", images[:20]),
        "test_labels": write_idx(tmp_path / "t10k-labels.gz", labels[:20], compress=True),
    }
    return files, images, labels


def test_idx_reads_raw_and_gzip_and_keeps_rows_with_labels(idx_files):
    files, images, labels = idx_files
    data = ds.idx(files["images"], files["labels"], pair=(2, 0), normalize=False, test_fraction=0.3, seed=0)
    assert data.d == 12 and data.n_train + data.n_test == 20
    X = np.vstack([data.X_train, data.X_test])
    y = np.concatenate([data.y_train, data.y_test])
    np.testing.assert_allclose(X[:, 0] * 255, np.where(y > 0, 121, 1))
    # The pixels are the file's, scaled by 1/255.
    rows = images.reshape(40, -1)[labels == 2] / 255
    assert {tuple(r) for r in rows} == {tuple(r) for r in X[y > 0]}


def test_idx_with_test_files(idx_files):
    files, _, _ = idx_files
    both = {"test_images": files["test_images"], "test_labels": files["test_labels"]}
    data = ds.idx(files["images"], files["labels"], pair=(0, 1), **both)
    assert data.n_train == 20 and data.n_test == 20
    small = ds.idx(files["images"], files["labels"], pair=(0, 1), n=15, n_test=5, **both)
    assert small.n_train == 15 and small.n_test == 5
    # The test file holds the first 20 images, labels 0 and 1 only.
    with pytest.raises(ValueError, match="pair: class 3 does not occur in test_images"):
        ds.idx(files["images"], files["labels"], pair=(1, 3), **both)


def test_idx_float_payload(tmp_path):
    X = np.arange(24, dtype=np.float32).reshape(6, 4) + 1
    y = np.array([0, 1, 0, 1, 0, 1])
    data = ds.idx(
        write_idx(tmp_path / "x", X, code=0x0D),
        write_idx(tmp_path / "y", y),
        pair=(1, 0),
        scale=1.0,
        normalize=False,
        test_fraction=0.5,
    )
    assert {tuple(r) for r in np.vstack([data.X_train, data.X_test])} == {tuple(r) for r in X}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "header says shape"),  # too little data
        (b"\x01\x02\x08\x01", "not an IDX file"),
        (b"\x00\x00\x08", "not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated"),
    ],
)
def test_idx_rejects_broken_files(tmp_path, idx_files, content, match):
    files, _, _ = idx_files
    broken = tmp_path / "broken"
    broken.write_bytes(content)
    with pytest.raises(ValueError, match=f"images: .*{match}"):
        ds.idx(broken, files["labels"])


def test_idx_rejects_mismatched_counts_and_missing_files(tmp_path, idx_files):
    files, _, labels = idx_files
    short = write_idx(tmp_path / "short", labels[:5])
    with pytest.raises(ValueError, match="labels: 5 labels for 40 images"):
        ds.idx(files["images"], short)
    with pytest.raises(FileNotFoundError):
        ds.idx(tmp_path / "no-such-file", files["labels"])
    with pytest.raises(ValueError, match="test_images and test_labels"):
        ds.idx(files["images"], files["labels"], test_images=files["test_images"])


# -- your own arrays ---------------------------------------------------------


def test_from_arrays():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, size=30)
    y[:2] = [0, 1]
    data = ds.from_arrays(X, y, X[:5], y[:5], name="mine")
    assert_well_formed(data, 4)
    np.testing.assert_array_equal(data.y_train, 2 * y - 1)  # {0, 1} -> {-1, +1}
    np.testing.assert_allclose(data.X_train, X / np.linalg.norm(X, axis=1, keepdims=True))
    assert data.name == "mine"
    alone = ds.from_arrays(X, 2 * y - 1)
    assert alone.X_test.shape == (0, 4) and alone.y_test.shape == (0,)


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "match"),
    [
        (ds.xor2, {"d": 1}, ValueError, "d: must be >= 2"),
        (ds.xor2, {"n": 0}, ValueError, "n: must be >= 1"),
        (ds.xor2, {"flip": 0.7}, ValueError, r"flip: must lie in \[0, 0.5\]"),
        (ds.xor2, {"seed": -1}, ValueError, "seed"),
        (ds.xor2, {"normalize": "yes"}, TypeError, "normalize"),
        (ds.gaussians, {"separation": -1.0}, ValueError, "separation"),
        (ds.gaussians, {"clusters": 3}, ValueError, "clusters: must be 2 or 4"),
        (ds.digits, {"pair": (3, 3)}, ValueError, "pair: the two classes must differ"),
        (ds.digits, {"pair": (3, 12)}, ValueError, "pair: digits are 0-9"),
        (ds.digits, {"test_fraction": 1.0}, ValueError, "test_fraction"),
        (ds.digits, {"noise": -0.1}, ValueError, "noise"),
    ],
)
def test_bad_input(make, kwargs, error, match):
    if make is ds.digits:
        pytest.importorskip("sklearn")
    with pytest.raises(error, match=match):
        make(**kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([[1.0, 2.0]], [1, 1, 1]), {}, ValueError, r"y: expected shape \(1,\)"),
        (([[1.0, np.nan], [1.0, 0.0]], [1, -1]), {}, ValueError, "X: contains NaN"),
        (
            ([[1.0], [2.0]], [1, 1]),
            {},
            ValueError,
            "y: all labels are \\+1; the training labels must contain both classes",
        ),
        (([[1.0], [2.0]], [1, 2]), {}, ValueError, "y: labels must be in"),
        (([[1.0], [2.0]], [1, -1], [[1.0, 2.0]], [1]), {}, ValueError, "X_test"),
        (([[1.0], [2.0]], [1, -1], [[1.0]]), {}, ValueError, "X_test and y_test"),
        (([[1.0], [2.0]], [1, -1]), {"name": ""}, TypeError, "name"),
    ],
)
def test_from_arrays_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ds.from_arrays(*args, **kwargs)
