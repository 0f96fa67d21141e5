"""Training a set of students, each on its own mix of soft and hard labels, as one vectorised model.

:func:`train` takes K modules of one architecture (different seeds, soft
and hard students alike) and trains them with minibatch SGD (with
momentum) or Adam. With ``vectorize=True`` (the default) the K modules'
parameters are stacked (``torch.func.stack_module_state``) and every step
is one ``torch.func.vmap`` over them: one batched forward and backward
instead of K small ones. With ``vectorize=False`` each module trains in a
plain loop of its own. Both do the same arithmetic per module:

- module k sees the training set in the order of its own generator,
  seeded by ``seeds[k]`` (modules with the same seed see the same batches:
  a soft and a hard student of one seed are paired);
- its loss is :func:`~kdfast.deep.losses.distillation_loss` with its own
  temperature and alpha (alpha 1: soft labels, 0: hard labels);
- the optimisers are elementwise, so one optimiser over the stacked
  parameters is K independent ones.

The results agree to float32 rounding (the batched kernels sum in another
order). A module's initial weights come from :func:`init_students`,
seeded by its seed alone.
"""

from __future__ import annotations

import contextlib
import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import functional_call, stack_module_state, vmap

from .. import _validation as check
from .defaults import MOMENTUM
from .losses import distillation_loss

__all__ = ["TrainingRecord", "init_students", "predict", "train"]

# Samples per forward pass when evaluating: bounds the memory of a stack's activations.
EVAL_BATCH = 1024


def torch_device(device) -> torch.device:
    """`device` ("cpu", "cuda" or a torch.device) as a torch.device that PyTorch can use here."""
    try:
        device = torch.device(device)
    except (TypeError, RuntimeError):
        raise check.InputValueError(f"device: expected 'cpu', 'cuda' or a torch.device, got {device!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise check.InputValueError("device: 'cuda' asked for, but PyTorch sees no CUDA device")
    return device


def torch_threads(n_threads) -> int | None:
    """scikit-learn's n_threads for PyTorch's intra-op pool: None keeps PyTorch's own setting."""
    n_threads = check.thread_count(n_threads)
    if n_threads is None or n_threads > 0:
        return n_threads
    return max(1, torch.get_num_threads() + 1 + n_threads)


@dataclass
class TrainingRecord:
    """What :func:`train` measured, one column per module.

    Attributes
    ----------
    mean_loss : (K,) minibatch loss averaged over all steps
    epoch_loss : (epochs, K) minibatch loss averaged over each epoch
    test_loss, test_acc : (epochs, K) on the test set after each epoch, or
        None without one; test_loss is each module's own objective (NaN for
        a module with soft labels when the teacher's test logits are unknown)
    steps : optimiser steps taken by each module
    """

    mean_loss: np.ndarray
    epoch_loss: np.ndarray
    test_loss: np.ndarray | None
    test_acc: np.ndarray | None
    steps: int


def init_students(factory, width: int, seeds) -> list[torch.nn.Module]:
    """One module per seed, ``factory(width)`` with PyTorch's initialisation drawn under ``torch.manual_seed(seed)``.

    The global random state is restored afterwards, so building students
    never changes what other code draws.
    """
    modules = []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = factory(width)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"arch: the factory returned a {type(module).__name__}, not a torch.nn.Module")
        modules.append(module)
    return modules


@contextlib.contextmanager
def torch_settings(n_threads: int | None):
    """Deterministic algorithms and `n_threads` threads inside, PyTorch's previous settings restored after."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        if n_threads is not None:
            torch.set_num_threads(n_threads)
        torch.use_deterministic_algorithms(True)
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)


class _Stack:
    """K modules of one architecture as one function of stacked parameters (vmapped over the first axis)."""

    def __init__(self, modules):
        self.params, self.buffers = stack_module_state(modules)
        base = copy.deepcopy(modules[0]).to("meta")  # a skeleton: functional_call supplies the tensors

        def call(params, buffers, x):
            return functional_call(base, (params, buffers), (x,))

        self.each = vmap(call)  # every module its own batch: x (K, B, ...)
        self.shared = vmap(call, in_dims=(0, 0, None))  # one batch for all: x (B, ...)

    def __call__(self, x, *, shared: bool = False):
        return (self.shared if shared else self.each)(self.params, self.buffers, x)

    def write_back(self, modules) -> None:
        with torch.no_grad():
            for k, module in enumerate(modules):
                for name, p in module.named_parameters():
                    p.copy_(self.params[name][k])


def _optimizer(name: str, params, lr: float, weight_decay: float):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def _lr(schedule: str, lr: float, step: int, total: int) -> float:
    """Cosine decay from lr towards 0 over the run, or constant."""
    if schedule == "constant":
        return lr
    return 0.5 * lr * (1.0 + math.cos(math.pi * step / total))


def predict(modules, X: torch.Tensor, *, vectorize: bool = True) -> torch.Tensor:
    """Logits (K, n, C) of K modules on the same inputs, in batches of EVAL_BATCH samples."""
    with torch.no_grad():
        stack = _Stack(modules) if vectorize else None
        chunks = []
        for start in range(0, X.shape[0], EVAL_BATCH):
            x = X[start : start + EVAL_BATCH]
            chunks.append(stack(x, shared=True) if stack is not None else torch.stack([m(x) for m in modules]))
        return torch.cat(chunks, dim=1)


def _evaluate(modules, X, y, T, tau, alpha, soft_known: bool, vectorize: bool):
    """(loss (K,), accuracy (K,)) on (X, y): each module's own objective; NaN where the soft target is unknown."""
    logits = predict(modules, X, vectorize=vectorize)
    K = logits.shape[0]
    labels = y.expand(K, -1)
    acc = (logits.argmax(dim=-1) == labels).double().mean(dim=-1)
    if soft_known:
        loss = distillation_loss(logits, labels, T.expand(K, -1, -1), tau, alpha)
    else:  # hard students only: their loss needs no teacher
        loss = distillation_loss(logits, labels, logits, tau, torch.zeros_like(alpha))
        loss = torch.where(alpha > 0, torch.nan, loss)
    return loss.double().cpu().numpy(), acc.cpu().numpy()


def train(
    modules,
    X,
    y,
    teacher_logits,
    *,
    seeds,
    temperature,
    alpha,
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str = "sgd",
    schedule: str = "cosine",
    weight_decay: float = 0.0,
    X_test=None,
    y_test=None,
    teacher_test_logits=None,
    vectorize: bool = True,
    callback=None,
) -> TrainingRecord:
    """Train K modules in place, each on alpha soft + (1 - alpha) hard labels, and record their losses.

    Parameters
    ----------
    modules : K nn.Modules of one architecture (same parameter names and shapes)
    X : (n, ...) float tensor; y : (n,) int64 labels; teacher_logits : (n, C)
    seeds : K data-order seeds (the same seed: the same batches)
    temperature, alpha : a number or K numbers
    epochs, batch_size, lr, optimizer ("sgd": momentum 0.9, or "adam"),
    schedule ("cosine" or "constant"), weight_decay : the optimisation
    X_test, y_test, teacher_test_logits : evaluated after every epoch when given
    vectorize : one vmapped model (True) or a loop over the modules (False)
    callback : called with no arguments after every step (progress, cancellation)
    """
    K, n = len(modules), X.shape[0]
    if len(seeds) != K:
        raise ValueError(f"seeds: expected {K} seeds, one per module, got {len(seeds)}")
    device = X.device
    tau = torch.as_tensor(temperature, dtype=X.dtype, device=device).expand(K).clone()
    a = torch.as_tensor(alpha, dtype=X.dtype, device=device).expand(K).clone()
    orders = [np.random.default_rng([int(s), 1]) for s in seeds]  # data order: a stream of its own per seed
    batches = math.ceil(n / batch_size)
    total = epochs * batches
    epoch_loss = np.zeros((epochs, K))
    test = X_test is not None and X_test.shape[0] > 0
    test_loss = np.full((epochs, K), np.nan) if test else None
    test_acc = np.full((epochs, K), np.nan) if test else None

    if vectorize:
        stack = _Stack(modules)
        optimisers = [_optimizer(optimizer, list(stack.params.values()), lr, weight_decay)]
    else:
        optimisers = [_optimizer(optimizer, list(m.parameters()), lr, weight_decay) for m in modules]
    step = 0
    for epoch in range(epochs):
        index = torch.from_numpy(np.stack([g.permutation(n) for g in orders])).to(device)  # (K, n)
        sums = torch.zeros(K, dtype=torch.float64, device=device)
        for b in range(batches):
            rows = index[:, b * batch_size : (b + 1) * batch_size]  # (K, B)
            for opt in optimisers:
                for group in opt.param_groups:
                    group["lr"] = _lr(schedule, lr, step, total)
            if vectorize:
                losses = distillation_loss(stack(X[rows]), y[rows], teacher_logits[rows], tau, a)
                optimisers[0].zero_grad(set_to_none=True)
                losses.sum().backward()  # the modules are independent: each gets its own gradient
                optimisers[0].step()
            else:
                losses = []
                for k, (module, opt) in enumerate(zip(modules, optimisers)):
                    r = rows[k]
                    loss = distillation_loss(module(X[r]), y[r], teacher_logits[r], tau[k], a[k])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    losses.append(loss.detach())
                losses = torch.stack(losses)
            sums += losses.detach().double()
            step += 1
            if callback is not None:
                callback()
        epoch_loss[epoch] = (sums / batches).cpu().numpy()
        if vectorize:
            stack.write_back(modules)
        if test_loss is not None and test_acc is not None:
            known = teacher_test_logits is not None
            T = teacher_test_logits if known else None
            test_loss[epoch], test_acc[epoch] = _evaluate(modules, X_test, y_test, T, tau, a, known, vectorize)
    return TrainingRecord(epoch_loss.mean(axis=0), epoch_loss, test_loss, test_acc, total)
