"""Symmetric initialisation: pairs (w, a), (w, -a) from one draw, so f(x; W0) = 0 exactly."""

import numpy as np
import pytest

import kdfast
import reference as ref
from kdfast import _core
from test_init import ATOL64, RTOL32, RTOL64, SEEDS
from test_reference import TOL, assert_close, compare_history, make_data

WIDTHS = (2, 6, 16)


def symmetric_bank(d, widths=WIDTHS, seeds=SEEDS, dtype=np.float64):
    return kdfast.StudentBank(d, widths, seeds=seeds, dtype=dtype, init="symmetric")


@pytest.mark.parametrize("d", [1, 4, 9])
def test_matches_reference(d):
    bank = symmetric_bank(d)
    W0, a, widths, offsets = ref.init_bank(d, WIDTHS, SEEDS, symmetric=True)
    assert bank.init == "symmetric"
    np.testing.assert_allclose(bank.W0, W0, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_array_equal(bank.a, a)
    np.testing.assert_array_equal(bank.widths, widths)
    np.testing.assert_array_equal(bank.offsets, offsets)
    bank32 = symmetric_bank(d, dtype=np.float32)
    np.testing.assert_allclose(bank32.W0.astype(np.float64), W0, rtol=RTOL32, atol=ATOL64)
    np.testing.assert_array_equal(bank32.a, a.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pairs_and_draws(dtype):
    """Neurons 2p, 2p+1 share w and have opposite signs; draw p is neuron p of the Gaussian stream."""
    d, seed, m = 6, 11, 40
    bank = symmetric_bank(d, (m,), (seed,), dtype)
    np.testing.assert_array_equal(bank.W0[0::2], bank.W0[1::2])
    np.testing.assert_array_equal(bank.a[0::2], -bank.a[1::2])
    gaussian = kdfast.StudentBank(d, (m // 2,), seeds=(seed,), dtype=dtype)
    assert gaussian.init == "gaussian"
    np.testing.assert_array_equal(bank.W0[0::2], gaussian.W0)
    np.testing.assert_array_equal(bank.a[0::2], gaussian.a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [7, 64])  # both layouts of the kernels
def test_initial_function_is_exactly_zero(dtype, d):
    """Every network's output is 0, not merely small: the pair's terms cancel in the same order."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(137, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    bank = symmetric_bank(d, (2, 4, 10, 64, 258), (0, 5), dtype)
    F = bank.logits(X)
    assert F.shape == (137, 10)
    assert np.all(F == 0.0)
    # and the Gaussian start is not: the property is the initialisation's
    assert np.all(kdfast.StudentBank(d, (64,), dtype=dtype).logits(X) != 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nesting_and_composition(dtype):
    d = 5
    bank = symmetric_bank(d, (64, 128), (3,), dtype)
    np.testing.assert_array_equal(bank.W0[:64], bank.W0[64:128])
    np.testing.assert_array_equal(bank.a[:64], bank.a[64:128])
    big = symmetric_bank(d, (2, 8, 4), (9, 2**40), dtype)
    for k, (s, m) in enumerate([(s, m) for s in (9, 2**40) for m in (2, 8, 4)]):
        lo, hi = big.offsets[k], big.offsets[k + 1]
        alone = symmetric_bank(d, (m,), (s,), dtype)
        np.testing.assert_array_equal(big.W0[lo:hi], alone.W0, err_msg=f"seed {s} width {m}")
        np.testing.assert_array_equal(big.a[lo:hi], alone.a, err_msg=f"seed {s} width {m}")


def test_thread_independence():
    widths = np.array([2, 130, 4, 66], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(widths))).astype(np.int64)
    seeds = np.array([1, 1, 7, 7], dtype=np.uint64)
    arrays = []
    for threads in (1, 2):
        W0, a = np.empty((int(offsets[-1]), 9)), np.empty(int(offsets[-1]))
        _core.init_bank(W0=W0, a=a, seeds=seeds, offsets=offsets, symmetric=True, n_threads=threads)
        arrays.append((W0, a))
    np.testing.assert_array_equal(arrays[0][0], arrays[1][0])
    np.testing.assert_array_equal(arrays[0][1], arrays[1][1])
    X, y, _ = make_data(n=150, d=9, seed=2)
    fits = []
    for threads in (1, 2):
        bank = symmetric_bank(9, (2, 40, 130), (3,), np.float32)
        history = bank.fit(X, y, steps=5, lr=2.0, radius=1.0, n_threads=threads)
        fits.append((bank.W, history.loss))
    np.testing.assert_array_equal(fits[0][0], fits[1][0])
    np.testing.assert_array_equal(fits[0][1], fits[1][1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_matches_reference(dtype):
    """Projected descent from the symmetric start, soft targets: the reference from the reference's own W0."""
    d, widths, seeds = 5, (2, 4, 8), (0, 1)
    X, y, p = make_data(d=d, seed=7)
    X, p = (np.asarray(v, dtype=dtype) for v in (X, p))
    bank = symmetric_bank(d, widths, seeds, dtype)
    W0, a, net_widths, _ = ref.init_bank(d, widths, seeds, symmetric=True)
    W0 = W0.astype(dtype).astype(np.float64)  # the float32 bank starts from the rounded draws
    kw = dict(steps=12, lr=2.0, radius=0.5, temperature=1.5, y=y)
    history = bank.fit(X, p, **kw)
    want = ref.fit(W0, a, net_widths, X, p, **kw)
    assert want.n_projected > 0, "radius chosen so that the projection acts"
    assert_close(bank.W, want.W, TOL[dtype], "W")
    # At W0 the reference's BLAS product may round the two rows of a pair
    # differently, leaving logits of ~1e-17 whose signs are noise; kdfast's
    # are exactly 0, which the contract counts as wrong: accuracy 0.
    assert np.max(np.abs(ref.logits(W0, a, net_widths, X))) < 1e-14
    assert np.all(history.train_acc[0] == 0.0)
    want.train_acc[0] = 0.0
    compare_history(history, want, dtype, acc_atol=0.0 if dtype == np.float64 else 1.01 / 50)
    # the first recorded loss is that of f = 0: ln 2 - H(p), times tau^2 at tau = 1.5, per network
    kl0 = ref.loss(np.zeros((50, len(net_widths))), np.repeat(p[:, None], len(net_widths), 1).astype(float), 1.5)
    np.testing.assert_allclose(history.loss[0], kl0, rtol=TOL[dtype])


def test_bad_input():
    with pytest.raises(ValueError, match=r"widths: init='symmetric' needs even widths.*\[3, 5\]"):
        kdfast.StudentBank(4, (2, 3, 5), init="symmetric")
    with pytest.raises(ValueError, match="init: expected one of 'gaussian', 'symmetric'"):
        kdfast.StudentBank(4, (2,), init="paired")
    with pytest.raises(ValueError, match="init"):
        kdfast.StudentBank(4, (2,), init=None)
    # the engine refuses odd widths on its own as well
    W0, a = np.empty((3, 2)), np.empty(3)
    with pytest.raises(ValueError, match="offsets: a symmetric initialisation needs even widths"):
        _core.init_bank(
            W0=W0, a=a, seeds=np.zeros(1, np.uint64), offsets=np.array([0, 3], np.int64), symmetric=True, n_threads=1
        )
