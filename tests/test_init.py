"""Initialisation: exact Philox4x64-10 + Box-Muller streams, nesting, composition, statistics."""

import numpy as np
import pytest

import kdfast
import reference as ref

# Float64 weights may differ from numpy's by an ulp or so, because the engine's
# libm log/sqrt/cos/sin need not round exactly like numpy's; 1e-14 leaves room
# for a few ulps and nothing else. The atol only covers a value that happens to
# land within 1e-15 of zero, where a relative ulp bound says nothing.
RTOL64, ATOL64 = 1e-14, 1e-15
# A float32 bank rounds the float64 value once: |w32 - w64| <= 2^-24 |w64|.
RTOL32 = 2.0**-24 + RTOL64

# the last seed needs all 64 bits of the key word; a uint64 array, since numpy
# turns a tuple mixing it with small ints into float64
SEEDS = np.array([0, 7, 2**63 + 5], dtype=np.uint64)


def test_reference_philox_matches_random123_known_answers():
    """The reference's numpy Philox reproduces Random123's philox4x64_10 known-answer vectors."""
    cases = [
        ((0, 0, 0, 0), (0, 0), (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
        (
            (2**64 - 1,) * 4,
            (2**64 - 1,) * 2,
            (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0),
        ),
        (
            (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89),
            (0x452821E638D01377, 0xBE5466CF34E90C6C),
            (0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6),
        ),
    ]
    for counter, key, expected in cases:
        value = sum(c << (64 * i) for i, c in enumerate(counter))
        start = (value - 1) % 2**256  # numpy increments before producing
        words = np.array([(start >> (64 * i)) & ref.MASK64 for i in range(4)], dtype=np.uint64)
        gen = np.random.Philox(key=np.array(key, dtype=np.uint64), counter=words)
        assert [int(x) for x in gen.random_raw(4)] == list(expected)
    # and the helper's counter layout: block c of neuron j is counter (c, j, 0, 0)
    got = ref.philox_blocks(0, 0, 0, 1)[0]
    assert [int(x) for x in got] == list(cases[0][2])


@pytest.mark.parametrize("d", [1, 4, 5, 9])
def test_init_float64_matches_reference(d):
    widths = (1, 3, 8)
    bank = kdfast.StudentBank(d, widths, seeds=SEEDS, dtype=np.float64)
    W0, a, net_widths, offsets = ref.init_bank(d, widths, SEEDS)
    assert bank.W0.dtype == np.float64 and bank.a.dtype == np.float64
    np.testing.assert_allclose(bank.W0, W0, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_array_equal(bank.W, bank.W0)
    np.testing.assert_array_equal(bank.a, a)
    np.testing.assert_array_equal(bank.widths, net_widths)
    np.testing.assert_array_equal(bank.offsets, offsets)


@pytest.mark.parametrize("d", [3, 8])
def test_init_float32_is_rounded_float64(d):
    widths = (2, 5)
    bank = kdfast.StudentBank(d, widths, seeds=SEEDS, dtype=np.float32)
    W0, a, _, _ = ref.init_bank(d, widths, SEEDS)
    assert bank.W0.dtype == np.float32 and bank.W.dtype == np.float32
    assert bank.a.dtype == np.float32
    np.testing.assert_allclose(bank.W0.astype(np.float64), W0, rtol=RTOL32, atol=ATOL64)
    np.testing.assert_array_equal(bank.a, a.astype(np.float32))
    # and it is the same stream as the float64 bank, rounded
    bank64 = kdfast.StudentBank(d, widths, seeds=SEEDS, dtype=np.float64)
    np.testing.assert_allclose(bank.W0.astype(np.float64), bank64.W0, rtol=2.0**-24, atol=0)


def test_bank_metadata():
    widths, seeds = (4, 1, 3), (11, 2)
    bank = kdfast.StudentBank(6, widths, seeds=seeds, dtype=np.float64)
    assert bank.n_networks == 6 and bank.n_neurons == 16 and bank.d == 6
    assert np.dtype(bank.dtype) == np.float64
    assert bank.W.shape == bank.W0.shape == (16, 6) and bank.a.shape == (16,)
    np.testing.assert_array_equal(bank.widths, [4, 1, 3, 4, 1, 3])
    assert bank.widths.dtype == np.int64
    np.testing.assert_array_equal(bank.seeds, np.array([11, 11, 11, 2, 2, 2], dtype=np.uint64))
    assert bank.seeds.dtype == np.uint64
    np.testing.assert_array_equal(bank.offsets, [0, 4, 5, 8, 12, 13, 16])
    assert bank.offsets.dtype == np.int64
    assert set(np.unique(bank.a)) <= {-1.0, 1.0}


def test_from_arrays_metadata():
    W0, a, widths, offsets = ref.init_bank(3, (2, 1), (5,))
    bank = kdfast.StudentBank.from_arrays(W0, a, widths)
    assert bank.seeds is None
    assert np.dtype(bank.dtype) == np.float64 and bank.n_networks == 2 and bank.n_neurons == 3
    np.testing.assert_array_equal(bank.W0, W0)
    np.testing.assert_array_equal(bank.W, W0)
    np.testing.assert_array_equal(bank.offsets, offsets)
    bank32 = kdfast.StudentBank.from_arrays(W0.astype(np.float32), a.astype(np.float32), widths)
    assert np.dtype(bank32.dtype) == np.float32 and bank32.W.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_widths_are_nested(dtype):
    """Width 64 is a prefix of width 128 for the same seed, within a bank and across banks."""
    d, seed = 7, 3
    bank = kdfast.StudentBank(d, (64, 128), seeds=(seed,), dtype=dtype)
    w64, w128 = bank.W0[0:64], bank.W0[64:192]
    np.testing.assert_array_equal(w64, w128[:64])
    np.testing.assert_array_equal(bank.a[0:64], bank.a[64:128])
    alone = kdfast.StudentBank(d, (128,), seeds=(seed,), dtype=dtype)
    np.testing.assert_array_equal(alone.W0, w128)
    np.testing.assert_array_equal(alone.a, bank.a[64:192])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_composition_invariance(dtype):
    """A network's weights depend only on (seed, width), not on its bank-mates."""
    d = 5
    big = kdfast.StudentBank(d, (1, 8, 3), seeds=(9, 4, 2**40), dtype=dtype)
    for k, (s, m) in enumerate([(s, m) for s in (9, 4, 2**40) for m in (1, 8, 3)]):
        lo, hi = big.offsets[k], big.offsets[k + 1]
        alone = kdfast.StudentBank(d, (m,), seeds=(s,), dtype=dtype)
        np.testing.assert_array_equal(big.W0[lo:hi], alone.W0, err_msg=f"seed {s} width {m}")
        np.testing.assert_array_equal(big.a[lo:hi], alone.a, err_msg=f"seed {s} width {m}")
    # different seeds give different weights
    assert not np.array_equal(big.W0[1:9], big.W0[13:21])


def test_init_statistics():
    """w ~ N(0, 1) entrywise and a uniform on {-1, +1}, checked with 5-sigma bounds.

    N = 2 * 4096 * 16 = 131072 weights: the sample mean has standard error
    1/sqrt(N) ~ 0.0028, the sample variance sqrt(2/N) ~ 0.0039, the fourth
    moment sqrt(96/N) ~ 0.027 (Var z^4 = 105 - 9), a correlation between two
    coordinates 1/sqrt(8192) ~ 0.011. The number of +1 signs among 8192 neurons
    is Binomial(8192, 1/2), standard deviation sqrt(8192)/2 ~ 45. The seeds
    are fixed, so the test is deterministic; 5 sigma keeps it meaningful.
    """
    bank = kdfast.StudentBank(16, (4096,), seeds=(0, 1), dtype=np.float64)
    w = bank.W0.ravel()
    N = w.size
    assert abs(w.mean()) < 5 / np.sqrt(N)
    assert abs(w.var() - 1.0) < 5 * np.sqrt(2.0 / N)
    assert abs(np.mean(w**4) - 3.0) < 5 * np.sqrt(96.0 / N)
    rows = bank.W0.shape[0]
    corr = np.corrcoef(bank.W0, rowvar=False)  # (16, 16) between coordinates
    assert np.max(np.abs(corr - np.eye(16))) < 5 / np.sqrt(rows)
    # Box-Muller bound: |z| <= sqrt(-2 ln 2^-54) since u >= 2^-54
    assert np.max(np.abs(w)) <= np.sqrt(-2 * np.log(2.0**-54))
    n_plus = int(np.sum(bank.a == 1.0))
    assert set(np.unique(bank.a)) == {-1.0, 1.0}
    assert abs(n_plus - rows / 2) < 5 * np.sqrt(rows) / 2
    # signs independent of the first weight's sign
    agree = np.mean(np.sign(bank.W0[:, 0]) == bank.a)
    assert abs(agree - 0.5) < 5 * 0.5 / np.sqrt(rows)
