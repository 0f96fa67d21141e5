"""A convolutional teacher for image data sets of flattened rows, for :func:`kdfast.compare`.

The two-layer students of kdfast see an image as a vector; a convolutional
network sees its pixels' neighbourhoods, so on MNIST or the 8x8 digits it
is a stronger teacher than the students' own kind: the classic
distillation setting. :class:`ConvTeacher` trains the :class:`CNN` family
of :mod:`kdfast.deep` with :func:`~kdfast.deep.train.train` on the hard
labels, with early stopping on a held-out share of the training set, and
speaks the teacher protocol of :mod:`kdfast.teachers` (``fit(X, y)``,
``logits(X)``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import _validation as check
from .._jobs import stop_if_cancelled
from .._sampling import holdout
from ..teachers import BaseTeacher
from .models import student_factory
from .train import EVAL_BATCH, init_students, predict, torch_device, torch_settings, torch_threads, train

__all__ = ["ConvTeacher"]

# Rows turned into one image tensor at a time in ``logits``: bounds the
# float32 copy of a large test set (EVAL_BATCH rows per forward pass).
_ROWS = 16 * EVAL_BATCH


def _image_shape(shape, d: int) -> tuple[int, int, int]:
    """(channels, height, width) of rows of d values: `shape`, or (1, s, s) for d = s * s."""
    if shape is None:
        side = math.isqrt(d)
        if side * side != d:
            raise check.InputValueError(
                f"shape: rows of {d} values are not square one-channel images; give shape=(channels, height, width)"
            )
        shape = (1, side, side)
    else:
        values = list(shape) if isinstance(shape, (tuple, list)) else None
        if values is None or len(values) != 3:
            raise check.InputValueError(f"shape: expected (channels, height, width), got {shape!r}")
        shape = tuple(check.int_list(values, "shape", minimum=1))
        if math.prod(shape) != d:
            raise check.InputValueError(f"shape: {shape} holds {math.prod(shape)} values, but rows of X have {d}")
    if min(shape[1:]) < 4:
        raise check.InputValueError(f"shape: the CNN pools twice by 2 and needs images of at least 4 x 4, got {shape}")
    return shape


class ConvTeacher(BaseTeacher):
    """A convolutional network trained on the hard labels, with early stopping: a teacher for image data.

    Rows of X are images flattened in C order (channels, height, width), as
    the data sets of :mod:`kdfast.datasets` give them (MNIST: d = 784,
    (1, 28, 28); the 8x8 digits: d = 64, (1, 8, 8)). ``fit``:

    1. holds out a stratified `validation` share of the training set
       (seeded by `seed`);
    2. standardises the pixels with the training part's mean and standard
       deviation, one number each (the data sets' rows have unit norm, so
       raw pixels are tiny: about 1/28 on MNIST);
    3. trains :class:`~kdfast.deep.CNN` of width `width` (conv(width) -
       conv(2 width) - linear, two classes: class 1 is y = +1) with Adam at
       the constant rate `lr` on the cross-entropy, `epochs` passes over the
       training part in minibatches of `batch_size`;
    4. scores the validation part after every epoch and keeps the weights
       of the first epoch with the best validation accuracy. Epoch 0, the
       initial weights, is a candidate too (as step 0 is for
       :class:`~kdfast.NetworkTeacher`): a network no better than its
       random start is not used as if it had learnt. The held-out labels
       are as noisy as the training labels: that is all a practitioner has.

    The logits are the log-odds of class +1, z_1 - z_0 for the network's
    outputs z, in float64.

    Initial weights (PyTorch's initialisation under ``torch.manual_seed(seed)``),
    data order and the validation split depend only on `seed`: on the CPU,
    the same seed and thread count give the same teacher. PyTorch's global
    thread count and deterministic-algorithms flag are set during ``fit``
    and ``logits`` and restored after (also on Ctrl-C or an error); they
    are process-wide, so do not fit two ConvTeachers in threads of one
    process at once.

    Parameters
    ----------
    shape : None or (channels, height, width)
        The image shape of a row; None: (1, s, s) for rows of d = s * s values.
    width : int >= 1
        Channels of the CNN's first block (the second has twice as many).
        16 (about 9,000 parameters on 28 x 28 images, 5,000 on 8 x 8) is
        ample for a two-class task, reaching test accuracies the two-layer
        students cannot on MNIST pairs, and trains MNIST pairs in tens of
        seconds on two cores.
    epochs : int >= 1
        Passes over the training part. 20: with early stopping, more epochs
        only cost time, and Adam at 1e-3 on a two-class task has usually
        peaked well before.
    batch_size : int >= 1
        64, as the deep students' default (kdfast.deep.compare).
    lr : float > 0
        Adam's learning rate, constant: 1e-3 is Adam's own default, robust
        without tuning; no decay, since early stopping picks the epoch.
    validation : None or float in (0, 1)
        Share of the training set held out for early stopping (0.1: enough
        to rank epochs, little taken from training). None: train on all of
        it and keep the last epoch.
    seed : int in [0, 2**63)
    n_threads : None or int
        PyTorch threads, scikit-learn's meaning (None: PyTorch's setting).
    device : "cpu" (default), "cuda" or a torch.device

    Attributes
    ----------
    model_ : the trained CNN (torch.nn.Module, in eval mode, on `device`), at the best epoch
    shape_ : (channels, height, width) of the images
    mean_, std_ : the pixel standardisation ``(x - mean_) / std_``
    best_epoch_ : the epoch whose weights are kept (0: the initial ones; `epochs` without validation)
    validation_acc_ : (epochs + 1,) validation accuracy after each epoch, [0] of the initial
        weights (None without validation)
    loss_curve_ : (epochs,) mean minibatch cross-entropy of each epoch, on the training part
    n_features_in_ : d
    """

    def __init__(
        self,
        shape=None,
        *,
        width: int = 16,
        epochs: int = 20,
        batch_size: int = 64,
        lr: float = 1e-3,
        validation=0.1,
        seed: int = 0,
        n_threads=None,
        device="cpu",
    ):
        self.shape = shape
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation = validation
        self.seed = seed
        self.n_threads = n_threads
        self.device = device

    def fit(self, X, y) -> ConvTeacher:
        width = check.positive_int(self.width, "width")
        epochs = check.positive_int(self.epochs, "epochs")
        batch_size = check.positive_int(self.batch_size, "batch_size")
        lr = check.positive_number(self.lr, "lr")
        seed = check.positive_int(self.seed, "seed", minimum=0)
        if seed >= 2**63:
            raise check.InputValueError(f"seed: must be < 2**63, got {seed}")
        threads = torch_threads(self.n_threads)
        device = torch_device(self.device)
        X = check.matrix(X, "X", np.float64)
        y = check.labels(y, "y", X.shape[0], both_classes=True)
        shape = _image_shape(self.shape, X.shape[1])
        if self.validation is None:
            held = np.array([], dtype=np.int64)
        else:
            share = check.real_number(self.validation, "validation", minimum=0, maximum=1, exclusive=True)
            held = holdout(y, share, np.random.default_rng(seed))
        part = np.setdiff1d(np.arange(X.shape[0]), held)
        mean, std = float(X[part].mean()), float(X[part].std())
        std = std if std > 0 else 1.0  # constant pixels: nothing to scale

        def images(rows: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(((X[rows] - mean) / std).reshape(-1, *shape), dtype=torch.float32, device=device)

        def classes(rows: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(y[rows] > 0, dtype=torch.int64, device=device)

        with torch_settings(threads):
            (model,) = init_students(student_factory("cnn", shape, 2), width, [seed])
            model.to(device)
            X_part, y_part = images(part), classes(part)
            X_val, y_val = images(held), classes(held)
            batches, done = math.ceil(part.size / batch_size), 0
            accuracy: list[float] = []
            best: dict[str, torch.Tensor] | None = None

            def score() -> None:
                """Validation accuracy of the weights now; a copy of them when they are the first of the best."""
                nonlocal best
                model.eval()
                z = predict([model], X_val, vectorize=False)[0]
                model.train()
                accuracy.append(float((z.argmax(dim=-1) == y_val).double().mean()))
                if accuracy[-1] > max(accuracy[:-1], default=-1.0):
                    best = {name: t.detach().clone() for name, t in model.state_dict().items()}

            def step_done() -> None:
                # train() calls back after every optimiser step; with vectorize=False it
                # updates the module in place, so after an epoch's last step the module
                # holds that epoch's weights.
                nonlocal done
                stop_if_cancelled()
                done += 1
                if held.size and done % batches == 0:
                    score()

            if held.size:
                score()  # epoch 0: the initial weights
            zeros = torch.zeros(part.size, 2, dtype=torch.float32, device=device)  # no soft labels: alpha 0
            record = train(
                [model],
                X_part,
                y_part,
                zeros,
                seeds=[seed],
                temperature=1.0,
                alpha=0.0,
                epochs=epochs,
                batch_size=batch_size,
                lr=lr,
                optimizer="adam",
                schedule="constant",
                vectorize=False,
                callback=step_done,
            )
            if best is not None:
                model.load_state_dict(best)
            model.eval()

        # Every fitted attribute is set at the end: an interrupted fit leaves the teacher as it was.
        self.model_ = model
        self.shape_ = shape
        self.mean_, self.std_ = mean, std
        self.validation_acc_ = np.array(accuracy) if held.size else None
        self.best_epoch_ = int(np.argmax(accuracy)) if held.size else epochs
        self.loss_curve_ = record.epoch_loss[:, 0].copy()
        self.n_features_in_ = X.shape[1]
        return self

    def logits(self, X) -> np.ndarray:
        """ln P(+1) / P(-1) = z_1 - z_0 of the network at the best epoch, shape (n,), float64."""
        X = self._inputs(X)
        device = next(self.model_.parameters()).device
        out = np.empty(X.shape[0])
        with torch_settings(torch_threads(self.n_threads)):
            for start in range(0, X.shape[0], _ROWS):
                rows = (X[start : start + _ROWS] - self.mean_) / self.std_
                x = torch.as_tensor(rows.reshape(-1, *self.shape_), dtype=torch.float32, device=device)
                z = predict([self.model_], x, vectorize=False)[0].double()
                out[start : start + _ROWS] = (z[:, 1] - z[:, 0]).cpu().numpy()
        return out
