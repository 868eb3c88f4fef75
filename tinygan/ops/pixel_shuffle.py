"""Sub-pixel rearrangement (Shi et al. 2016): ``pixel_shuffle`` and its inverse ``pixel_unshuffle``.

A convolution to C r^2 channels followed by ``pixel_shuffle`` is a *sub-pixel convolution*: an
r-times larger image whose r x r block at (h, w) is read from the r^2 channels of one input pixel,

    y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w],    0 <= i, j < r,

so the network computes the high-resolution image at the low resolution and only rearranges it
at the end. The rearrangement is a reshape, a transpose and a reshape; those ops carry the
gradients (each output element is one input element, so the backward is the inverse shuffle).

Shapes: (N, C r^2, H, W) -> (N, C, H r, W r); ``pixel_unshuffle`` the other way. PyTorch's names
and index map (``torch.nn.functional.pixel_shuffle``).

    >>> x = tinygan.arange(8).float().reshape(1, 4, 1, 2)
    >>> pixel_shuffle(x, 2).tolist()
    [[[[0.0, 2.0, 1.0, 3.0], [4.0, 6.0, 5.0, 7.0]]]]
    >>> pixel_unshuffle(pixel_shuffle(x, 2), 2).tolist() == x.tolist()
    True
"""

from __future__ import annotations

from tinygan.autograd.tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(r: int, who: str) -> int:
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise ValueError(f"{who}: the factor must be an integer >= 1, got {r!r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(N, C r^2, H, W) -> (N, C, H r, W r):
    y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]."""
    r = _factor(upscale_factor, "pixel_shuffle")
    if input.ndim != 4 or input.shape[1] % (r * r):
        raise ValueError(f"pixel_shuffle: expected an input (N, C*{r * r}, H, W) whose channels "
                         f"divide by r^2 = {r * r}, got shape {input.shape}")
    n, crr, h, w = input.shape
    c = crr // (r * r)
    x = input.reshape(n, c, r, r, h, w)          # x[n, c, i, j, h, w]
    x = x.permute(0, 1, 4, 2, 5, 3)              # -> [n, c, h, i, w, j]
    return x.reshape(n, c, h * r, w * r)         # row h r + i, column w r + j


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(N, C, H r, W r) -> (N, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    r = _factor(downscale_factor, "pixel_unshuffle")
    if input.ndim != 4 or input.shape[2] % r or input.shape[3] % r:
        raise ValueError(f"pixel_unshuffle: expected an input (N, C, H*{r}, W*{r}), got shape "
                         f"{input.shape}")
    n, c, hr, wr = input.shape
    h, w = hr // r, wr // r
    x = input.reshape(n, c, h, r, w, r)          # x[n, c, h, i, w, j]
    x = x.permute(0, 1, 3, 5, 2, 4)              # -> [n, c, i, j, h, w]
    return x.reshape(n, c * r * r, h, w)
