"""ConvTeacher: a CNN teacher for image data sets of flattened rows (kdfast.deep, needs PyTorch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")  # the 8x8 digits ship with scikit-learn

import kdfast  # noqa: E402
from kdfast import datasets  # noqa: E402
from kdfast._sampling import holdout  # noqa: E402
from kdfast.deep import ConvTeacher  # noqa: E402

# One thread: the runs are reproducible bit for bit and do not fight over the shared cores.
SMALL = dict(width=8, epochs=6, lr=1e-2, n_threads=1)


@pytest.fixture(scope="module")
def noisy():
    """3 vs 5 of the 8x8 digits with 30% of the training labels flipped: validation accuracy peaks early."""
    return datasets.digits((3, 5), flip=0.3, seed=1)


@pytest.fixture(scope="module")
def fitted(noisy):
    return ConvTeacher(**SMALL).fit(noisy.X_train, noisy.y_train)


def test_fits_and_gives_float64_logits(noisy, fitted):
    f = fitted.logits(noisy.X_test)
    assert f.dtype == np.float64 and f.shape == (noisy.n_test,) and np.isfinite(f).all()
    assert fitted.n_features_in_ == 64 and fitted.shape_ == (1, 8, 8)
    assert not fitted.model_.training
    # A convolutional teacher on clean test labels, trained on 30% flipped ones.
    assert np.mean(fitted.predict(noisy.X_test) == noisy.y_test) > 0.8
    np.testing.assert_allclose(fitted.predict_proba(noisy.X_test), 1 / (1 + np.exp(-f)), rtol=1e-12)
    # z_1 - z_0 of the network itself, on the standardised images.
    x = (noisy.X_test - fitted.mean_) / fitted.std_
    with torch.no_grad():
        z = fitted.model_(torch.as_tensor(x.reshape(-1, 1, 8, 8), dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(f, z[:, 1] - z[:, 0], rtol=1e-5, atol=1e-6)
    assert fitted.loss_curve_.shape == (SMALL["epochs"],)


def test_early_stopping_keeps_the_first_best_epoch(noisy, fitted):
    acc = fitted.validation_acc_
    assert acc.shape == (SMALL["epochs"] + 1,)  # [0]: the initial weights
    assert fitted.best_epoch_ == int(np.argmax(acc))  # argmax: the first of the best
    assert 0 < fitted.best_epoch_ < SMALL["epochs"]  # this run does stop early
    # The kept weights score validation_acc_[best_epoch_] on the held-out rows, recomputed here.
    held = holdout(noisy.y_train.astype(np.int8), 0.1, np.random.default_rng(0))
    own = np.mean(fitted.predict(noisy.X_train[held]) == noisy.y_train[held])
    assert own == pytest.approx(acc[fitted.best_epoch_])
    # ... and they are the weights after best_epoch_ epochs: a run that stops there agrees bit for bit.
    short = ConvTeacher(**{**SMALL, "epochs": fitted.best_epoch_}).fit(noisy.X_train, noisy.y_train)
    assert short.best_epoch_ == fitted.best_epoch_
    np.testing.assert_array_equal(short.logits(noisy.X_test), fitted.logits(noisy.X_test))


def test_without_validation_the_last_epoch_is_kept(noisy):
    teacher = ConvTeacher(**{**SMALL, "epochs": 2, "validation": None}).fit(noisy.X_train, noisy.y_train)
    assert teacher.best_epoch_ == 2 and teacher.validation_acc_ is None


def test_the_seed_decides_everything(noisy, fitted):
    X, y, X_test = noisy.X_train, noisy.y_train, noisy.X_test
    again = ConvTeacher(**SMALL).fit(X, y)
    np.testing.assert_array_equal(again.logits(X_test), fitted.logits(X_test))
    np.testing.assert_array_equal(again.validation_acc_, fitted.validation_acc_)
    other = ConvTeacher(**SMALL).set_params(seed=1).fit(X, y)  # how compare reseeds a replicate
    assert not np.allclose(other.logits(X_test), fitted.logits(X_test))


def test_torch_settings_are_restored_even_when_interrupted(noisy, monkeypatch):
    import kdfast.deep.teacher as module

    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    ConvTeacher(**{**SMALL, "epochs": 1, "n_threads": 1}).fit(noisy.X_train, noisy.y_train)
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before

    calls = []

    def ctrl_c():
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(module, "stop_if_cancelled", ctrl_c)
    teacher = ConvTeacher(**{**SMALL, "n_threads": 1})
    with pytest.raises(KeyboardInterrupt):
        teacher.fit(noisy.X_train, noisy.y_train)
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before
    with pytest.raises(kdfast.NotFittedError):  # nothing half-fitted
        teacher.logits(noisy.X_test)


@pytest.mark.parametrize(
    ("d", "shape", "message"),
    [
        (60, None, r"^shape: rows of 60 values are not square"),
        (64, (1, 8, 7), r"^shape: \(1, 8, 7\) holds 56 values, but rows of X have 64"),
        (64, (8, 8), r"^shape: expected \(channels, height, width\)"),
        (64, (1, 2, 32), r"^shape: the CNN pools twice by 2 and needs images of at least 4 x 4"),
        (64, (1, 0, 64), r"^shape: every value must be >= 1"),
    ],
)
def test_bad_shapes_are_refused(d, shape, message):
    rng = np.random.default_rng(0)
    X, y = rng.random((10, d)), np.tile([-1, 1], 5)
    with pytest.raises(kdfast.InputError, match=message):
        ConvTeacher(shape, epochs=1).fit(X, y)


def test_other_bad_input(noisy):
    X, y = noisy.X_train, noisy.y_train
    with pytest.raises(kdfast.NotFittedError, match="ConvTeacher is not fitted"):
        ConvTeacher().logits(X)
    for bad, message in [
        (dict(width=0), "^width: must be >= 1"),
        (dict(validation=1.0), r"^validation: must lie in the open interval \(0, 1\)"),
        (dict(device="abacus"), "^device: expected 'cpu'"),
        (dict(n_threads=0), "^n_threads: must not be 0"),
    ]:
        with pytest.raises(kdfast.InputError, match=message):
            ConvTeacher(**bad).fit(X, y)
    with pytest.raises(kdfast.InputError, match="^y: "):
        ConvTeacher(epochs=1).fit(X, np.ones(len(y)))
    teacher = ConvTeacher(**{**SMALL, "epochs": 1}).fit(X, y)
    with pytest.raises(kdfast.InputError, match="^X: expected 64 columns"):
        teacher.logits(X[:, :63])


def test_a_non_square_image_shape_is_given(noisy):
    """Rows are read in C order (channels, height, width): 8 x 8 digits as two 4 x 8 half-images."""
    teacher = ConvTeacher((2, 4, 8), **{**SMALL, "epochs": 1}).fit(noisy.X_train, noisy.y_train)
    assert teacher.shape_ == (2, 4, 8) and teacher.logits(noisy.X_test).shape == (noisy.n_test,)


def test_compare_with_a_conv_teacher():
    data = datasets.digits((3, 5), n=120, seed=2)
    result = kdfast.compare(
        data, teacher=ConvTeacher(epochs=2, width=4, n_threads=1), widths=[1, 4], seeds=1, steps=5, progress=False
    )
    teacher = result.teacher
    assert isinstance(teacher, ConvTeacher) and teacher.best_epoch_ in (0, 1, 2)
    assert len(result.table) == 4 and np.isfinite(result.table["mean_loss"]).all()
    f_test = teacher.logits(data.X_test)
    assert result.params["teacher_test_acc"] == pytest.approx(np.mean(np.sign(f_test) == data.y_test))
