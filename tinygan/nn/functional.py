"""Functional forms under PyTorch's names and signatures (``torch.nn.functional``).

Each is a thin, documented entry to an op in ``tinygan.ops`` (or, for layers, ``tinygan.conv``
and ``tinygan.nn``), so ``import tinygan.nn.functional as F`` reads like PyTorch code. The
losses, pooling, resampling and per-channel forms that PyTorch GAN code calls are re-exported
from ``ops/crossentropy.py``, ``ops/pooling.py``, ``ops/resample.py`` and ``ops/channelwise.py``.
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend, ops
from tinygan.autograd.tensor import Tensor
from tinygan.ops.channelwise import dropout2d, instance_norm, prelu
from tinygan.ops.conv import conv2d, conv_transpose2d
from tinygan.ops.crossentropy import (
    binary_cross_entropy,
    cross_entropy,
    l1_loss,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)
from tinygan.ops.nn_ops import dropout, embedding, linear
from tinygan.ops.normalization import batch_norm, layer_norm
from tinygan.ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from tinygan.ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tinygan.ops.resample import interpolate
from tinygan.ops.resample import pad_torch as pad

upsample = interpolate  # PyTorch's older name

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout2d",
    "instance_norm",
    "interpolate",
    "l1_loss",
    "layer_norm",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "prelu",
    "softmax",
    "upsample",
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



def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Row ``label`` of the identity matrix for each integer label (int64, as PyTorch's)."""
    labels = tensor.data if isinstance(tensor, Tensor) else numpy.asarray(tensor)
    n = int(labels.max()) + 1 if num_classes < 0 else int(num_classes)
    xp = backend.get_array_module(labels)
    return Tensor(xp.eye(n, dtype=numpy.int64)[labels])
