"""Per-channel layers composed of existing ops: instance norm, PReLU, channel dropout.

Nothing here has a backward of its own; each line is an op whose gradient is already checked.
Shapes: input (N, C, *) with the channel on axis 1, as PyTorch; per-channel parameters (C,).

    >>> x = tinygan.tensor([[[-2.0, 4.0]]])
    >>> prelu(x, tinygan.tensor([0.25])).tolist()
    [[[-0.5, 4.0]]]
"""

from __future__ import annotations

from tinygan import backend, ops
from tinygan.autograd.tensor import Tensor

__all__ = ["dropout2d", "instance_norm", "prelu"]


def _per_channel(p: Tensor, ndim: int) -> Tensor:
    """A (C,) parameter as (1, C, 1, ...), to broadcast against an (N, C, *) input."""
    return p.reshape((1, -1) + (1,) * (ndim - 2)) if ndim >= 2 else p


def instance_norm(input: Tensor, weight: Tensor | None = None,
                  bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias, the statistics of each sample and
    channel over its own positions (axes 2, ...; biased variance, as PyTorch).

    Shapes: input (N, C, *spatial), weight and bias (C,) or None.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects (N, C, *spatial), got shape {input.shape}")
    axes = tuple(range(2, input.ndim))
    centered = input - ops.mean(input, axes, keepdims=True)
    var = ops.mean(centered * centered, axes, keepdims=True)
    out = centered / ops.sqrt(var + eps)
    if weight is not None:
        out = out * _per_channel(weight, input.ndim)
    if bias is not None:
        out = out + _per_channel(bias, input.ndim)
    return out


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + a min(0, x) = relu(x) - a relu(-x), with a learned slope a per channel
    (``weight`` of shape (C,) or (1,)). df/da = min(0, x)."""
    return ops.relu(input) - _per_channel(weight, input.ndim) * ops.relu(-input)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels: each (n, c) feature map is kept with probability 1 - p (and scaled
    by 1 / (1 - p)) or zeroed, the mask drawn from the seeded generator.

    Shapes: input (N, C, H, W) (or (N, C, L)); the mask (N, C, 1, 1) broadcasts over positions.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    keep = backend.rand(shape, dtype=input.dtype, device=input.device) >= p
    return input * Tensor(keep.astype(input.dtype) / input.dtype.type(1.0 - p))
