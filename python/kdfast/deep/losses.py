"""Hard-label, soft-label (Hinton's distillation) and mixed losses, for one model or a stack of them.

Shapes: logits (..., n, C) for n samples and C classes, labels (..., n)
integer classes, teacher logits (..., n, C). The leading dimensions (none
for one model, (K,) for a stack of K models) are kept: each loss is the
mean over the n samples, so a stack gets one loss per model. Temperature
and alpha are numbers or tensors of the leading shape (one per model).

- hard: cross-entropy, -log softmax(s)[y];
- soft: tau^2 KL(softmax(t / tau) || softmax(s / tau)), the tau^2 keeping
  the gradient's scale independent of tau (Hinton et al., 2015);
- mixed: alpha soft + (1 - alpha) hard.

Two classes are the binary case of the same formulas.
"""

from __future__ import annotations

import torch

from .. import _validation as check

__all__ = ["distillation_loss", "hard_loss", "soft_loss"]


def _per_model(value, logits: torch.Tensor, name: str) -> torch.Tensor:
    """A number, or one per model (a tensor of the leading shape), as a tensor in the logits' dtype."""
    value = torch.as_tensor(value, dtype=logits.dtype, device=logits.device)
    leading = tuple(logits.shape[:-2])
    if value.ndim != 0 and tuple(value.shape) != leading:
        raise check.InputValueError(f"{name}: expected a number or shape {leading}, got shape {tuple(value.shape)}")
    return value


def _check_logits(logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor) or logits.ndim < 2 or not logits.is_floating_point():
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise check.InputValueError(f"logits: expected a floating-point tensor (..., n, classes), got {shape}")


def hard_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the labels, averaged over samples: shape logits.shape[:-2]."""
    _check_logits(logits)
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise check.InputValueError(f"labels: expected shape {tuple(logits.shape[:-1])}, got {tuple(labels.shape)}")
    log_q = torch.log_softmax(logits, dim=-1)
    return -log_q.gather(-1, labels.long().unsqueeze(-1)).squeeze(-1).mean(dim=-1)


def soft_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, temperature=1.0) -> torch.Tensor:
    """tau^2 KL(softmax(teacher / tau) || softmax(student / tau)), averaged over samples."""
    _check_logits(logits)
    if tuple(teacher_logits.shape) != tuple(logits.shape):
        raise check.InputValueError(
            f"teacher_logits: expected shape {tuple(logits.shape)}, got {tuple(teacher_logits.shape)}"
        )
    tau = _per_model(temperature, logits, "temperature")
    if not (tau > 0).all():
        raise check.InputValueError("temperature: must be > 0")
    tau = tau[..., None]  # against a per-sample loss (..., n)
    t = tau[..., None]  # against logits (..., n, C)
    log_p = torch.log_softmax(teacher_logits / t, dim=-1)
    log_q = torch.log_softmax(logits / t, dim=-1)
    # p (log p - log q) with p = exp(log p): a teacher probability that
    # underflows to 0 contributes 0 (0 log 0 = 0), never NaN.
    kl = (log_p.exp() * (log_p - log_q)).sum(dim=-1)
    return (tau**2 * kl).mean(dim=-1)


def distillation_loss(logits, labels, teacher_logits, temperature=1.0, alpha=1.0) -> torch.Tensor:
    """alpha soft_loss + (1 - alpha) hard_loss; alpha 1: soft labels only, 0: hard labels only."""
    _check_logits(logits)
    a = _per_model(alpha, logits, "alpha")
    if not ((a >= 0) & (a <= 1)).all():
        raise check.InputValueError("alpha: must lie in [0, 1]")
    return a * soft_loss(logits, teacher_logits, temperature) + (1 - a) * hard_loss(logits, labels)
