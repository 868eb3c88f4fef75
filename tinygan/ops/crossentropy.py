"""Losses under PyTorch's names: cross-entropy on probabilities and on class scores, MSE, L1.

``binary_cross_entropy`` is PyTorch's ``BCELoss``: it takes probabilities p = sigmoid(a), not
logits. The GAN chapter's losses in ``tinygan.losses`` are computed from D's logits, which is
stabler; this one exists because PyTorch code feeds ``nn.BCELoss`` a ``Sigmoid`` output, and it
reproduces PyTorch's numbers exactly, including its guards:

    l_i = -[y_i max(log p_i, -100) + (1 - y_i) max(log(1 - p_i), -100)]
    dl_i/dp_i = (p_i - y_i) / max(p_i (1 - p_i), 1e-12)

(in float32 a sigmoid rounds to exactly 1.0 above a ~ 17, where log(1 - p) = -inf; the clamp
and the guarded derivative keep loss and gradient finite, as in PyTorch).

``cross_entropy`` (class scores and integer labels) is ``nll_loss`` of ``log_softmax``:

    log_softmax(a)_c = a_c - m - log sum_k exp(a_k - m),    m = max_k a_k

(m is any constant: subtracting it only keeps exp from overflowing, so it is held fixed).

    >>> p = tinygan.tensor([0.9, 0.2])
    >>> round(binary_cross_entropy(p, tinygan.tensor([1.0, 0.0])).item(), 6)
    0.164252
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend, ops
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor

__all__ = [
    "BinaryCrossEntropy", "binary_cross_entropy", "cross_entropy", "l1_loss", "log_softmax",
    "mse_loss", "nll_loss", "reduce", "softmax",
]


def reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    """PyTorch's ``reduction``: "mean" (the default), "sum" or "none"."""
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _target(target: Any, like: Tensor, op: str) -> Tensor:
    t = target if isinstance(target, Tensor) else Tensor(backend.get_array_module(like.data)
                                                         .asarray(target, dtype=like.dtype))
    if t.shape != like.shape:
        raise ValueError(f"{op}: target has shape {t.shape}, the input {like.shape}; they must "
                         "match")
    return t


class BinaryCrossEntropy(Function):
    """f(p, y) = -[y max(log p, -100) + (1 - y) max(log(1 - p), -100)], elementwise.

    df/dp = (p - y) / max(p (1 - p), 1e-12), PyTorch's guarded form. No gradient for y.
    """

    @staticmethod
    def forward(ctx: Context, p: Any, y: Any) -> Any:
        xp = backend.get_array_module(p)
        if (p < 0).any() or (p > 1).any():
            raise ValueError("binary_cross_entropy: the input must be probabilities in [0, 1] "
                             "(a sigmoid's output); for logits use "
                             "binary_cross_entropy_with_logits")
        ctx.save_for_backward(p, y)
        with numpy.errstate(divide="ignore"):  # log 0 = -inf, clamped next
            log_p = xp.maximum(xp.log(p), -100.0)
            log_1mp = xp.maximum(xp.log(1.0 - p), -100.0)
        return -(y * log_p + (1.0 - y) * log_1mp)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        p, y = ctx.saved_tensors
        xp = backend.get_array_module(p)
        return grad * (p - y) / xp.maximum(p * (1.0 - p), 1e-12), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, p: Tensor, y: Tensor) -> tuple[Any, None]:
        return grad * (p - y) / ops.maximum(p * (1.0 - p), 1e-12), None  # the same, recorded


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.binary_cross_entropy``: the mean of -[y log p + (1 - y) log(1 - p)] over
    all elements, on probabilities p (see the module docstring). ``weight`` scales each term."""
    target = _target(target, input, "binary_cross_entropy")
    if target.requires_grad:
        raise ValueError("binary_cross_entropy: tinygan gives no gradient with respect to the "
                         "target; pass target.detach() (or use binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction, "binary_cross_entropy")


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean (x - y)^2 (PyTorch's ``MSELoss``)."""
    diff = input - _target(target, input, "mse_loss")
    return reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean |x - y| (PyTorch's ``L1Loss``)."""
    return reduce(ops.abs(input - _target(target, input, "l1_loss")), reduction, "l1_loss")


def log_softmax(input: Tensor, dim: int = 1) -> Tensor:
    """a - m - log sum exp(a - m) along ``dim`` (m = the max, held constant)."""
    m = Tensor(input.data.max(axis=dim, keepdims=True))  # a constant: no gradient through it
    shifted = input - m
    return shifted - ops.log(ops.sum(ops.exp(shifted), dim, keepdims=True))


def softmax(input: Tensor, dim: int = 1) -> Tensor:
    """exp(log_softmax(a)): non-negative, summing to 1 along ``dim``."""
    return ops.exp(log_softmax(input, dim))


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-log p[n, target[n]]: the log-probability of each sample's class, negated.

    Shapes: input (N, C) or (N, C, d1, ...) of log-probabilities, target (N) or (N, d1, ...)
    integers in [0, C).
    """
    labels = target.data if isinstance(target, Tensor) else numpy.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got {labels.dtype}")
    c = input.shape[1]
    if input.ndim > 2:  # classes last, then one row per position
        input = input.permute(0, *range(2, input.ndim), 1).reshape(-1, c)
    rows = input.reshape(-1, c)
    flat = labels.reshape(-1)
    if flat.shape[0] != rows.shape[0]:
        raise ValueError(f"nll_loss: {flat.shape[0]} labels for {rows.shape[0]} rows of scores")
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= c):
        raise IndexError(f"nll_loss: class labels must be in [0, {c}), got {int(flat.min())}.."
                         f"{int(flat.max())}")
    xp = backend.get_array_module(rows.data)
    picked = rows[xp.arange(rows.shape[0]), backend.to_device(flat, rows.device)]
    return reduce(-picked.reshape(labels.shape), reduction, "nll_loss")


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.cross_entropy`` on class scores (logits) along axis 1: ``nll_loss`` of
    ``log_softmax``; with a float target of the input's shape (class probabilities),
    -sum_c y_c log_softmax(a)_c per sample."""
    logp = log_softmax(input, 1)
    labels = target.data if isinstance(target, Tensor) else numpy.asarray(target)
    if labels.dtype.kind == "f":
        soft = _target(target, input, "cross_entropy")
        return reduce(-ops.sum(soft * logp, 1), reduction, "cross_entropy")
    return nll_loss(logp, target, reduction)
