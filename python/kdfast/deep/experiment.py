"""Soft- vs hard-label deep students by width and seed, in the tables of :class:`kdfast.Comparison`.

:func:`compare` trains a teacher (a wider member of the student family, on
the noisy hard labels) or takes yours, then for every width trains, as one
vectorised model, a soft student and a hard student per seed: the two of a
seed start from the same weights and see the same batches, so every
soft-vs-hard difference is paired. :func:`sweep` runs it over several data
sets (e.g. noise levels), serially or on any executor, into a
:class:`kdfast.Sweep`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .. import _validation as check
from .._jobs import stop_if_cancelled
from .._metrics import MODES
from ..comparison import Comparison
from ..experiments import seed_list
from .._sweep import Sweep, comparisons, job_threads, named_datasets
from . import defaults as D
from .data import ImageData
from .losses import distillation_loss
from .models import arch_name, student_factory
from .train import init_students, predict, torch_device, torch_settings, torch_threads, train

__all__ = ["compare", "sweep"]

TEACHER_OPTIONS = ("width", "epochs", "seed")


def _given_logits(teacher, data: ImageData):
    """(train, test or None) logits from an array or a (train, test) pair."""
    train_, test_ = teacher if isinstance(teacher, tuple) else (teacher, None)
    out: list[np.ndarray | None] = []
    for value, rows, what in ((train_, data.n_train, "training"), (test_, data.n_test, "test")):
        if value is None:
            out.append(None)
            continue
        arr = np.asarray(value, dtype=np.float32)
        if arr.shape != (rows, data.n_classes) or not np.isfinite(arr).all():
            raise check.InputValueError(
                f"teacher: expected finite {what} logits of shape ({rows}, {data.n_classes}), got {arr.shape}"
            )
        out.append(torch.from_numpy(arr))
    return out


def _teacher_plan(teacher, teacher_params, epochs: int) -> dict | None:
    """Width, epochs and seed of the teacher to train (teacher None), checked; None for a given teacher."""
    if teacher_params is not None and not isinstance(teacher_params, dict):
        raise check.InputTypeError(f"teacher_params: expected a dict, got {type(teacher_params).__name__}")
    params = dict(teacher_params or {})
    if teacher is not None:
        if params:
            raise check.InputValueError("teacher_params: only for the teacher kdfast trains (teacher=None)")
        return None
    unknown = sorted(set(params) - set(TEACHER_OPTIONS))
    if unknown:
        raise check.InputValueError(
            f"teacher_params: unknown option {unknown[0]!r} (options: {', '.join(TEACHER_OPTIONS)})"
        )
    return {
        "width": check.positive_int(params.get("width", D.TEACHER_WIDTH), "teacher_params['width']"),
        "epochs": check.positive_int(params.get("epochs", epochs), "teacher_params['epochs']"),
        "seed": check.positive_int(params.get("seed", 0), "teacher_params['seed']", minimum=0),
    }


def _teacher(teacher, plan, data, factory, X, y, X_test, train_kwargs, callback):
    """The teacher's logits on the training and test inputs, and a description of it."""
    if plan is not None:
        width, epochs, seed = plan["width"], plan["epochs"], plan["seed"]
        (model,) = init_students(factory, width, [seed])
        model.to(X.device)
        zeros = torch.zeros(X.shape[0], data.n_classes, dtype=X.dtype, device=X.device)
        train(
            [model],
            X,
            y,
            zeros,
            seeds=[seed],
            temperature=1.0,
            alpha=0.0,
            **{**train_kwargs, "epochs": epochs, "vectorize": False},
            callback=callback,
        )
        described = f"width {width}, {epochs} epochs on the hard labels, seed {seed}"
    elif isinstance(teacher, torch.nn.Module):
        model = teacher.to(X.device)
        described = f"given module {type(teacher).__name__}"
    else:
        if not isinstance(teacher, (np.ndarray, tuple, list, torch.Tensor)):
            raise check.InputTypeError(
                f"teacher: expected None, an nn.Module, or logits (an array or a (train, test) pair), "
                f"got {type(teacher).__name__}"
            )
        f_train, f_test = _given_logits(tuple(teacher) if isinstance(teacher, list) else teacher, data)
        return f_train.to(X.device), (None if f_test is None else f_test.to(X.device)), "given logits"
    model.eval()
    f_train = predict([model], X, vectorize=False)[0]
    f_test = predict([model], X_test, vectorize=False)[0] if X_test.shape[0] else None
    return f_train, f_test, described


def compare(
    data: ImageData,
    *,
    arch=D.ARCH,
    widths=D.WIDTHS,
    seeds=D.SEEDS,
    flip: float | None = None,
    teacher=None,
    teacher_params: dict | None = None,
    temperature: float = D.TEMPERATURE,
    alpha: float = D.ALPHA,
    epochs: int = D.EPOCHS,
    batch_size: int = D.BATCH_SIZE,
    lr: float = D.LR,
    optimizer: str = D.OPTIMIZER,
    schedule: str = D.SCHEDULE,
    weight_decay: float = D.WEIGHT_DECAY,
    vectorize: bool = True,
    device="cpu",
    n_threads=None,
    progress: bool | None = None,
) -> Comparison:
    """Soft- vs hard-label students of every width and seed; a :class:`kdfast.Comparison`.

    For each width, a soft student per seed trains on the loss
    alpha tau^2 KL(softmax(t / tau) || softmax(s / tau)) + (1 - alpha) CE(labels),
    and a hard student per seed on the cross-entropy of the (noisy)
    training labels; the two of a seed start from the same weights and see
    the same batches.

    Parameters
    ----------
    data : ImageData (see :mod:`kdfast.deep.data`)
    arch : "cnn", "mlp", or a callable width -> nn.Module (images to logits)
    widths : widths of the family (CNN: channels of the first block; MLP: hidden units)
    seeds : a count n (seeds 0 .. n-1) or the seeds
    flip : None (the data's labels as they are) or a label-noise rate: the
        training labels are redrawn from the clean ones with this rate
        (:meth:`ImageData.with_flip`)
    teacher : None (train one: the family at teacher_params["width"]
        (default 32) for teacher_params["epochs"] (default: epochs) on the
        noisy hard labels, seed teacher_params["seed"] (default 0)), a
        trained nn.Module (used as given), or logits: an (n_train, C) array,
        or a pair (train logits, test logits)
    temperature : tau > 0 of the soft labels and the soft loss
    alpha : weight of the soft loss in the soft students' loss (1: soft only)
    epochs, batch_size, lr : the optimisation, for students and trained teacher
    optimizer : "sgd" (momentum 0.9) or "adam"
    schedule : "cosine" (decay to 0 over the run) or "constant"
    weight_decay : L2 penalty of the optimiser
    vectorize : train each width's students as one vmapped model (True) or one by one
    device : "cpu" (default) or "cuda"
    n_threads : PyTorch threads (scikit-learn's meaning; None: PyTorch's
        setting). Results are reproducible run to run for a given thread
        count and device.
    progress : None (a bar only on a terminal), True or False

    Returns
    -------
    Comparison
        Its table has one row per student: dataset, arch, mode, width,
        seed, mean_loss (minibatch loss averaged over all steps),
        final_loss and train_acc (on the training set and its noisy labels
        after training), test_loss (own objective, clean test labels),
        test_acc, teacher_agreement (same argmax as the teacher on the
        test set), and the settings. Its curves, one row per student and
        epoch: loss (the epoch's mean minibatch loss), test_loss, test_acc.
    """
    if not isinstance(data, ImageData):
        raise check.InputTypeError(
            f"data: expected a kdfast.deep ImageData (e.g. kdfast.deep.mnist()), got {type(data).__name__}"
        )
    widths, seeds = sorted(check.int_list(widths, "widths", minimum=1, distinct=True)), seed_list(seeds)
    if flip is not None:
        data = data.with_flip(flip)
    factory = student_factory(arch, data.shape, data.n_classes)
    temperature = check.real_number(temperature, "temperature", minimum=0, exclusive=True)
    alpha = check.real_number(alpha, "alpha", minimum=0, maximum=1)
    epochs = check.positive_int(epochs, "epochs")
    batch_size = check.positive_int(batch_size, "batch_size")
    lr = check.real_number(lr, "lr", minimum=0, exclusive=True)
    weight_decay = check.real_number(weight_decay, "weight_decay", minimum=0)
    optimizer = check.choice(optimizer, "optimizer", D.OPTIMIZERS)
    schedule = check.choice(schedule, "schedule", D.SCHEDULES)
    vectorize = check.flag(vectorize, "vectorize")
    device = torch_device(device)
    threads = torch_threads(n_threads)
    disable = check.progress_disabled(progress)
    plan = _teacher_plan(teacher, teacher_params, epochs)
    batches = -(-data.n_train // batch_size)

    def as_tensor(a, dtype=torch.float32):
        return torch.as_tensor(a, dtype=dtype, device=device)

    X, y = as_tensor(data.X_train), as_tensor(data.y_train, torch.int64)
    X_test, y_test = as_tensor(data.X_test), as_tensor(data.y_test, torch.int64)
    train_kwargs: dict[str, Any] = dict(
        epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, schedule=schedule, weight_decay=weight_decay
    )
    S, W = len(seeds), len(widths)
    total = ((plan["epochs"] if plan else 0) + W * epochs) * batches
    with (
        torch_settings(threads),
        tqdm(total=total, desc=f"{data.name}: {2 * S * W} students", unit="step", disable=disable, leave=False) as bar,
    ):

        def tick():
            stop_if_cancelled()
            bar.update()

        started = time.perf_counter()
        f_train, f_test, described = _teacher(teacher, plan, data, factory, X, y, X_test, train_kwargs, tick)
        teacher_seconds = time.perf_counter() - started
        soft_known = f_test is not None
        started = time.perf_counter()
        records = []
        for width in widths:
            # Soft students of every seed, then hard ones: pairs share a seed (weights and batches).
            modules = [m.to(device) for m in init_students(factory, width, seeds + seeds)]
            taus, alphas = [temperature] * S + [1.0] * S, [alpha] * S + [0.0] * S
            record = train(
                modules,
                X,
                y,
                f_train,
                seeds=seeds + seeds,
                temperature=taus,
                alpha=alphas,
                X_test=X_test,
                y_test=y_test,
                teacher_test_logits=f_test,
                vectorize=vectorize,
                callback=tick,
                **train_kwargs,
            )
            logits = predict(modules, X, vectorize=vectorize)
            final = _final(logits, y, f_train, taus, alphas)
            agreement = np.full(2 * S, np.nan)
            if soft_known:
                test_logits = predict(modules, X_test, vectorize=vectorize)
                agreement = (test_logits.argmax(-1) == f_test.argmax(-1)).double().mean(-1).cpu().numpy()
            records.append((width, record, final, agreement))
        student_seconds = time.perf_counter() - started

    name = arch_name(arch)
    table, curves = _frames(data, name, seeds, records, batches, soft_known)
    settings = dict(
        temperature=np.where(table["mode"] == "soft", temperature, 1.0),
        alpha=np.where(table["mode"] == "soft", alpha, 0.0),
        flip=data.params.get("flip", np.nan),
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        schedule=schedule,
        weight_decay=weight_decay,
        steps=epochs * batches,
    )
    from .. import __version__

    f_np = f_train.argmax(-1).cpu().numpy()
    teacher_train_acc = float(np.mean(f_np == data.y_train))
    teacher_test_acc = None if f_test is None else float(np.mean(f_test.argmax(-1).cpu().numpy() == data.y_test))
    # The teacher's columns, as in a two-layer comparison's table (on the soft rows; NaN on the hard ones).
    soft = table["mode"] == "soft"
    teacher_name = "teacher" if plan is None else f"{name}(width={plan['width']})"
    table = table.assign(
        **settings,
        teacher=pd.array([teacher_name if is_soft else None for is_soft in soft], dtype=object),
        teacher_train_agreement=np.where(soft, teacher_train_acc, np.nan),
        teacher_test_acc=np.where(soft, np.nan if teacher_test_acc is None else teacher_test_acc, np.nan),
    )
    params = {
        "students": "deep",
        "dataset": data.name,
        "data_params": dict(data.params),
        "arch": name,
        "n_train": data.n_train,
        "n_test": data.n_test,
        "shape": list(data.shape),
        "n_classes": data.n_classes,
        "teacher": described,
        "teacher_names": [teacher_name],
        "teacher_train_acc": teacher_train_acc,
        "teacher_clean_train_acc": float(np.mean(f_np == data.y_train_clean)),
        "teacher_test_acc": teacher_test_acc,
        "temperature": temperature,
        "alpha": alpha,
        "widths": widths,
        "seeds": seeds,
        "epochs": epochs,
        "batch_size": batch_size,
        "steps": epochs * batches,
        "lr": lr,
        "optimizer": optimizer,
        "schedule": schedule,
        "weight_decay": weight_decay,
        "vectorize": vectorize,
        "device": str(device),
        "n_threads": threads,
        "seconds_teacher": teacher_seconds,
        "seconds_students": student_seconds,
        "kdfast": __version__,
        "torch": torch.__version__,
    }
    return Comparison(table, curves, params)


def _final(logits, y, f_train, taus, alphas):
    """(loss, accuracy) of each student on the whole training set after training.

    The loss is its own objective; the accuracy is against the noisy labels.
    """
    K = logits.shape[0]
    with torch.no_grad():
        loss = distillation_loss(
            logits,
            y.expand(K, -1),
            f_train.expand(K, -1, -1),
            torch.tensor(taus, dtype=logits.dtype),
            torch.tensor(alphas, dtype=logits.dtype),
        )
        acc = (logits.argmax(-1) == y).double().mean(-1)
    return loss.double().cpu().numpy(), acc.cpu().numpy()


def _frames(data: ImageData, arch: str, seeds: list[int], records, batches: int, soft_known: bool):
    """The table and the curves.

    The table has one row per student (soft before hard, by width and seed), the curves one per student and epoch.
    """
    S = len(seeds)
    rows, lines = [], []
    for m, mode in enumerate(MODES):
        for width, record, (final_loss, train_acc), agreement in records:
            for i, seed in enumerate(seeds):
                k = m * S + i
                key = {"dataset": data.name, "arch": arch, "mode": mode, "width": width, "seed": seed}
                test_loss = np.nan if record.test_loss is None else record.test_loss[-1, k]
                test_acc = np.nan if record.test_acc is None else record.test_acc[-1, k]
                rows.append(
                    {
                        **key,
                        "mean_loss": record.mean_loss[k],
                        "final_loss": final_loss[k],
                        "train_acc": train_acc[k],
                        "test_loss": test_loss,
                        "test_acc": test_acc,
                        "teacher_agreement": agreement[k],
                    }
                )
                for epoch in range(record.epoch_loss.shape[0]):
                    lines.append(
                        {
                            **key,
                            "epoch": epoch + 1,
                            "step": (epoch + 1) * batches,
                            "loss": record.epoch_loss[epoch, k],
                            "test_loss": np.nan if record.test_loss is None else record.test_loss[epoch, k],
                            "test_acc": np.nan if record.test_acc is None else record.test_acc[epoch, k],
                        }
                    )
    table = pd.DataFrame(rows).astype({"width": np.int64, "seed": np.int64})
    curves = pd.DataFrame(lines).astype({"width": np.int64, "seed": np.int64, "epoch": np.int64, "step": np.int64})
    return table, curves


# -- several data sets -----------------------------------------------------------


def sweep(datasets, *, executor=None, n_threads=None, progress: bool | None = None, **compare_kwargs) -> Sweep:
    """:func:`compare` on each data set (e.g. one per noise level): a :class:`kdfast.Sweep`.

    Parameters
    ----------
    datasets : dict name -> ImageData, or a list of ImageData (named by ``.name``)
    executor : a concurrent.futures.Executor (``ProcessPoolExecutor``, a Dask
        ``Client.get_executor()``), or None to run here, one after the other.
        PyTorch's thread count is per process: run parallel jobs in
        processes, not threads.
    n_threads : PyTorch threads per job; with an executor, None means 1.
    **compare_kwargs : passed to :func:`compare`.
    """
    named = named_datasets(datasets, ImageData, "kdfast.deep.compare")
    kwargs = {**compare_kwargs, "n_threads": job_threads(n_threads, executor)}
    return comparisons(compare, named, kwargs, margins={}, executor=executor, progress=progress, desc="deep sweep")
