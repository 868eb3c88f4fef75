"""Pooling: the max or the mean of each k x k window, built from ops that already have gradients.

The windows are gathered the way ``conv.py``'s im2col gathers them: one strided slice of the
(padded) input per kernel offset (i, j), so the loop runs over the k*k offsets, never over
pixels. Stacking the slices gives every window's values along one new axis; the pooled output is
``max`` or ``mean`` over that axis. The gradients come from the ops: a slice's backward puts the
gradient back where the slice came from, ``stack``'s splits it, ``max``'s sends it to the
window's largest value (windows that overlap add their shares).

Shapes: input (N, C, H, W); output (N, C, H_out, W_out) with
H_out = floor((H + 2 p - k) / s) + 1 (PyTorch's formula, ``ceil_mode=False``).

    >>> x = tinygan.arange(16).float().reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> avg_pool2d(x, 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
"""

from __future__ import annotations

from typing import Any

from tinygan import ops
from tinygan.autograd.tensor import Tensor

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "pool_windows"]


def _pair(value: Any, name: str) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair):
        raise ValueError(f"pooling: {name} must be a non-negative int or a pair, got {value!r}")
    return int(pair[0]), int(pair[1])


def pool_windows(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 pad_value: float = 0.0) -> Tensor:
    """Every k x k window of x, stacked on a new last axis: (N, C, H_out, W_out, kh * kw)."""
    if x.ndim != 4:
        raise ValueError(f"pooling expects an input of shape (N, C, H, W), got {x.shape}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(kernel_size if stride is None else stride, "stride")
    ph, pw = _pair(padding, "padding")
    if kh == 0 or kw == 0 or sh == 0 or sw == 0:
        raise ValueError("pooling: kernel_size and stride must be positive")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"pooling: padding {(ph, pw)} must be at most half the kernel "
                         f"{(kh, kw)}")
    if ph or pw:
        x = ops.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), value=pad_value)
    h, w = x.shape[2], x.shape[3]
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"pooling: a {kh}x{kw} window does not fit an input of {h}x{w} "
                         "(after padding)")
    slices = [x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
              for i in range(kh) for j in range(kw)]
    return ops.stack(slices, axis=4)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,
               padding: Any = 0) -> Tensor:
    """y[n, c, i, j] = max over the window at (i s, j s) of x (padding counts as -inf)."""
    return ops.max(pool_windows(input, kernel_size, stride, padding, float("-inf")), axis=4)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,
               padding: Any = 0) -> Tensor:
    """y[n, c, i, j] = mean over the window at (i s, j s) of x (zero padding counted, as
    PyTorch's default ``count_include_pad=True``)."""
    return ops.mean(pool_windows(input, kernel_size, stride, padding, 0.0), axis=4)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean-pool to ``output_size``; the input's size must be a multiple of it (then the
    windows are PyTorch's: k = H / H_out, stride k)."""
    oh, ow = _pair(output_size, "output_size")
    h, w = input.shape[2], input.shape[3]
    if oh == 0 or ow == 0 or h % oh or w % ow:
        raise ValueError(f"adaptive_avg_pool2d: tinygan needs the input size {(h, w)} to be a "
                         f"multiple of output_size {(oh, ow)}")
    return avg_pool2d(input, (h // oh, w // ow))
