"""The convolutions by their definitions, as plain loops: the readable reference.

Slow (a Python loop over output pixels and kernel offsets), and kept for reading and as the
oracle of the tests of the fast im2col forms in ``ops/conv.py``.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.ops.kernels import get_conv_outsize, get_deconv_outsize

__all__ = ["conv2d_naive", "conv_transpose2d_naive"]

Pair = tuple[int, int]


def conv2d_naive(x: Any, weight: Any, bias: Any = None, stride: Pair = (1, 1),
                 padding: Pair = (0, 0), dilation: Pair = (1, 1)) -> Any:
    """conv2d on arrays by its definition: for every output pixel (y, z) and kernel offset
    (i, j), out[:, :, y, z] += xpad[:, :, y s + i d, z s + j d] @ W[:, :, i, j]^T."""
    xp = backend.get_array_module(x)
    n, _, h, w = x.shape
    o, _, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = get_conv_outsize(h, kh, sh, ph, dh), get_conv_outsize(w, kw, sw, pw, dw)
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = xp.zeros((n, o, oh, ow), dtype=x.dtype)
    for y in range(oh):
        for z in range(ow):
            for i in range(kh):
                for j in range(kw):
                    pixels = xpad[:, :, y * sh + i * dh, z * sw + j * dw]  # (N, C)
                    out[:, :, y, z] += pixels @ weight[:, :, i, j].T
    if bias is not None:
        out += bias.reshape(1, o, 1, 1)
    return out


def conv_transpose2d_naive(x: Any, weight: Any, bias: Any = None, stride: Pair = (1, 1),
                           padding: Pair = (0, 0), output_padding: Pair = (0, 0),
                           dilation: Pair = (1, 1)) -> Any:
    """conv_transpose2d on arrays by its definition: every input pixel (y, z) stamps the kernel,
    scaled by its value, onto the output: outpad[:, :, y s + i d, z s + j d] += x[:, :, y, z] @
    W[:, :, i, j]; then the padding is cut off."""
    xp = backend.get_array_module(x)
    n, _, h, w = x.shape
    _, cout, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = get_deconv_outsize(h, kh, sh, ph, dh, output_padding[0])
    ow = get_deconv_outsize(w, kw, sw, pw, dw, output_padding[1])
    outpad = xp.zeros((n, cout, oh + 2 * ph, ow + 2 * pw), dtype=x.dtype)
    for y in range(h):
        for z in range(w):
            for i in range(kh):
                for j in range(kw):
                    stamp = x[:, :, y, z] @ weight[:, :, i, j]  # (N, Cout)
                    outpad[:, :, y * sh + i * dh, z * sw + j * dw] += stamp
    out = outpad[:, :, ph:ph + oh, pw:pw + ow].copy()
    if bias is not None:
        out += bias.reshape(1, cout, 1, 1)
    return out
