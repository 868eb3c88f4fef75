"""Functional forms under PyTorch's names and signatures (``torch.nn.functional``).

Each is a thin, documented entry to an op in ``tinygan.ops`` (or, for layers, ``tinygan.conv``
and ``tinygan.nn``), so ``import tinygan.nn.functional as F`` reads like PyTorch code.
"""

from __future__ import annotations

from typing import Any

from tinygan import ops
from tinygan.autograd.tensor import Tensor
from tinygan.ops.conv import conv2d, conv_transpose2d
from tinygan.ops.nn_ops import dropout, embedding, linear
from tinygan.ops.normalization import batch_norm

__all__ = [
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "conv_transpose2d",
    "dropout",
    "embedding",
    "leaky_relu",
    "linear",
    "logsigmoid",
    "relu",
    "sigmoid",
    "softplus",
    "tanh",
]


def relu(input: Tensor) -> Tensor:
    """max(x, 0)."""
    return ops.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope * x."""
    return ops.leaky_relu(input, negative_slope)


def tanh(input: Tensor) -> Tensor:
    """tanh x."""
    return ops.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return ops.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/beta) log(1 + e^(beta x)); x itself where beta x > threshold."""
    return ops.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log sigmoid(x) = -softplus(-x), stable for large |x|."""
    return ops.log_sigmoid(input)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-[t log sigmoid(a) + (1 - t) log(1 - sigmoid(a))] in the stable form; see ops.loss."""
    return ops.binary_cross_entropy_with_logits(input, target, weight, reduction)
