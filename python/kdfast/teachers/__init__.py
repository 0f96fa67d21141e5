"""Teachers: the functions whose soft labels the students are trained on.

Every teacher follows scikit-learn's habits: parameters are stored by
``__init__``, the work is done by ``fit(X, y)`` (labels in {-1, +1}), which
returns the teacher, and fitted attributes end in ``_``. A fitted teacher
gives logits f_T(x), soft labels ``predict_proba(X, temperature)`` =
sigmoid(f_T / temperature) (the probability of class +1), and labels
``predict(X)`` in {-1, +1}.

* :class:`KernelTeacher`: kernel gradient descent with the limiting kernel,
  the infinite-width limit of the student trained on hard labels.
* :class:`MarginTeacher`: the infinite-width function that realises the
  NTK margin gamma, scaled.
* :class:`NetworkTeacher`: a wide kdfast student trained on hard labels.
* :class:`ArrayTeacher`: outputs computed elsewhere (e.g. by PyTorch).
* :class:`SklearnTeacher`: any scikit-learn classifier.

:class:`kdfast.deep.ConvTeacher` (a convolutional network for image data,
needs PyTorch) follows the same habits.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from .. import _validation as check
from .._bank import StudentBank
from .._history import History
from .._sampling import holdout
from ..kernel import ntk_kernel
from ..margin import estimate

__all__ = [
    "ArrayTeacher", "BaseTeacher", "KernelTeacher", "MarginTeacher", "NetworkTeacher", "NotFittedError",
    "SklearnTeacher", "make_teacher",
]  # fmt: skip

# NetworkTeacher's initialisation streams start here, above every student's.
TEACHER_STREAMS = 2**63

# Rows per block when evaluating a teacher on many inputs: bounds the
# (rows, n_train) or (rows, n_samples / 2) temporaries to a few tens of MiB.
_ROWS = 2048


class NotFittedError(ValueError, AttributeError):
    """A teacher was asked for outputs before ``fit`` (like scikit-learn's)."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-log(1 + e^-z)) is exact for large |z| and maps +-inf to 1 and 0.
    return np.exp(-np.logaddexp(0.0, -z))


class BaseTeacher:
    """Shared parameters (scikit-learn's ``get_params`` / ``set_params``), and probabilities and labels from ``logits``.

    The base of every teacher here and of :class:`kdfast.deep.ConvTeacher`:
    a subclass stores its constructor's arguments under their own names,
    sets ``n_features_in_`` in ``fit`` and defines ``logits``.
    """

    n_features_in_: int  # set by fit

    @classmethod
    def _parameter_names(cls) -> list[str]:
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters, by name (`deep` is scikit-learn's; an estimator's own parameters are not listed)."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    def set_params(self, **params):
        """Set constructor parameters by name; returns the teacher (refit it to use them)."""
        names = self._parameter_names()
        for name, value in params.items():
            if name not in names:
                raise check.InputValueError(f"{name}: not a parameter of {type(self).__name__} ({', '.join(names)})")
            setattr(self, name, value)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")

    def _inputs(self, X) -> np.ndarray:
        self._check_fitted()
        X = check.matrix(X, "X", np.float64)
        if X.shape[1] != self.n_features_in_:
            raise check.InputValueError(f"X: expected {self.n_features_in_} columns as in fit, got shape {X.shape}")
        return X

    def logits(self, X) -> np.ndarray:  # pragma: no cover - every teacher overrides it
        raise NotImplementedError

    # The temperature of the soft labels unless one is asked for; a teacher
    # with a `temperature` parameter (NetworkTeacher) overrides it.
    temperature = 1.0

    def predict_proba(self, X, temperature: float | None = None) -> np.ndarray:
        """Soft labels sigmoid(f_T(x) / temperature): P(y = +1), shape (n,), float64.

        temperature : None (the teacher's own, 1 unless it has that parameter) or float > 0
        """
        temperature = check.positive_number(self.temperature if temperature is None else temperature, "temperature")
        return _sigmoid(self.logits(X) / temperature)

    def predict(self, X) -> np.ndarray:
        """Labels in {-1, +1}: the sign of the logits (+1 only when f_T > 0)."""
        return np.where(self.logits(X) > 0, 1, -1).astype(np.int8)


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
        X, y = _training_set(X, y)
        n = X.shape[0]
        K = ntk_kernel(X)
        alpha = np.zeros(n)
        f = np.zeros(n)
        loss = np.empty(steps)
        for t in range(steps):
            margins = y * f
            loss[t] = np.logaddexp(0.0, -margins).mean()
            alpha += (lr / n) * y * _sigmoid(-margins)
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
            X, y, n_samples=self.n_samples, seed=self.seed, tol=self.tol, bounds=False, n_threads=self.n_threads,
            inseparable="raise",
        )  # fmt: skip
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
        self, width: int = 4096, steps: int = 1000, lr: float = 4.0, radius=None, *, projection: str = "neuron",
        temperature: float = 1.0, validation=None, validate_every=None, seed: int = 0, dtype=np.float32,
        n_threads=None, init: str = "gaussian",
    ):  # fmt: skip
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
        X, y = _training_set(X, y)
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


def _training_set(X, y) -> tuple[np.ndarray, np.ndarray]:
    """A teacher's training inputs (a float64 copy) and labels (float64 in {-1, +1}, both classes)."""
    X = check.matrix(X, "X", np.float64, copy=True)
    return X, check.labels(y, "y", X.shape[0], both_classes=True).astype(np.float64)


def _outputs(logits, proba, name: str):
    """Logits from exactly one of (logits, proba), as a finite-or-inf float64 vector."""
    other = name.replace("logits", "proba")
    if (logits is None) == (proba is None):
        raise check.InputValueError(f"{name}: give exactly one of {name} and {other}")
    which = name if logits is not None else other
    arr = check.real_array(logits if logits is not None else proba, which)
    arr = arr.astype(np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise check.InputValueError(f"{which}: expected a vector of shape (n,), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise check.InputValueError(f"{which}: contains NaN or infinity")
    if logits is not None:
        return arr
    if ((arr < 0) | (arr > 1)).any():
        raise check.InputValueError(
            f"{which}: probabilities must lie in [0, 1], got values in [{arr.min()}, {arr.max()}]"
        )
    return _log_odds(arr)


def _log_odds(p: np.ndarray) -> np.ndarray:
    """ln(p / (1 - p)) of probabilities in [0, 1], float64: exactly 0 or 1 give -inf or +inf."""
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


class ArrayTeacher(BaseTeacher):
    """Outputs computed elsewhere (e.g. by a PyTorch model), for known inputs.

    Give the training outputs as `train_logits` or as `train_proba`
    (P(y = +1)), and optionally the test outputs as `test_logits` or
    `test_proba` with their inputs `X_test` (:func:`kdfast.compare` gives
    the data set's test inputs when `X_test` is None). The training outputs
    belong to the inputs later passed to ``fit(X, y)``. Inputs are
    recognised by exact array equality; any other input raises a
    ValueError, since the teacher cannot evaluate itself elsewhere.
    Probabilities of exactly 0 or 1 give logits of -inf or +inf.

    Attributes
    ----------
    X_train_, train_logits_ : the training inputs and their logits
    X_test_, test_logits_ : the test inputs and their logits (None when not given)
    n_features_in_ : d
    """

    def __init__(self, train_logits=None, train_proba=None, test_logits=None, test_proba=None, X_test=None):
        self.train_logits = train_logits
        self.train_proba = train_proba
        self.test_logits = test_logits
        self.test_proba = test_proba
        self.X_test = X_test

    def fit(self, X, y) -> ArrayTeacher:
        X, _ = _training_set(X, y)
        train = _outputs(self.train_logits, self.train_proba, "train_logits")
        if train.shape[0] != X.shape[0]:
            raise check.InputValueError(
                f"train_logits: expected {X.shape[0]} values, one per row of X, got {train.shape[0]}"
            )
        test: np.ndarray | None = None
        X_test: np.ndarray | None = None
        if self.test_logits is not None or self.test_proba is not None:
            test = _outputs(self.test_logits, self.test_proba, "test_logits")
            if self.X_test is not None:
                X_test = check.matrix(self.X_test, "X_test", np.float64, copy=True)
                if X_test.shape != (test.shape[0], X.shape[1]):
                    raise check.InputValueError(
                        f"X_test: expected shape ({test.shape[0]}, {X.shape[1]}) to match the test outputs, "
                        f"got {X_test.shape}"
                    )
        elif self.X_test is not None:
            raise check.InputValueError("X_test: given without test_logits or test_proba")
        self.X_train_ = X
        self.train_logits_ = train
        self.test_logits_ = test
        self.X_test_ = X_test
        self.n_features_in_ = X.shape[1]
        return self

    def logits(self, X) -> np.ndarray:
        """The stored logits of X, which must equal the training or the test inputs exactly."""
        X = self._inputs(X)
        if np.array_equal(X, self.X_train_):
            return self.train_logits_.copy()
        if self.X_test_ is not None and self.test_logits_ is not None and np.array_equal(X, self.X_test_):
            return self.test_logits_.copy()
        known = f"the training inputs {self.X_train_.shape}"
        if self.X_test_ is not None:
            known += f" and the test inputs {self.X_test_.shape}"
        elif self.test_logits_ is not None:
            known += " (its test outputs have no X_test to belong to)"
        raise check.InputValueError(
            f"X: an ArrayTeacher only knows its outputs for {known}, compared by exact equality; "
            f"got a different array of shape {X.shape}"
        )


def _sklearn_base():
    """scikit-learn's ``sklearn.base``, imported on first use: scikit-learn is optional (the "data" extra)."""
    try:
        from sklearn import base
    except ImportError:
        raise ImportError('SklearnTeacher needs scikit-learn: pip install "kdfast[data]"') from None
    return base


class SklearnTeacher(BaseTeacher):
    """Any scikit-learn classifier as the teacher: a teacher of another family than the students'.

    ``fit`` clones `estimator` (the given one is never changed nor fitted),
    sets the clone's ``random_state`` to `seed` when `seed` is not None and
    the estimator has that parameter, and fits it on (X, y) with labels in
    {-1, +1}. The logits are the clone's ``decision_function`` when it has
    one (signed so that positive means class +1), else the log-odds
    ln(p / (1 - p)) of its ``predict_proba`` for class +1, where
    probabilities of exactly 0 or 1 (k-nearest neighbours, trees) give
    logits of -inf or +inf: soft labels of exactly 0 or 1.

    A decision function is a score, not always a log-odds (an SVM's is a
    distance to the boundary in the kernel's units): scale the soft labels
    with compare's `temperature` when its range is too narrow or too wide.

    Needs scikit-learn (``pip install "kdfast[data]"``).

    Parameters
    ----------
    estimator : an unfitted (or fitted: it is cloned) scikit-learn
        classifier, e.g. ``LogisticRegression()``, ``SVC()`` or a Pipeline
        ending in a classifier
    seed : int >= 0 or None
        The clone's ``random_state`` when it has one (default 0, so that a
        randomised estimator teaches the same on every run); None keeps the
        estimator's own. :func:`kdfast.compare` reseeds replicate r with
        seed + r.

    Attributes
    ----------
    estimator_ : the fitted clone
    classes_ : the clone's ``classes_``, [-1, 1]
    n_features_in_ : d
    """

    def __init__(self, estimator, *, seed=0):
        self.estimator = estimator
        self.seed = seed

    def fit(self, X, y) -> SklearnTeacher:
        base = _sklearn_base()
        estimator = self.estimator
        seed = None if self.seed is None else check.positive_int(self.seed, "seed", minimum=0)
        expected = "estimator: expected a scikit-learn classifier (with fit, and predict_proba or decision_function)"
        scores = (callable(getattr(estimator, name, None)) for name in ("predict_proba", "decision_function"))
        if not (callable(getattr(estimator, "fit", None)) and any(scores)):
            raise check.InputTypeError(f"{expected}, got {type(estimator).__name__}")
        try:
            model = base.clone(estimator)
            classifier = base.is_classifier(model)
        except Exception as err:  # clone and the tags refuse what does not follow scikit-learn's conventions
            reason = " ".join(str(err).split())
            raise check.InputTypeError(f"{expected}, got {type(estimator).__name__}: {reason}") from None
        if not classifier:
            raise check.InputTypeError(f"{expected}, got {type(estimator).__name__}, which is not a classifier")
        X, y = _training_set(X, y)
        if seed is not None and "random_state" in model.get_params(deep=False):
            model.set_params(random_state=seed)
        model.fit(X, y.astype(np.int64))
        classes = np.asarray(model.classes_)
        if classes.shape != (2,) or not np.isin([-1, 1], classes).all():
            raise check.InputValueError(f"estimator: expected classes [-1, 1] after fit, got {classes.tolist()}")
        self.estimator_ = model
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        return self

    def logits(self, X) -> np.ndarray:
        """The decision function signed towards class +1, or the log-odds of P(y = +1); shape (n,), float64."""
        X = self._inputs(X)
        model, positive = self.estimator_, int(np.flatnonzero(self.classes_ == 1)[0])
        if callable(getattr(model, "decision_function", None)):
            # Binary scikit-learn classifiers score classes_[1]: positive means that class.
            f = np.asarray(model.decision_function(X), dtype=np.float64)
            if f.ndim == 2 and f.shape[1] == 1:
                f = f[:, 0]
            if f.shape != (X.shape[0],):
                raise check.InputValueError(
                    f"estimator: expected decision_function to give shape ({X.shape[0]},), got {f.shape}"
                )
            return f if positive == 1 else -f
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        if proba.shape != (X.shape[0], 2):
            raise check.InputValueError(
                f"estimator: expected predict_proba to give shape ({X.shape[0]}, 2), got {proba.shape}"
            )
        # Clipped: a probability a rounding error beyond 1 would give NaN.
        return _log_odds(np.clip(proba[:, positive], 0.0, 1.0))


# The teachers kdfast.compare builds by name.
TEACHERS = {"kernel": KernelTeacher, "margin": MarginTeacher, "network": NetworkTeacher}


def make_teacher(teacher="kernel", teacher_params=None, *, n_threads=None, X_test=None):
    """An unfitted teacher from a name, an array of logits, or a teacher object.

    `teacher` is "kernel", "margin" or "network" (built with
    `teacher_params` as keyword arguments), an array of training logits
    (an :class:`ArrayTeacher`), or any object with ``fit(X, y)`` and
    ``logits(X)``. An ArrayTeacher with test outputs but no `X_test` is
    given `X_test` (the data set's test inputs), as a copy.
    """
    params = check.keywords(teacher_params, "teacher_params")
    if isinstance(teacher, str):
        if teacher == "array":
            raise check.InputValueError(
                "teacher: 'array' needs the teacher's outputs: pass kdfast.ArrayTeacher(train_logits=..., "
                "test_logits=...) or the training logits as an array"
            )
        if teacher not in TEACHERS:
            raise check.InputValueError(
                f"teacher: expected one of {', '.join(map(repr, TEACHERS))}, an array or a teacher object, got {teacher!r}"
            )
        cls = TEACHERS[teacher]
        if n_threads is not None and "n_threads" in inspect.signature(cls).parameters:
            params = {"n_threads": n_threads, **params}
        try:
            return cls(**params)
        except TypeError as err:
            raise check.InputTypeError(f"teacher_params: {err}") from None
    if isinstance(teacher, np.ndarray):
        teacher = ArrayTeacher(train_logits=teacher, **params)
    elif not (callable(getattr(teacher, "fit", None)) and callable(getattr(teacher, "logits", None))):
        raise check.InputTypeError(
            f"teacher: expected a name, an array of logits or an object with fit and logits, got {type(teacher).__name__}"
        )
    elif params:
        raise check.InputValueError("teacher_params: only for a teacher given by name or as an array")
    has_test = isinstance(teacher, ArrayTeacher) and (teacher.test_logits is not None or teacher.test_proba is not None)
    if has_test and teacher.X_test is None and X_test is not None and len(X_test):
        teacher = copy.copy(teacher).set_params(X_test=X_test)
    return teacher
