"""Deep students: vectorised seeds equal to one-by-one training, reproducible comparisons, the Comparison's tables.

Tiny models and data (digits subsets, widths 1-2, one or two epochs) on
one thread keep the whole file to seconds.
"""

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
deep = pytest.importorskip("kdfast.deep")
pytest.importorskip("sklearn")
from kdfast.deep.train import init_students, torch_settings, train  # noqa: E402

import kdfast  # noqa: E402

SMALL = dict(widths=[1, 2], seeds=2, epochs=2, batch_size=32, teacher_params={"width": 4, "epochs": 2}, n_threads=1)


@pytest.fixture(scope="module")
def data():
    return deep.digits(n=96, n_test=48, flip=0.2)


def _parameters(modules):
    return [p.detach().clone() for m in modules for p in m.parameters()]


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_vectorised_training_equals_training_each_module(data, arch, optimizer):
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    teacher = torch.randn(data.n_train, data.n_classes, generator=torch.Generator().manual_seed(0))
    factory = deep.student_factory(arch, data.shape, data.n_classes)
    seeds = [0, 1, 0, 1]  # soft and hard students of two seeds, paired
    kwargs = dict(
        seeds=seeds,
        temperature=[4.0, 4.0, 1.0, 1.0],
        alpha=[1.0, 0.5, 0.0, 0.0],
        epochs=2,
        batch_size=32,
        lr=0.02,
        optimizer=optimizer,
        X_test=torch.from_numpy(data.X_test),
        y_test=torch.from_numpy(data.y_test),
        teacher_test_logits=teacher[:48],
    )
    with torch_settings(1):
        stacked = init_students(factory, 3, seeds)
        each = copy.deepcopy(stacked)
        start = _parameters(stacked)
        a = train(stacked, X, y, teacher, vectorize=True, **kwargs)
        b = train(each, X, y, teacher, vectorize=False, **kwargs)
    # Both do the same float32 arithmetic in another summation order: after
    # 8 steps they differ by a few hundred float32 ulps of each tensor's scale
    # (Adam's division by sqrt(v) amplifies rounding in small gradients);
    # 1e-4 of the scale is well above that and far below a step's change.
    moved = 0.0
    for p, q, p0 in zip(_parameters(stacked), _parameters(each), start):
        scale = q.abs().max().item()
        assert (p - q).abs().max().item() <= 1e-4 * scale
        moved = max(moved, (q - p0).abs().max().item() / scale)
    assert moved > 1e-2  # the students did move, by far more than the tolerance
    np.testing.assert_allclose(a.epoch_loss, b.epoch_loss, rtol=1e-5)
    np.testing.assert_allclose(a.test_acc, b.test_acc, atol=1.5 / data.n_test)  # at most one test image flips
    assert a.steps == 2 * 3  # ceil(96 / 32) batches a epoch


def test_students_start_from_their_seed_alone():
    factory = deep.student_factory("cnn", (1, 8, 8), 10)
    before = torch.random.get_rng_state()
    a = init_students(factory, 2, [0, 1, 0])
    assert torch.equal(torch.random.get_rng_state(), before)  # the global stream is untouched
    assert all(torch.equal(p, q) for p, q in zip(a[0].parameters(), a[2].parameters()))
    assert not torch.equal(next(a[0].parameters()), next(a[1].parameters()))


def test_a_comparison_is_reproducible_and_paired(data):
    one = deep.compare(data, temperature=3.0, **SMALL)
    two = deep.compare(data, temperature=3.0, **SMALL)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.curves, two.curves)
    table = one.table
    assert list(table.columns[:5]) == ["dataset", "arch", "mode", "width", "seed"]
    for column in ("mean_loss", "final_loss", "train_acc", "test_loss", "test_acc", "teacher_agreement"):
        assert table[column].notna().all(), column
    assert list(table["mode"]) == ["soft"] * 4 + ["hard"] * 4
    assert set(table.loc[table["mode"] == "soft", "temperature"]) == {3.0}
    assert set(table.loc[table["mode"] == "hard", "alpha"]) == {0.0}
    assert one.params["teacher_test_acc"] is not None and one.params["steps"] == 2 * 3
    summary = one.summary(["test_acc"])
    assert list(summary["width"]) == [1, 2] and (summary["n_seeds"] == 2).all()


def test_the_comparison_saves_loads_and_plots_like_the_two_layer_one(data, tmp_path):
    pytest.importorskip("matplotlib")
    result = deep.compare(data, arch="mlp", **SMALL)
    for suffix in ("json", "parquet", "csv"):
        if suffix == "parquet":
            pytest.importorskip("pyarrow")
        path = tmp_path / f"r.{suffix}"
        result.save(path)
        loaded = kdfast.load(path)
        assert isinstance(loaded, kdfast.Comparison)
        pd.testing.assert_frame_equal(loaded.table, result.table, check_dtype=False)
        if suffix != "csv":
            pd.testing.assert_frame_equal(loaded.curves, result.curves, check_dtype=False)
            assert loaded.params["arch"] == "mlp"
    figure = loaded.plot(tmp_path / "plot.png", metrics=("test_acc", "teacher_agreement"))
    assert len(figure.axes) == 2 and (tmp_path / "plot.png").stat().st_size > 0


def test_a_sweep_over_noise_levels_runs_here_or_on_an_executor(data, tmp_path):
    levels = {f"flip={f}": data.with_flip(f) for f in (0.0, 0.4)}
    kwargs = {**SMALL, "widths": [1], "seeds": 1, "epochs": 1}
    serial = deep.sweep(levels, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        parallel = deep.sweep(levels, executor=pool, **kwargs)
    assert isinstance(serial, kdfast.Sweep) and list(serial.comparisons) == list(levels)
    pd.testing.assert_frame_equal(serial.table, parallel.table)
    assert serial.difficulty("flip") == {"flip=0.0": 0.0, "flip=0.4": 0.4}
    serial.save(tmp_path / "s.json")
    assert kdfast.load(tmp_path / "s.json").table.shape == serial.table.shape


def test_teachers_given_as_logits_or_a_module(data):
    kwargs = {**SMALL, "widths": [1], "seeds": 1, "epochs": 1, "teacher_params": None}
    logits = np.zeros((data.n_train, data.n_classes), np.float32)
    logits[np.arange(data.n_train), data.y_train_clean] = 5.0  # a teacher that knows the clean labels
    result = deep.compare(data, teacher=logits, **kwargs)
    assert result.params["teacher_clean_train_acc"] == 1.0 and result.params["teacher_test_acc"] is None
    soft = result.table[result.table["mode"] == "soft"]
    assert soft["test_loss"].isna().all() and soft["teacher_agreement"].isna().all()
    module = deep.CNN(2, data.shape, data.n_classes)
    result = deep.compare(data, teacher=module, **kwargs)
    assert result.params["teacher"] == "given module CNN" and result.table["teacher_agreement"].notna().all()
    factory = deep.student_factory("mlp", data.shape, data.n_classes)
    result = deep.compare(data, arch=lambda width: factory(width), teacher=(logits, logits[:48]), **kwargs)
    assert result.table["arch"].iloc[0] == "test_teachers_given_as_logits_or_a_module.<locals>.<lambda>"


def test_bad_arguments_are_named(data):
    with pytest.raises(TypeError, match="data"):
        deep.compare(kdfast.datasets.xor2(n=20))
    with pytest.raises(ValueError, match="arch"):
        deep.compare(data, arch="resnet")
    with pytest.raises(ValueError, match="optimizer"):
        deep.compare(data, optimizer="rmsprop")
    with pytest.raises(ValueError, match="teacher_params"):
        deep.compare(data, teacher_params={"depth": 3})
    with pytest.raises(ValueError, match="teacher"):
        deep.compare(data, teacher=np.zeros((3, 10)))
    with pytest.raises(ValueError, match="widths"):
        deep.compare(data, widths=[0])
    with pytest.raises(ValueError, match="temperature"):
        deep.compare(data, temperature=0)
    with pytest.raises(TypeError, match="arch"):
        deep.compare(data, arch=lambda width: "not a module", **{**SMALL, "teacher_params": None})
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device"):
            deep.compare(data, device="cuda")
