"""What every teacher shares: the base class, the error before ``fit``, the check of a training set, the sigmoid."""

from __future__ import annotations

import inspect

import numpy as np

from .. import _validation as check


class NotFittedError(ValueError, AttributeError):
    """A teacher was asked for outputs before ``fit`` (like scikit-learn's)."""


def sigmoid(z: np.ndarray) -> np.ndarray:
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
        """The constructor's parameters, by name.

        `deep` is scikit-learn's; an estimator's own parameters are not listed.
        """
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
        return sigmoid(self.logits(X) / temperature)

    def predict(self, X) -> np.ndarray:
        """Labels in {-1, +1}: the sign of the logits (+1 only when f_T > 0)."""
        return np.where(self.logits(X) > 0, 1, -1).astype(np.int8)


def training_set(X, y) -> tuple[np.ndarray, np.ndarray]:
    """A teacher's training inputs (a float64 copy) and labels (float64 in {-1, +1}, both classes)."""
    X = check.matrix(X, "X", np.float64, copy=True)
    return X, check.labels(y, "y", X.shape[0], both_classes=True).astype(np.float64)
