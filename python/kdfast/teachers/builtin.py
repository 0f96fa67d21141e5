"""kdfast's own teachers: kernel gradient descent, the margin's function, and a wide trained network."""

from __future__ import annotations

import copy

import numpy as np

from .. import _validation as check
from .._bank import StudentBank
from .._history import History
from .._sampling import holdout
from ..kernel import ntk_kernel
from .._margin import estimate
from ._base import BaseTeacher, sigmoid, training_set

# NetworkTeacher's initialisation streams start here, above every student's.
TEACHER_STREAMS = 2**63

# Rows per block when evaluating a teacher on many inputs: bounds the
# (rows, n_train) or (rows, n_samples / 2) temporaries to a few tens of MiB.
_ROWS = 2048


class KernelTeacher(BaseTeacher):
    """Kernel gradient descent on the logistic loss with the limiting kernel K.

    The infinite-width limit of the student trained on hard labels by full
    batch gradient descent with learning rate `lr`: in function space

        f <- f - lr * K (dl/df) / n,   dl/df_i = -y_i sigmoid(-y_i f_i),

    from f = 0, so that f = sum_i alpha_i K(., x_i) with
    alpha <- alpha - lr (dl/df) / n. Starting from 0 leaves out the random
    function a finite network starts from (a Gaussian process in the
    limit); it is the average over initialisations.

    `lr` means the same as the student's learning rate in ``bank.fit``.
    Gradient descent is stable for ``lr < 16 / max|x|^2`` (``K <= |x|^2 / 2``, the
    logistic curvature <= 1/4), so the default suits unit-norm inputs.

    Parameters
    ----------
    steps : int >= 0
    lr : float > 0

    Attributes
    ----------
    X_train_ : (n, d) float64, the training inputs
    dual_coef_ : (n,) alpha
    loss_curve_ : (steps,) logistic loss L(f_t) before each update
    train_logits_ : (n,) f after the last update
    n_features_in_ : d
    """

    def __init__(self, steps: int = 1000, lr: float = 4.0):
        self.steps = steps
        self.lr = lr

    def fit(self, X, y) -> KernelTeacher:
        steps = check.positive_int(self.steps, "steps", minimum=0)
        lr = check.positive_number(self.lr, "lr")
        X, y = training_set(X, y)
        n = X.shape[0]
        K = ntk_kernel(X)
        alpha = np.zeros(n)
        f = np.zeros(n)
        loss = np.empty(steps)
        for t in range(steps):
            margins = y * f
            loss[t] = np.logaddexp(0.0, -margins).mean()
            alpha += (lr / n) * y * sigmoid(-margins)
            f = K @ alpha
        self.X_train_ = X
        self.dual_coef_ = alpha
        self.loss_curve_ = loss
        self.train_logits_ = f
        self.n_features_in_ = X.shape[1]
        return self

    def logits(self, X) -> np.ndarray:
        """f_T(x) = sum_i alpha_i K(x, x_i), shape (n,), float64."""
        X = self._inputs(X)
        out = np.empty(X.shape[0])
        for i in range(0, X.shape[0], _ROWS):
            out[i : i + _ROWS] = ntk_kernel(X[i : i + _ROWS], self.X_train_) @ self.dual_coef_
        return out


class MarginTeacher(BaseTeacher):
    """The infinite-width function realising the NTK margin, times `scale`.

    ::

        f_T(x) = scale * E_z[<v(z), x> 1[<z, x> > 0]],

    where v(z) (``|v(z)| <= 1``) is the primal solution of :func:`kdfast.margin`
    built from its dual weights, and E_z is the average over the margin
    solver's own draws of z. On the training points
    y_i f_T(x_i) >= scale * (sample_gamma - gap) with sample_gamma and gap
    those of ``margin_``: the function has margin about scale * gamma there
    (the sample problem's value; the true margin is within ``gamma_ci``).

    `scale` sets the teacher's confidence: a training logit is at least
    scale * gamma in the right direction, so e.g. scale = ln(1/eps) / gamma
    makes its logistic loss at most about eps on every training point.

    Parameters
    ----------
    scale : float > 0
    n_samples, seed, tol, n_threads : as in :func:`kdfast.margin`

    Attributes
    ----------
    margin_ : Margin (computed without the certified bounds)
    Z_ : (n_samples / 2, d) draws z (each also used as -z)
    V_plus_, V_minus_ : (n_samples / 2, d) v(z) and v(-z)
    n_features_in_ : d
    """

    def __init__(self, scale: float = 1.0, *, n_samples: int = 4096, seed: int = 0, tol: float = 1e-2, n_threads=None):
        self.scale = scale
        self.n_samples = n_samples
        self.seed = seed
        self.tol = tol
        self.n_threads = n_threads

    def fit(self, X, y) -> MarginTeacher:
        check.positive_number(self.scale, "scale")
        result, transport = estimate(
            X,
            y,
            n_samples=self.n_samples,
            seed=self.seed,
            tol=self.tol,
            bounds=False,
            n_threads=self.n_threads,
            inseparable="raise",
        )
        assert transport is not None  # inseparable data raised
        self.margin_ = result
        self.Z_ = transport.Z
        self.V_plus_ = transport.V_plus
        self.V_minus_ = transport.V_minus
        self.n_features_in_ = transport.Z.shape[1]
        return self

    def logits(self, X) -> np.ndarray:
        """f_T(x) = scale / S * sum_z [<v(z), x> 1[<z,x> > 0] + <v(-z), x> 1[<z,x> < 0]]."""
        X = self._inputs(X)
        scale = check.positive_number(self.scale, "scale")
        S = 2 * self.Z_.shape[0]
        out = np.empty(X.shape[0])
        for i in range(0, X.shape[0], _ROWS):
            Xb = X[i : i + _ROWS]
            A = Xb @ self.Z_.T
            total = np.where(A > 0, Xb @ self.V_plus_.T, 0.0).sum(axis=1)
            total += np.where(A < 0, Xb @ self.V_minus_.T, 0.0).sum(axis=1)
            out[i : i + _ROWS] = total
        return out * (scale / S)


class NetworkTeacher(BaseTeacher):
    """A wide kdfast student trained on hard labels (logistic loss): the classic distillation teacher.

    One network of width `width` and seed `seed`, trained by
    ``StudentBank.fit`` with the labels as targets. The defaults match
    :class:`KernelTeacher` (same steps and learning rate, no projection), so
    for large widths the two agree up to the network's random initial
    function.

    With `validation`, a stratified random share of the training set is held
    out (seeded by `seed`), the network trains on the rest, its accuracy on
    the held-out labels is measured every `validate_every` steps, and the
    teacher keeps the weights of the first step with the best validation
    accuracy (early stopping). The held-out labels are as noisy as the
    training labels: that is all a practitioner has.

    Parameters
    ----------
    width : int >= 1
    steps : int >= 0
    lr : float > 0
    radius : float > 0 or None (plain gradient descent)
    projection : "neuron" or "network", as in ``StudentBank.fit``
    temperature : float > 0
        The temperature of the soft labels ``predict_proba`` gives by
        default; :func:`kdfast.compare` uses it when its own `temperature`
        is left at None.
    validation : None or float in (0, 1)
        Share of the training set held out for early stopping.
    validate_every : None or int >= 1
        Steps between validation checks (default: steps // 50, at least 1).
    seed : int in [0, 2**63)
        The network starts from initialisation stream 2**63 + seed. Students
        use streams below 2**63 (``compare`` refuses larger seeds), so a
        teacher never shares initial weights with a student, which would
        favour that student's soft labels. Also seeds the validation split.
    dtype : numpy.float32 or numpy.float64
    n_threads : None or int, scikit-learn's meaning
    init : "gaussian" or "symmetric", the network's start (see StudentBank)

    Attributes
    ----------
    bank_ : StudentBank holding the trained network (at the best step, with `validation`)
    history_ : History of the fit (all `steps`, on the training part)
    best_step_ : the step whose weights the teacher keeps (`steps` without validation)
    validation_steps_, validation_acc_ : the validation curve (None without validation)
    n_features_in_ : d
    """

    def __init__(
        self,
        width: int = 4096,
        steps: int = 1000,
        lr: float = 4.0,
        radius=None,
        *,
        projection: str = "neuron",
        temperature: float = 1.0,
        validation=None,
        validate_every=None,
        seed: int = 0,
        dtype=np.float32,
        n_threads=None,
        init: str = "gaussian",
    ):
        self.width = width
        self.steps = steps
        self.lr = lr
        self.radius = radius
        self.projection = projection
        self.temperature = temperature
        self.validation = validation
        self.validate_every = validate_every
        self.seed = seed
        self.dtype = dtype
        self.n_threads = n_threads
        self.init = init

    def fit(self, X, y) -> NetworkTeacher:
        width = check.positive_int(self.width, "width")
        steps = check.positive_int(self.steps, "steps", minimum=0)
        lr = check.positive_number(self.lr, "lr")
        radius = None if self.radius is None else check.positive_number(self.radius, "radius")
        check.positive_number(self.temperature, "temperature")
        X, y = training_set(X, y)
        seed = check.positive_int(self.seed, "seed", minimum=0)
        if seed >= TEACHER_STREAMS:
            raise check.InputValueError(f"seed: must be < 2**63, got {seed}")
        every = (
            max(1, steps // 50)
            if self.validate_every is None
            else check.positive_int(self.validate_every, "validate_every")
        )
        bank = StudentBank(X.shape[1], [width], seeds=(TEACHER_STREAMS + seed,), dtype=self.dtype, init=self.init)
        fit = dict(lr=lr, radius=radius, projection=self.projection, n_threads=self.n_threads)
        self.validation_steps_: np.ndarray | None = None
        self.validation_acc_: np.ndarray | None = None
        if self.validation is None:
            self.history_ = bank.fit(X, y, steps=steps, y=y, **fit)
            self.bank_, self.best_step_ = bank, steps
        else:
            share = check.real_number(self.validation, "validation", minimum=0, maximum=1, exclusive=True)
            held = holdout(y, share, np.random.default_rng(seed))
            train = np.setdiff1d(np.arange(X.shape[0]), held)
            self._fit_early_stopped(bank, X[train], y[train], X[held], y[held], steps, every, fit)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_early_stopped(self, bank, X, y, X_val, y_val, steps: int, every: int, fit: dict) -> None:
        """Train in pieces of `every` steps, scoring the validation set after each; keep the best.

        A bank's weights are never changed in place (every fit installs a new
        array), so a shallow copy of the bank is a snapshot of its weights.
        """
        histories, checked = [], [0]
        best, best_step = copy.copy(bank), 0
        while True:
            length = min(every, steps - checked[-1])
            history = bank.fit(X, y, steps=length, y=y, X_test=X_val, y_test=y_val, record_every=max(1, length), **fit)
            histories.append(history)
            if len(histories) == 1:
                accuracy = [float(history.test_acc[0, 0])]  # of the starting weights
            if length == 0:
                break
            checked.append(checked[-1] + length)
            accuracy.append(float(history.test_acc[-1, 0]))
            if accuracy[-1] > max(accuracy[:-1]):  # the first of the best is kept
                best, best_step = copy.copy(bank), checked[-1]
            if checked[-1] == steps:
                break
        self.history_ = History.concatenate(histories)
        self.bank_, self.best_step_ = best, best_step
        self.validation_steps_, self.validation_acc_ = np.array(checked), np.array(accuracy)

    def logits(self, X) -> np.ndarray:
        """The trained network's output, shape (n,), float64."""
        X = self._inputs(X)
        return self.bank_.logits(X, n_threads=self.n_threads)[:, 0].astype(np.float64)
