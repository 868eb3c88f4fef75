"""im2col and col2im: a convolution as one matrix product, on batch-last buffers (see the
package docstring)."""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.ops.kernels.layout import in_memory_order

__all__ = ["col2im", "from_rows", "get_conv_outsize", "get_deconv_outsize", "im2col", "to_rows"]

Pair = tuple[int, int]


def get_conv_outsize(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Output length of a convolution along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1.

    The kernel spans d(k-1) + 1 pixels; it fits at positions 0, s, 2s, ... of the padded input.
    """
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int, d: int = 1,
                       output_padding: int = 0) -> int:
    """Output length of a transposed convolution: (size-1)s - 2p + d(k-1) + output_padding + 1.

    It inverts ``get_conv_outsize``; since the conv's floor loses up to s-1 pixels, output_padding
    (< s) says how many to add back.
    """
    return (size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def _window(start: int, step: int, count: int) -> slice:
    """The slice start, start + step, ..., start + step (count - 1): where one kernel offset
    lands for each of the ``count`` output positions."""
    return slice(start, start + step * (count - 1) + 1, step)


def _overlap(offset: int, step: int, pad: int, size: int, count: int) -> tuple[int, int]:
    """The output positions o in [lo, hi) whose input pixel o * step + offset - pad lies inside
    the image [0, size): where one kernel offset of a convolution touches real pixels."""
    lo = max(0, -((offset - pad) // step))  # ceil((pad - offset) / step)
    hi = min(count, (size - 1 + pad - offset) // step + 1)
    return lo, max(lo, hi)


def im2col(x: Any, kh: int, kw: int, stride: Pair, padding: Pair, dilation: Pair) -> Any:
    """Patches of x (N, C, H, W) as a contiguous column buffer of shape (C, kh, kw, OH, OW, N).

    Plain form: col[c, i, j, oh, ow, n] = xpad[n, c, oh * sh + i * dh, ow * sw + j * dw], with
    xpad the input zero-padded by ``padding``: each offset copies the pixels it touches inside
    the image (``_overlap``) and zeros where it falls on the padding.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = get_conv_outsize(h, kh, sh, ph, dh), get_conv_outsize(w, kw, sw, pw, dw)
    image = in_memory_order(x, (1, 2, 3, 0)).transpose(1, 2, 3, 0)  # (C, H, W, N), free when
    # x is batch-last
    col = xp.empty((c, kh, kw, oh, ow, n), dtype=x.dtype)
    for i in range(kh):
        r0, r1 = _overlap(i * dh, sh, ph, h, oh)
        for j in range(kw):
            c0, c1 = _overlap(j * dw, sw, pw, w, ow)
            patch = col[:, i, j]  # (C, OH, OW, N)
            if r1 > r0 and c1 > c0:
                patch[:, r0:r1, c0:c1] = image[:, _window(r0 * sh + i * dh - ph, sh, r1 - r0),
                                               _window(c0 * sw + j * dw - pw, sw, c1 - c0)]
            # the zero padding: the rows and columns this offset sees outside the image
            patch[:, :r0] = 0
            patch[:, r1:] = 0
            patch[:, r0:r1, :c0] = 0
            patch[:, r0:r1, c1:] = 0
    return col


def col2im(col: Any, shape: tuple[int, int, int, int], stride: Pair, padding: Pair,
           dilation: Pair) -> Any:
    """The adjoint of ``im2col``: add each column entry back onto the pixel it was copied from.

    col (C, kh, kw, OH, OW, N) -> image of ``shape`` (N, C, H, W), a view of a (C, H, W, N)
    buffer; where patches overlap their entries add up. <im2col(x), c> = <x, col2im(c)>.
    Entries that fell on the zero padding are dropped (``_overlap``).

    Plain form: img[n, c, o_h s_h + i d_h - p_h, o_w s_w + j d_w - p_w] += col[c, i, j, o_h,
    o_w, n] for every entry, a ``+=`` of one strided slice per kernel offset (i, j).
    Here the image is assembled one *phase* at a time instead: pixel row y = o s + i d - p lies
    in the sub-grid of rows y = a (mod s) with a = (i d - p) mod s, at row o + q there with
    q = (i d - p - a) / s. Each sub-grid img[:, a::s_h, b::s_w] sums the offsets of its phase
    in a contiguous buffer and is written once: ~1.5x faster than adding every offset into the
    strided image (64 channels, 4x4 kernel, stride 2). The order of the additions onto each
    pixel is the plain form's, so the sums are the same to the last bit.
    """
    xp = backend.get_array_module(col)
    c, kh, kw, oh, ow, n = col.shape
    _, _, h, w = shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    img = xp.empty((c, h, w, n), dtype=col.dtype)  # (C, H, W, N)
    for a in range(min(sh, h)):
        for b in range(min(sw, w)):
            phase = img[:, a::sh, b::sw]  # the pixels of rows = a, columns = b (mod stride)
            total = xp.zeros(phase.shape, dtype=col.dtype)
            for i in range(kh):
                qi, off_phase = divmod(i * dh - ph - a, sh)
                r0, r1 = _overlap(i * dh, sh, ph, h, oh)
                if off_phase or r1 <= r0:
                    continue
                for j in range(kw):
                    qj, off_phase = divmod(j * dw - pw - b, sw)
                    c0, c1 = _overlap(j * dw, sw, pw, w, ow)
                    if not off_phase and c1 > c0:
                        total[:, r0 + qi:r1 + qi, c0 + qj:c1 + qj] += col[:, i, j, r0:r1, c0:c1]
            phase[...] = total
    return img.transpose(3, 0, 1, 2)  # (N, C, H, W), a view of the batch-last buffer


def to_rows(a: Any) -> Any:
    """(N, C, H, W) -> (C, H*W*N): one row per channel, columns in im2col's order (a view when
    ``a`` is laid out batch-last, as conv outputs are; else a copy)."""
    return in_memory_order(a, (1, 2, 3, 0)).transpose(1, 2, 3, 0).reshape(a.shape[1], -1)


def from_rows(a: Any, n: int, h: int, w: int) -> Any:
    """(C, H*W*N) -> (N, C, H, W), the inverse of ``to_rows``: a view, no copy.

    The result keeps the batch-last memory order of the matmul's output, so the next conv's
    ``to_rows`` and ``im2col`` read it without a transpose; elementwise ops and per-channel
    reductions in between keep that order (NumPy's ufuncs follow their input's layout).
    """
    return a.reshape(-1, h, w, n).transpose(3, 0, 1, 2)
