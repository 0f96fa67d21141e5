"""Teachers whose outputs come from elsewhere: stored arrays, or any scikit-learn classifier."""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from ._base import BaseTeacher, training_set


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
        X, _ = training_set(X, y)
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
        X, y = training_set(X, y)
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
