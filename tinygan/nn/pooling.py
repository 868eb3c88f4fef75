"""Pooling layers, as ``torch.nn``: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``.

The windows and their gradients are in ``tinygan/ops/pooling.py``. Shapes: (N, C, H, W) in,
(N, C, H_out, W_out) out, H_out = floor((H + 2 padding - kernel_size) / stride) + 1.

    >>> MaxPool2d(2)(tinygan.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops import pooling

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d"]


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest value of each window (stride defaults to the kernel size)."""

    def forward(self, input: Tensor) -> Tensor:
        return pooling.max_pool2d(input, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean of each window (zero padding counted, as PyTorch's default)."""

    def forward(self, input: Tensor) -> Tensor:
        return pooling.avg_pool2d(input, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Mean-pool to ``output_size`` (the input's size a multiple of it)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return pooling.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
