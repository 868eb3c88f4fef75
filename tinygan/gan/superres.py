"""Super-resolution GANs at MNIST scale (Ledig et al. 2017): 7x7 digits upscaled x4 to 28x28.

The degradation (``degrade``) is the one low-resolution image used everywhere (training, the
metrics, ``tinygan upscale``, notebook 06): the 28x28 image in [-1, 1], averaged over 4x4
blocks (a box filter, ``avg_pool2d(x, 4)``), which gives a 7x7 image, still in [-1, 1]:

    LR[n, c, i, j] = (1/16) sum_{a, b < 4} HR[n, c, 4 i + a, 4 j + b]

Many 28x28 digits share one 7x7 image, so the inverse is ill-posed: a network trained on the
pixel loss (MSE) learns the *mean* of the plausible answers (blurry), the adversarial term
pushes it to *one* of them (sharp).

    >>> hr = tinygan.ones(2, 1, 28, 28)
    >>> degrade(hr).shape
    (2, 1, 7, 7)
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan.autograd.tensor import Tensor
from tinygan.ops.pooling import avg_pool2d

__all__ = ["FACTOR", "degrade"]

FACTOR = 4  # 28x28 -> 7x7


def degrade(images: Any, factor: int = FACTOR) -> Any:
    """The low-resolution input of the SR set-ups: the mean over ``factor`` x ``factor`` blocks.

    (N, C, H, W) -> (N, C, H / factor, W / factor); a Tensor gives a Tensor (differentiable,
    ``avg_pool2d``), a NumPy array a NumPy array of the same dtype.
    """
    if isinstance(images, Tensor):
        if images.ndim != 4 or images.shape[2] % factor or images.shape[3] % factor:
            raise ValueError(f"degrade: expected images (N, C, H, W) with H and W multiples of "
                             f"{factor}, got shape {images.shape}")
        return avg_pool2d(images, factor)
    x = numpy.asarray(images)
    if x.ndim != 4 or x.shape[2] % factor or x.shape[3] % factor:
        raise ValueError(f"degrade: expected images (N, C, H, W) with H and W multiples of "
                         f"{factor}, got shape {x.shape}")
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(3, 5), dtype=numpy.float64).astype(x.dtype, copy=False)
