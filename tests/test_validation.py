"""Bad input gets a ValueError or TypeError that names the argument."""

import numpy as np
import pytest

import kdfast

N, D = 12, 3


@pytest.fixture
def bank():
    return kdfast.StudentBank(D, [1, 2], seeds=[0, 1], dtype=np.float64)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    y = np.where(rng.normal(size=N) > 0, 1.0, -1.0)
    return X, y


def fit(bank, X, target, **kwargs):
    kwargs.setdefault("steps", 2)
    return bank.fit(X, target, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, [1]), {}, ValueError, "d: must be >= 1"),
        ((2.5, [1]), {}, TypeError, "d: expected an integer"),
        ((True, [1]), {}, TypeError, "d: expected an integer"),
        ((3, [0, 2]), {}, ValueError, "widths: every value must be >= 1"),
        ((3, [-1]), {}, ValueError, "widths"),
        ((3, []), {}, ValueError, "widths: expected a non-empty"),
        ((3, [1.5]), {}, TypeError, "widths: expected integers"),
        ((3, [True]), {}, TypeError, "widths: expected integers"),
        ((3, np.array([2.0])), {}, TypeError, "widths: expected integers"),
        ((3, [1]), {"seeds": [-1]}, ValueError, "seeds: every value must be >= 0"),
        ((3, [1]), {"seeds": [2**64]}, ValueError, "seeds"),
        ((3, [1]), {"dtype": np.int32}, TypeError, "dtype: must be float32 or float64"),
        ((3, [1]), {"dtype": np.float16}, TypeError, "dtype"),
        ((3, [1]), {"dtype": "no-such-type"}, TypeError, "dtype"),
    ],
)
def test_constructor_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        kdfast.StudentBank(*args, **kwargs)


def test_too_large_bank_is_a_memory_error_stating_the_size():
    with pytest.raises(MemoryError, match=r"needs [0-9.]+ GiB"):
        kdfast.StudentBank(10**6, [10**7])


@pytest.mark.parametrize(
    ("W0", "a", "widths", "error", "match"),
    [
        (np.zeros((3, 2), np.int64), [1, 1, 1], [3], TypeError, "W0: must be a float32 or float64"),
        (np.zeros(3), [1, 1, 1], [3], ValueError, "W0: expected shape"),
        (np.full((3, 2), np.nan), [1, 1, 1], [3], ValueError, "W0: contains NaN"),
        (np.zeros((3, 2)), [1, 0, 1], [3], ValueError, "a: every sign must be -1 or \\+1"),
        (np.zeros((3, 2)), [1, 1], [3], ValueError, "a: expected shape \\(3,\\)"),
        (np.zeros((3, 2)), [1, 1, 1], [2], ValueError, "widths: must sum to the number of rows of W0 \\(3\\)"),
        (np.zeros((3, 2)), [1, 1, 1], [3, 0], ValueError, "widths: every value must be >= 1"),
    ],
)
def test_from_arrays_rejects(W0, a, widths, error, match):
    with pytest.raises(error, match=match):
        kdfast.StudentBank.from_arrays(W0, a, widths)


def test_inputs_rejected(bank, data):
    X, y = data
    with pytest.raises(ValueError, match=r"X: expected shape \(n, 3\).*got \(12, 2\)"):
        bank.logits(X[:, :2])
    with pytest.raises(ValueError, match="X: expected shape"):
        bank.logits(X[0])
    with pytest.raises(ValueError, match="X: expected shape"):
        bank.logits(X[:0])
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="X: contains NaN or infinity"):
        bank.logits(bad)
    with pytest.raises(TypeError, match="X: expected real numbers"):
        bank.logits(X.astype(complex))
    with pytest.raises(TypeError, match="X: expected real numbers"):
        bank.logits(np.array([["a", "b", "c"]]))


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (np.full(N, 1.5), r"target: column 0: probabilities must lie in \[0, 1\]"),
        (np.full(N, -0.5), r"target: column 0 has negative values, so it must be labels in \{-1, \+1\}"),
        (np.r_[np.full(N - 1, 0.5), np.nan], "target: contains NaN"),
        (np.full(N - 1, 0.5), r"target: expected shape \(12,\) or \(12, C\)"),
        (np.full((N, 1, 1), 0.5), "target: expected shape"),
    ],
)
def test_targets_rejected(bank, data, target, match):
    with pytest.raises(ValueError, match=match):
        fit(bank, data[0], target)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": -1}, ValueError, "steps: must be >= 0"),
        ({"steps": 2.0}, TypeError, "steps: expected an integer"),
        ({"record_every": 0}, ValueError, "record_every: must be >= 1"),
        ({"lr": 0.0}, ValueError, "lr: must be > 0"),
        ({"lr": -1.0}, ValueError, "lr: must be > 0"),
        ({"lr": np.inf}, ValueError, "lr: must be finite"),
        ({"lr": [1.0, 1.0]}, ValueError, r"lr: expected a scalar or shape \(4,\)"),
        ({"temperature": 0.0}, ValueError, "temperature: must be > 0"),
        ({"temperature": np.nan}, ValueError, "temperature: must be finite"),
        ({"radius": 0.0}, ValueError, "radius: must be > 0"),
        ({"radius": -2.0}, ValueError, "radius: must be > 0"),
        ({"radius": np.nan}, ValueError, "radius: must be finite or inf"),
        ({"radius": 1.0, "projection": "layer"}, ValueError, "projection: expected one of 'neuron', 'network'"),
        ({"projection": None}, ValueError, "projection"),
        ({"n_threads": 0}, ValueError, "n_threads: must not be 0"),
        ({"n_threads": 1.5}, TypeError, "n_threads: expected None or an integer"),
        ({"y": np.full(N, 2.0)}, ValueError, r"y: labels must be in \{-1, \+1\} or \{0, 1\}"),
        ({"y": np.ones(N - 1)}, ValueError, r"y: expected shape \(12,\)"),
        ({"target_index": [0, 0, 0, 1]}, ValueError, r"target_index: columns must lie in \[0, 1\)"),
        ({"target_index": [0, 0]}, ValueError, r"target_index: expected shape \(4,\)"),
        ({"target_index": [0.0] * 4}, TypeError, "target_index: expected integers"),
    ],
)
def test_fit_arguments_rejected(bank, data, kwargs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        fit(bank, X, y, **kwargs)


def test_target_matrix_needs_target_index(bank, data):
    X, y = data
    with pytest.raises(ValueError, match="target_index: required when target has 2 columns"):
        fit(bank, X, np.stack([(1 + y) / 2, np.full(N, 0.5)], axis=1))


def test_test_set_arguments_rejected(bank, data):
    X, y = data
    with pytest.raises(ValueError, match="X_test and y_test: give both or neither"):
        fit(bank, X, y, X_test=X)
    with pytest.raises(ValueError, match="target_test: needs X_test and y_test"):
        fit(bank, X, y, target_test=(1 + y) / 2)
    with pytest.raises(ValueError, match=r"X_test: expected shape \(n, 3\)"):
        fit(bank, X, y, X_test=X[:, :1], y_test=y)
    with pytest.raises(ValueError, match=r"y_test: labels must be in"):
        fit(bank, X, y, X_test=X, y_test=np.full(N, 0.5))
    with pytest.raises(ValueError, match=r"target_test: expected 1 column\(s\) like target, got 2"):
        fit(bank, X, y, X_test=X, y_test=y, target_test=np.full((N, 2), 0.5))


def test_rejected_fit_leaves_the_bank_untouched(bank, data):
    X, y = data
    W = bank.W
    with pytest.raises(ValueError):
        fit(bank, X, y, lr=-1.0)
    assert bank.W is W


def test_conversions(data):
    """Non-contiguous and float64 inputs work; float64 -> float32 rounds like casting first."""
    X, y = data
    bank = kdfast.StudentBank(D, [2, 5], dtype=np.float32)
    X_wide = np.asfortranarray(np.repeat(X, 2, axis=1))[:, ::2]
    assert not X_wide.flags.c_contiguous
    np.testing.assert_array_equal(bank.logits(X_wide), bank.logits(X.astype(np.float32)))
    assert bank.logits(X).dtype == np.float32
    ints = np.arange(N * D).reshape(N, D) % 3 - 1
    np.testing.assert_array_equal(bank.logits(ints), bank.logits(ints.astype(np.float32)))


def test_core_rejects_mismatched_arrays():
    """The compiled module checks structure itself, whoever calls it."""
    from kdfast import _core

    W0 = np.zeros((3, 2))
    a = np.ones(3)
    offsets = np.array([0, 1, 3], dtype=np.int64)
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="X: expected dtype float64, got float32"):
        _core.logits(W=W0, W0=W0, a=a, offsets=offsets, X=X.astype(np.float32), n_threads=1)
    with pytest.raises(ValueError, match=r"X: unexpected shape \(4, 3\)"):
        _core.logits(W=W0, W0=W0, a=a, offsets=offsets, X=np.zeros((4, 3)), n_threads=1)
    with pytest.raises(ValueError, match="offsets: must run from 0 to the number of neurons"):
        _core.logits(W=W0, W0=W0, a=a, offsets=np.array([0, 1, 2], dtype=np.int64), X=X, n_threads=1)
    with pytest.raises(ValueError, match="offsets: every network needs at least one neuron"):
        _core.logits(W=W0, W0=W0, a=a, offsets=np.array([0, 3, 3], dtype=np.int64), X=X, n_threads=1)
    with pytest.raises(ValueError, match="X: must be C-contiguous"):
        _core.logits(W=W0, W0=W0, a=a, offsets=offsets, X=np.zeros((2, 4)).T, n_threads=1)


def test_large_seeds_are_exact():
    """Python ints above 2**63 are not routed through float64."""
    mixed = kdfast.StudentBank(2, [3], seeds=(0, 2**63 + 5))
    assert mixed.seeds.tolist() == [0, 2**63 + 5]
    alone = kdfast.StudentBank(2, [3], seeds=[2**63 + 5])
    np.testing.assert_array_equal(mixed.W0[3:], alone.W0)
