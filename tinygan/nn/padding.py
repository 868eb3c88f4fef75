"""Padding layers, as ``torch.nn``: reflection, replication, zeros, a constant.

``ReflectionPad2d`` mirrors the image at its border without repeating the edge pixel (``d c b |
a b c d | c b a``): image-to-image generators (CycleGAN, pix2pix-style ResNets) use it so that
the border is not a ring of zeros. ``padding`` is an int or (left, right, top, bottom).

    >>> ReflectionPad2d(1)(tinygan.ones(1, 1, 4, 4)).shape
    (1, 1, 6, 6)
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops.resample import pad_torch

__all__ = ["ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "ZeroPad2d"]


def _four(padding: Any) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return (padding,) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) != 4:
        raise ValueError(f"padding must be an int or (left, right, top, bottom), got {padding}")
    return padding  # type: ignore[return-value]


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        self.padding, self.value = _four(padding), float(value)

    def forward(self, input: Tensor) -> Tensor:
        return pad_torch(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Mirror at the border, edge pixel not repeated (each pad smaller than the side)."""

    mode = "reflect"

    def __init__(self, padding: Any) -> None:
        super().__init__(padding)


class ReplicationPad2d(_Pad2d):
    """Repeat the edge pixel."""

    mode = "replicate"

    def __init__(self, padding: Any) -> None:
        super().__init__(padding)


class ZeroPad2d(_Pad2d):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ConstantPad2d(_Pad2d):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)
