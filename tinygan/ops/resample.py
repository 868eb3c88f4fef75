"""Resampling an image's grid: upsampling (nearest, bilinear, bicubic) and reflection/replication
padding.

Each is a *gather* along an axis: output position o reads input position src(o), bilinear
reads two positions and mixes them with weights, bicubic four (Keys' cubic convolution). A
gather is ``getitem`` with an integer array, whose backward adds the gradient of every copy
back onto the position it was read from (``GetItem``'s scatter-add), so these need no backward
of their own. The index formulas are
PyTorch's, so the outputs agree with ``torch.nn.functional.interpolate`` and ``F.pad``.

Shapes: input (N, C, H, W) for upsampling; any rank for padding (the last len(pad) / 2 axes).

    >>> x = tinygan.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> interpolate(x, scale_factor=2).tolist()[0][0][0]
    [1.0, 1.0, 2.0, 2.0]
    >>> pad_torch(x, (1, 1, 0, 0), mode="reflect").tolist()[0][0]
    [[2.0, 1.0, 2.0, 1.0], [4.0, 3.0, 4.0, 3.0]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from tinygan import backend, ops
from tinygan.autograd.tensor import Tensor

__all__ = ["cubic_weights", "gather_axis", "interpolate", "pad_torch", "source_positions"]

CUBIC_A = -0.75  # PyTorch's (and OpenCV's) choice of Keys' parameter a


def gather_axis(x: Tensor, axis: int, index: numpy.ndarray) -> Tensor:
    """x[..., index, ...] along ``axis`` (a differentiable gather; index may repeat)."""
    xp = backend.get_array_module(x.data)
    where = (slice(None),) * axis + (backend.to_device(index, x.device) if xp is not numpy
                                      else index,)
    return x[where]


def source_positions(n_in: int, n_out: int, scale: float | None, mode: str,
                     align_corners: bool) -> numpy.ndarray:
    """PyTorch's source coordinate of each output position along one axis (float64).

    nearest: floor(o * r); bilinear: (o + 0.5) r - 0.5 clamped at 0 (bicubic: not clamped),
    or o (n_in - 1) / (n_out - 1) with ``align_corners``; r = 1 / scale_factor if one was given,
    else n_in / n_out.
    """
    o = numpy.arange(n_out, dtype=numpy.float64)
    r = 1.0 / scale if scale is not None else n_in / n_out
    if mode == "nearest":
        return numpy.minimum(numpy.floor(o * r), n_in - 1)
    if align_corners:
        return o * ((n_in - 1) / (n_out - 1)) if n_out > 1 else numpy.zeros(n_out)
    src = (o + 0.5) * r - 0.5
    return src if mode == "bicubic" else numpy.maximum(src, 0.0)


def cubic_weights(t: numpy.ndarray, a: float = CUBIC_A) -> numpy.ndarray:
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 from floor(src),
    for the fractional part t in [0, 1): (len(t), 4), each row summing to 1.

    W(d) = (a + 2)|d|^3 - (a + 3)|d|^2 + 1 for |d| <= 1, a|d|^3 - 5a|d|^2 + 8a|d| - 4a for
    1 < |d| < 2, 0 beyond; the taps sit at distances 1 + t, t, 1 - t, 2 - t.
    """
    d = numpy.stack([1.0 + t, t, 1.0 - t, 2.0 - t], axis=-1)
    near = ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0
    far = ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a
    return numpy.where(d <= 1.0, near, far)


def _resize_axis(x: Tensor, axis: int, n_out: int, scale: float | None, mode: str,
                 align_corners: bool) -> Tensor:
    n_in = x.shape[axis]
    src = source_positions(n_in, n_out, scale, mode, align_corners)
    i0 = numpy.floor(src).astype(numpy.int64)
    if mode == "nearest":
        return gather_axis(x, axis, i0)
    shape = [1] * x.ndim
    shape[axis] = n_out
    if mode == "bicubic":
        # sum over the taps k = -1..2 of W(src - (i0 + k)) x[clamp(i0 + k)] (edges repeated)
        weights = cubic_weights(src - i0).astype(x.dtype)
        out = None
        for k in range(4):
            w = Tensor(backend.to_device(weights[:, k].reshape(shape), x.device))
            term = gather_axis(x, axis, numpy.clip(i0 + k - 1, 0, n_in - 1)) * w
            out = term if out is None else out + term
        return out
    i0 = numpy.minimum(i0, n_in - 1)
    i1 = numpy.minimum(i0 + 1, n_in - 1)
    w1 = (src - i0).astype(x.dtype)
    w1 = Tensor(backend.to_device(w1.reshape(shape), x.device))
    # (1 - w) x[i0] + w x[i1]: linear interpolation between the two neighbours
    return gather_axis(x, axis, i0) * (1.0 - w1) + gather_axis(x, axis, i1) * w1


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """Resize the (H, W) grid of an (N, C, H, W) input, as ``F.interpolate``.

    ``mode`` is "nearest", "bilinear" or "bicubic" (separable: rows, then columns; bicubic
    with a = -0.75, edges repeated, values not clamped, as PyTorch); give ``size`` (an int or
    (H_out, W_out)) or ``scale_factor`` (a number or a pair).
    """
    if input.ndim != 4:
        raise ValueError(f"interpolate expects an input of shape (N, C, H, W), got {input.shape}")
    if mode not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"interpolate: mode {mode!r} is not supported; tinygan has 'nearest', "
                         "'bilinear' and 'bicubic'")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if mode == "nearest" and align_corners:
        raise ValueError("interpolate: align_corners only applies to mode='bilinear' or "
                         "'bicubic'")
    h, w = input.shape[2], input.shape[3]
    if size is not None:
        oh, ow = (size, size) if isinstance(size, int) else tuple(size)
        scales: tuple[Any, Any] = (None, None)
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (
            scale_factor, scale_factor)
        oh, ow = math.floor(h * scales[0]), math.floor(w * scales[1])
    out = _resize_axis(input, 2, int(oh), scales[0], mode, bool(align_corners))
    return _resize_axis(out, 3, int(ow), scales[1], mode, bool(align_corners))


def _pad_index(n: int, before: int, after: int, mode: str) -> numpy.ndarray:
    p = numpy.arange(-before, n + after)
    if mode == "replicate":
        return numpy.clip(p, 0, n - 1)
    if before >= n or after >= n:
        raise ValueError(f"pad: reflection padding ({before}, {after}) must be smaller than the "
                         f"dimension it pads ({n})")
    p = numpy.abs(p)  # reflect at the first element: -1 -> 1, -2 -> 2
    return numpy.where(p > n - 1, 2 * (n - 1) - p, p)  # and at the last


def pad_torch(input: Tensor, pad: Any, mode: str = "constant",
              value: float = 0.0) -> Tensor:
    """PyTorch's ``F.pad``: ``pad`` = (left, right, top, bottom, ...) from the last axis back.

    ``mode`` "constant" fills with ``value`` (``ops.pad``); "reflect" mirrors without repeating
    the edge (``ReflectionPad2d``); "replicate" repeats the edge (``ReplicationPad2d``).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected pairs (before, after) for at most {input.ndim} axes, "
                         f"got {pad}")
    pairs = [(pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]  # last axis first
    if mode == "constant":
        widths = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
        return ops.pad(input, widths, value=value)
    if mode not in ("reflect", "replicate"):
        raise ValueError(f"pad: mode {mode!r} is not supported; use 'constant', 'reflect' or "
                         "'replicate'")
    out = input
    for k, (before, after) in enumerate(pairs):
        axis = input.ndim - 1 - k
        out = gather_axis(out, axis, _pad_index(input.shape[axis], before, after, mode))
    return out
