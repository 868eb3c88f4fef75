"""``Upsample``: enlarge an image's grid, as ``torch.nn.Upsample`` (nearest or bilinear).

A generator can grow its images by upsampling and a plain convolution instead of a transposed
convolution (which tends to leave a checkerboard pattern). The gather and its gradient are in
``tinygan/ops/resample.py``.

    >>> Upsample(scale_factor=2)(tinygan.ones(1, 8, 7, 7)).shape
    (1, 8, 14, 14)
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops.resample import interpolate

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]


class Upsample(Module):
    """(N, C, H, W) -> (N, C, H_out, W_out), by ``size`` or ``scale_factor``."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None) -> None:
        super().__init__()
        self.size, self.scale_factor = size, scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear with ``align_corners=True`` (as PyTorch's class of this name)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "bilinear", align_corners=True)
