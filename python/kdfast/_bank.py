"""A bank of two-layer ReLU students trained together by the compiled engine."""

from __future__ import annotations

import numpy as np

from . import _core
from . import _validation as check
from ._history import History
from ._threads import effective_n_threads

# The codes of the engine's Projection enum (none = 0 when radius is None).
_PROJECTIONS = dict(zip(check.PROJECTIONS, (1, 2)))
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _dtype(value) -> np.dtype:
    try:
        dtype = np.dtype(value)
    except TypeError as err:
        raise check.InputTypeError(f"dtype: not a NumPy dtype: {value!r}") from err
    if dtype not in _DTYPES:
        raise check.InputTypeError(f"dtype: must be float32 or float64, got {dtype}")
    return dtype


class StudentBank:
    """K two-layer ReLU students f(x) = (1/sqrt(m)) sum_s a_s relu(<w_s, x>).

    One network per (seed, width), seeds outer and widths inner, packed into
    one (M, d) weight matrix (network k owns rows offsets[k]:offsets[k+1]).
    Only the first layer W is trained; the signs a are fixed.

    Initial weights come from a counter-based generator (Philox4x64-10) keyed
    by (seed, neuron index): w ~ N(0, I_d) and a uniform on {-1, +1}. So the
    width-64 network of a seed is a prefix of its width-128 network, soft and
    hard students of one seed start from the same weights, and a network's
    start does not depend on the rest of the bank or on the thread count.

    With ``init="symmetric"`` neurons come in pairs: neurons 2p and 2p + 1
    are (w, a) and (w, -a), with (w, a) draw p of the seed's stream. Every
    network then starts from the zero function, f(x; W0) = 0 exactly, the
    device NTK analyses use to remove the random initial function (which a
    student would otherwise have to cancel inside its projection ball).
    Widths must be even; nesting, pairing and thread independence hold as
    for the Gaussian start.

    Parameters
    ----------
    d : int
        Input dimension.
    widths : int or sequence of int
        Widths m >= 1 of the networks, for each seed.
    seeds : int or sequence of int, default (0,)
        Seeds in [0, 2**64).
    dtype : float32 or float64, default float32
        Precision of weights and arithmetic.
    init : "gaussian" (default) or "symmetric"
        Independent neurons, or pairs (w, a), (w, -a) starting at f = 0.
    """

    def __init__(self, d, widths, seeds=(0,), dtype=np.float32, *, init="gaussian"):
        d = check.positive_int(d, "d")
        widths = np.array(check.int_list(widths, "widths", minimum=1), dtype=np.int64)
        seeds = check.int_list(seeds, "seeds", minimum=0)
        if max(seeds) >= 2**64:
            raise check.InputValueError(f"seeds: every value must be < 2**64, got {max(seeds)}")
        dtype = _dtype(dtype)
        init = check.init(init, widths)
        net_widths = np.tile(widths, len(seeds))
        net_seeds = np.repeat(np.array(seeds, dtype=np.uint64), len(widths))
        offsets = np.concatenate(([0], np.cumsum(net_widths))).astype(np.int64)
        M = int(offsets[-1])
        check.ensure_memory(2 * M * d * dtype.itemsize, f"a bank of {M} neurons x {d} inputs ({dtype})")
        W0 = np.empty((M, d), dtype=dtype)
        a = np.empty(M, dtype=dtype)
        _core.init_bank(
            W0=W0,
            a=a,
            seeds=net_seeds,
            offsets=offsets,
            symmetric=init == "symmetric",
            n_threads=effective_n_threads(None),
        )
        self._setup(W0, a, offsets, net_seeds)
        self._init = init

    @classmethod
    def from_arrays(cls, W0, a, widths) -> StudentBank:
        """A bank with explicit initial weights.

        W0 : (M, d) float32 or float64 array; its dtype is the bank's.
        a : (M,) signs in {-1, +1}.
        widths : (K,) positive integers summing to M.
        """
        W0 = np.asarray(W0)
        if W0.dtype not in _DTYPES:
            raise check.InputTypeError(f"W0: must be a float32 or float64 array, got dtype {W0.dtype}")
        W0 = check.matrix(W0, "W0", W0.dtype)
        M = W0.shape[0]
        signs = check.real_array(a, "a")
        if signs.shape != (M,):
            raise check.InputValueError(f"a: expected shape ({M},) to match W0, got {signs.shape}")
        if not np.isin(signs, (-1, 1)).all():
            raise check.InputValueError("a: every sign must be -1 or +1")
        widths = np.array(check.int_list(widths, "widths", minimum=1), dtype=np.int64)
        if widths.sum() != M:
            raise check.InputValueError(f"widths: must sum to the number of rows of W0 ({M}), got {int(widths.sum())}")
        bank = cls.__new__(cls)
        offsets = np.concatenate(([0], np.cumsum(widths))).astype(np.int64)
        bank._setup(W0.copy(), signs.astype(W0.dtype), offsets, None)
        bank._init = None
        return bank

    def _setup(self, W0, a, offsets, seeds) -> None:
        self._W0 = _frozen(W0)
        self._a = _frozen(a)
        self._offsets = _frozen(offsets)
        self._widths = _frozen(np.diff(offsets))
        self._seeds = None if seeds is None else _frozen(seeds)
        self._W = self._W0

    # -- properties ------------------------------------------------------

    @property
    def W(self) -> np.ndarray:
        """(M, d) current weights, read-only. A fit replaces it, so an array
        taken before a fit keeps the weights it had."""
        return self._W

    @property
    def W0(self) -> np.ndarray:
        """(M, d) initial weights, read-only."""
        return self._W0

    @property
    def a(self) -> np.ndarray:
        """(M,) output-layer signs in {-1, +1}."""
        return self._a

    @property
    def widths(self) -> np.ndarray:
        """(K,) width of each network."""
        return self._widths

    @property
    def seeds(self) -> np.ndarray | None:
        """(K,) seed of each network (uint64), or None for `from_arrays` banks."""
        return self._seeds

    @property
    def init(self) -> str | None:
        """The initialisation, "gaussian" or "symmetric"; None for `from_arrays` banks."""
        return self._init

    @property
    def offsets(self) -> np.ndarray:
        """(K+1,) network k owns rows offsets[k]:offsets[k+1] of W."""
        return self._offsets

    @property
    def n_networks(self) -> int:
        return len(self._widths)

    @property
    def n_neurons(self) -> int:
        return self._W0.shape[0]

    @property
    def d(self) -> int:
        return self._W0.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self._W0.dtype

    def __repr__(self) -> str:
        widths = np.unique(self._widths)
        seeds = "explicit" if self._seeds is None else f"{len(np.unique(self._seeds))} seeds"
        return (
            f"StudentBank(d={self.d}, networks={self.n_networks}, neurons={self.n_neurons}, "
            f"widths {widths.min()}..{widths.max()}, {seeds}, {self.dtype})"
        )

    # -- computation -----------------------------------------------------

    def reset(self) -> StudentBank:
        """Return the weights to W0."""
        self._W = self._W0
        return self

    def _inputs(self, X, name: str) -> np.ndarray:
        # Copies to the bank's dtype: float64 inputs are rounded to float32
        # for a float32 bank, exactly as the arithmetic would use them.
        return check.matrix(X, name, self.dtype, columns=self.d)

    def logits(self, X, *, n_threads=None) -> np.ndarray:
        """(n, K) outputs f_k(x_i) of every network, in the bank's dtype."""
        X = self._inputs(X, "X")
        threads = effective_n_threads(n_threads)
        F = _core.logits(W=self._W, W0=self._W0, a=self._a, offsets=self._offsets, X=X, n_threads=threads)
        return np.ascontiguousarray(F.T)

    def fit(
        self,
        X,
        target,
        *,
        steps,
        lr=1.0,
        radius=None,
        projection="neuron",
        temperature=1.0,
        target_index=None,
        y=None,
        X_test=None,
        y_test=None,
        target_test=None,
        record_every=1,
        n_threads=None,
    ) -> History:
        """Full-batch projected gradient descent for every network at once.

        Each step t records L(W_t), then sets W <- Proj(W - lr * grad L(W)),
        with the loss l(f, p) = tau^2 KL(Bern(p) || Bern(sigmoid(f / tau))),
        which for hard labels is the logistic loss ln(1 + exp(-y f)) at tau = 1.
        Fitting again continues from the current weights; projection is
        always around W0. Ctrl-C stops within about 50 ms of the current
        kernel and raises KeyboardInterrupt; the bank then holds the weights
        of the last completed step.

        Parameters
        ----------
        X : (n, d) array
            Training inputs (copied to the bank's dtype).
        target : (n,) or (n, C) array
            Probabilities of class +1 in [0, 1], or labels in {-1, +1}
            (meaning p = (1 + y) / 2), per column.
        steps : int >= 0
        lr, temperature : float or (K,) array, > 0
        radius : None, float or (K,) array, > 0
            None: plain gradient descent. A network whose radius is inf is
            not projected.
        projection : "neuron" or "network"
            "neuron": ||w_s - w_s(0)|| <= radius / sqrt(m) for every neuron;
            "network": ||W - W(0)||_F <= radius for the whole network.
        target_index : None or (K,) ints
            Column of `target` each network trains on; required when C > 1.
        y : None or (n,) labels
            Labels for train accuracy. When omitted and `target` is a single
            column of hard labels, accuracy is measured against it.
        X_test, y_test : test inputs and labels, given together
        target_test : None, (n_test,) or (n_test, C)
            Targets of the test loss (same columns as `target`); by default
            the test labels.
        record_every : int >= 1
            Record loss and accuracy every this many steps, and after the
            last step.
        n_threads : None or int
            None: all available (OMP_NUM_THREADS honoured); -1: all. Results
            are bitwise identical for any value.
        """
        steps = check.positive_int(steps, "steps", minimum=0)
        record_every = check.positive_int(record_every, "record_every")
        threads = effective_n_threads(n_threads)
        K = self.n_networks
        X = self._inputs(X, "X")
        n = X.shape[0]
        P, target_labels = check.targets(target, "target", n)
        C = P.shape[1]
        column = self._columns(target_index, C)
        labels = check.labels(y, "y", n) if y is not None else target_labels
        lr = check.per_network(lr, "lr", K)
        temperature = check.per_network(temperature, "temperature", K)
        check.projection(projection)
        if radius is None:
            code, radius = 0, np.full(K, np.inf)
        else:
            code, radius = _PROJECTIONS[projection], check.per_network(radius, "radius", K, allow_inf=True)
        X_test, P_test, y_test = self._test_set(X_test, y_test, target_test, C)
        n_test = 0 if X_test is None else X_test.shape[0]

        engine_bytes = _core.fit_bytes(
            n_networks=K,
            n_neurons=self.n_neurons,
            d=self.d,
            n_samples=n,
            n_columns=C,
            n_test=n_test,
            labels=labels is not None,
            steps=steps,
            record_every=record_every,
            n_threads=threads,
            float32=self.dtype == np.float32,
        )
        check.ensure_memory(
            self._W.nbytes + engine_bytes,  # the copy of W this fit updates, and the engine's buffers
            f"fitting {K} networks of {self.n_neurons} neurons on {n} samples",
        )
        W = self._W.copy()
        try:
            records = _core.train(
                W=W,
                W0=self._W0,
                a=self._a,
                offsets=self._offsets,
                X=X,
                target=P,
                y=labels,
                X_test=X_test,
                target_test=P_test,
                y_test=y_test,
                target_index=column,
                lr=lr,
                radius=radius,
                temperature=temperature,
                projection=code,
                steps=steps,
                record_every=record_every,
                n_threads=threads,
            )
        finally:
            # On KeyboardInterrupt, W holds the last completed step.
            self._W = _frozen(W)
        drift = _core.max_drift(W=self._W, W0=self._W0, a=self._a, offsets=self._offsets, n_threads=threads)
        recorded = np.append(np.arange(0, steps, record_every, dtype=np.int64), np.int64(steps))
        return History(steps=recorded, max_drift=drift, **records)

    def _columns(self, target_index, C: int) -> np.ndarray:
        K = self.n_networks
        if target_index is None:
            if C > 1:
                raise check.InputValueError(
                    f"target_index: required when target has {C} columns (one column per network)"
                )
            return np.zeros(K, dtype=np.int64)
        index = check.real_array(target_index, "target_index")
        if index.dtype.kind not in "iu":
            raise check.InputTypeError(f"target_index: expected integers, got dtype {index.dtype}")
        if index.shape != (K,):
            raise check.InputValueError(f"target_index: expected shape ({K},) (one per network), got {index.shape}")
        if (index < 0).any() or (index >= C).any():
            raise check.InputValueError(f"target_index: columns must lie in [0, {C}), got {index.min()}..{index.max()}")
        return index.astype(np.int64)

    def _test_set(
        self, X_test, y_test, target_test, C: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[None, None, None]:
        """(X_test, target_test (n_test, C), y_test) checked, or three Nones without a test set."""
        if X_test is None and y_test is None:
            if target_test is not None:
                raise check.InputValueError("target_test: needs X_test and y_test")
            return None, None, None
        if X_test is None or y_test is None:
            raise check.InputValueError("X_test and y_test: give both or neither")
        X_test = self._inputs(X_test, "X_test")
        n_test = X_test.shape[0]
        y_test = check.labels(y_test, "y_test", n_test)
        if target_test is None:
            P_test = np.repeat(((1.0 + y_test) / 2.0)[:, None], C, axis=1)
        else:
            P_test, _ = check.targets(target_test, "target_test", n_test)
            if P_test.shape[1] != C:
                raise check.InputValueError(f"target_test: expected {C} column(s) like target, got {P_test.shape[1]}")
        return X_test, np.ascontiguousarray(P_test), y_test
