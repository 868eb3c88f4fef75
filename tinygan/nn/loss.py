"""Loss modules, as ``torch.nn``: ``criterion = nn.BCELoss(); loss = criterion(D(x), label)``.

Each holds its ``reduction`` ("mean", "sum" or "none") and calls its functional form
(``tinygan.nn.functional``; the ops are in ``tinygan/ops/crossentropy.py`` and
``tinygan/ops/loss.py``). In a GAN, ``BCEWithLogitsLoss`` on D's logits is the stable choice
and ``BCELoss`` on a ``Sigmoid`` output the one many PyTorch examples use; on the same numbers
they agree (see the README's table of differences from PyTorch for why tinygan's own losses
take logits).

    >>> p = tinygan.tensor([0.8, 0.3])
    >>> round(BCELoss()(p, tinygan.tensor([1.0, 0.0])).item(), 6)
    0.289909
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops import crossentropy
from tinygan.ops.loss import binary_cross_entropy_with_logits

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class BCELoss(_Loss):
    """-[y log p + (1 - y) log(1 - p)] on probabilities p, logs clamped at -100 (PyTorch's)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return crossentropy.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCE on logits a, in the stable softplus form: -[y log s(a) + (1 - y) log(1 - s(a))]."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction)


class MSELoss(_Loss):
    """mean (x - y)^2 (the least-squares GAN's loss, with its targets)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return crossentropy.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """mean |x - y|."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return crossentropy.l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """-log softmax(a)[target]: class scores (N, C) and integer labels (N), or class
    probabilities of the scores' shape."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return crossentropy.cross_entropy(input, target, self.reduction)


class NLLLoss(_Loss):
    """-logp[target]: log-probabilities (N, C) (a ``log_softmax``) and integer labels (N)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return crossentropy.nll_loss(input, target, self.reduction)
