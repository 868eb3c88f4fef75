"""``PixelShuffle`` and ``PixelUnshuffle``, as ``torch.nn`` (the op and its index map are in
``tinygan/ops/pixel_shuffle.py``). ``Conv2d(c, c * r * r, 3, padding=1)`` then
``PixelShuffle(r)`` is one sub-pixel upsampling stage of SRResNet.

    >>> PixelShuffle(2)(tinygan.ones(1, 8, 7, 7)).shape
    (1, 2, 14, 14)
"""

from __future__ import annotations

from tinygan.autograd.tensor import Tensor
from tinygan.nn.module import Module
from tinygan.ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
