"""Student families with a width knob: plain ``torch.nn.Module`` classes to read, copy and replace.

- :class:`CNN`: two conv-ReLU-maxpool blocks (width and 2 x width
  channels, 3 x 3 kernels) and a linear layer to the classes;
- :class:`MLP`: `depth` hidden layers of `width` ReLU units.

Any callable ``width -> nn.Module`` that maps images (n, C, H, W) to logits
(n, classes) serves as a family too (see :func:`student_factory`). Modules
are built with PyTorch's default initialisation, drawn from a seeded
generator by the trainer, so a student's start depends only on its seed.
"""

from __future__ import annotations

import functools
import math

from torch import nn

from .. import _validation as check

__all__ = ["ARCHS", "CNN", "MLP", "student_factory"]


class CNN(nn.Module):
    """conv(width) - ReLU - maxpool 2 - conv(2 width) - ReLU - maxpool 2 - linear.

    Parameters
    ----------
    width : channels of the first block (the second has twice as many)
    in_shape : (channels, height, width) of the images
    n_classes : outputs (logits)
    """

    def __init__(self, width: int, in_shape: tuple[int, ...], n_classes: int):
        super().__init__()
        channels, height, breadth = in_shape
        if min(height, breadth) < 4:
            raise check.InputValueError(
                f"in_shape: the CNN pools twice by 2 and needs images of at least 4 x 4, got {in_shape}"
            )
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(2 * width * (height // 4) * (breadth // 4), n_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))


class MLP(nn.Module):
    """flatten - `depth` x (linear(width) - ReLU) - linear."""

    def __init__(self, width: int, in_shape: tuple[int, ...], n_classes: int, depth: int = 2):
        super().__init__()
        layers, inputs = [], math.prod(in_shape)
        for _ in range(depth):
            layers += [nn.Linear(inputs, width), nn.ReLU()]
            inputs = width
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(inputs, n_classes)

    def forward(self, x):
        return self.output(self.hidden(x.flatten(start_dim=1)))


ARCHS = {"cnn": CNN, "mlp": MLP}


def student_factory(arch, in_shape: tuple[int, ...], n_classes: int):
    """A callable ``width -> nn.Module`` from a family name ("cnn", "mlp") or a user factory.

    A user factory is called as ``arch(width)`` and must return an
    ``nn.Module`` mapping images ``(n, *in_shape)`` to logits (n, n_classes).
    """
    if isinstance(arch, str):
        if arch not in ARCHS:
            raise check.InputValueError(
                f"arch: expected one of {', '.join(map(repr, ARCHS))} or a callable width -> nn.Module, got {arch!r}"
            )
        return functools.partial(ARCHS[arch], in_shape=tuple(in_shape), n_classes=n_classes)
    if not callable(arch):
        raise check.InputTypeError(
            f"arch: expected a family name or a callable width -> nn.Module, got {type(arch).__name__}"
        )
    return arch


def arch_name(arch) -> str:
    """How the family appears in tables: its name, or the factory's qualified name."""
    if isinstance(arch, str):
        return arch
    return getattr(arch, "__qualname__", None) or type(arch).__name__
