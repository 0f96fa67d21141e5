"""What a fit records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, repr=False)
class History:
    """Records of one `StudentBank.fit` call; K is the number of networks.

    Attributes
    ----------
    steps : (T_rec,) int64
        The steps t at which records were taken: 0, record_every, ... below
        `steps`, then `steps` itself, so the last row describes the weights
        the fit ended with.
    loss : (T_rec, K) float64
        Training loss L(W_t) of the weights before the update of step t.
    mean_loss : (K,) float64
        Mean of L(W_t) over every step t = 0 .. steps-1, recorded or not: the
        theory's "loss averaged over epochs". NaN when steps == 0.
    train_acc : (T_rec, K) float64 or None
        Fraction of training samples with sign(f) equal to the label (f = 0
        counts as wrong); None when no labels were known.
    test_loss, test_acc : (T_rec, K) float64 or None
        The same on the test set, when one was given.
    max_drift : (K,) float64
        max over the network's neurons of ||w_s - w_s(0)|| * sqrt(m) after
        the fit; at most the radius under neuron projection.
    """

    steps: np.ndarray
    loss: np.ndarray
    mean_loss: np.ndarray
    train_acc: np.ndarray | None
    test_loss: np.ndarray | None
    test_acc: np.ndarray | None
    max_drift: np.ndarray

    @property
    def final_loss(self) -> np.ndarray:
        """(K,) training loss of the weights the fit ended with: ``loss[-1]``."""
        return self.loss[-1]

    def __repr__(self) -> str:
        recorded = [name for name in ("train_acc", "test_loss", "test_acc") if getattr(self, name) is not None]
        return (
            f"History(networks={self.mean_loss.shape[0]}, recorded_steps={self.steps.shape[0]}, "
            f"mean_loss=[{self.mean_loss.min():.4g} .. {self.mean_loss.max():.4g}], also={recorded})"
            if self.mean_loss.size and not np.isnan(self.mean_loss).all()
            else f"History(networks={self.mean_loss.shape[0]}, recorded_steps=0)"
        )

    @classmethod
    def concatenate(cls, histories) -> History:
        """The histories of consecutive fits of one bank as the History of one long fit.

        A fit continues from the weights the previous one ended with, so when
        each piece is a whole number of record intervals the weights, loss and
        accuracy records are those of the long fit; the average loss is put
        together from the pieces' averages weighted by their lengths, which
        changes it by a rounding error. Each piece's last row (its final
        weights) is the next piece's first, so it is kept once.
        """
        histories = list(histories)
        if len(histories) == 1:
            return histories[0]
        lengths = [int(h.steps[-1]) for h in histories]
        starts = np.cumsum([0] + lengths[:-1])

        def joined(parts):
            if parts[0] is None:
                return None
            return np.concatenate([p[:-1] for p in parts[:-1]] + [parts[-1]])

        def records(name):
            return joined([getattr(h, name) for h in histories])

        return cls(
            steps=joined([h.steps + s for h, s in zip(histories, starts)]),
            loss=records("loss"),
            mean_loss=sum(h.mean_loss * n for h, n in zip(histories, lengths)) / sum(lengths),
            train_acc=records("train_acc"),
            test_loss=records("test_loss"),
            test_acc=records("test_acc"),
            max_drift=histories[-1].max_drift,
        )
