"""2-D convolution and transposed convolution by im2col/col2im, plus the naive loop reference.

A convolution slides a small kernel over the image. Written directly that is six nested loops;
im2col turns it into one matrix product instead:

1. ``im2col`` copies, for every kernel offset (i, j), the pixels that offset touches into a
   "column" buffer ``col`` of shape (C, kh, kw, OH, OW, N). The loop runs over the kh * kw
   offsets only (16 for a 4x4 kernel), each a single strided slice of the padded image: pixel
   (oh, ow) of the output sees input pixel (oh * stride + i * dilation, ow * stride + j * dilation).
2. The convolution is then  out = W (O, C*kh*kw) @ col (C*kh*kw, OH*OW*N): one matmul.
3. ``col2im`` is the same loop with ``+=`` going the other way: it is the adjoint (transpose) of
   im2col, <im2col(x), c> = <x, col2im(c)>, which the tests check. Where patches overlap, their
   contributions add up; no fancy indexing or scatter-add is needed, because each offset's
   slice hits every pixel at most once.

The batch axis N is kept *last* inside im2col/col2im (the image is first copied to (C, H, W, N)):
a strided slice then moves runs of N contiguous numbers instead of single pixels, which makes
both loops several times faster in NumPy. The matmul does not care about the column order.

Gradients follow from the matmul: dL/dW = G @ col^T, dL/dcol = W^T @ G, dL/dx = col2im(dL/dcol).
The transposed convolution (``conv_transpose2d``, the generator's upsampling layer) *is* the
adjoint of conv2d: its forward is conv2d's input-gradient (W^T @ x, then col2im) and its backward
uses im2col. The same two functions serve both layers.

Layouts are PyTorch's: x (N, C, H, W); Conv2d weight (out, in, kh, kw); ConvTranspose2d weight
(in, out, kh, kw). ``conv2d_naive``/``conv_transpose2d_naive`` at the end are the definitions
written as plain loops, kept as the readable reference and the tests' oracle.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops.nn_ops import check_dtypes

__all__ = [
    "Conv2d",
    "ConvTranspose2d",
    "col2im",
    "conv2d",
    "conv2d_naive",
    "conv_transpose2d",
    "conv_transpose2d_naive",
    "get_conv_outsize",
    "get_deconv_outsize",
    "im2col",
]

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


def im2col(x: Any, kh: int, kw: int, stride: Pair, padding: Pair, dilation: Pair) -> Any:
    """Patches of x (N, C, H, W) as a contiguous column buffer of shape (C, kh, kw, OH, OW, N).

    col[c, i, j, oh, ow, n] = xpad[c, oh * sh + i * dh, ow * sw + j * dw, n]: one strided slice
    of the zero-padded input per kernel offset (i, j).
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = get_conv_outsize(h, kh, sh, ph, dh), get_conv_outsize(w, kw, sw, pw, dw)
    xpad = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)  # (C, Hp, Wp, N)
    xpad[:, ph:ph + h, pw:pw + w] = x.transpose(1, 2, 3, 0)
    col = xp.empty((c, kh, kw, oh, ow, n), dtype=x.dtype)
    for i in range(kh):
        rows = _window(i * dh, sh, oh)
        for j in range(kw):
            col[:, i, j] = xpad[:, rows, _window(j * dw, sw, ow)]
    return col


def col2im(col: Any, shape: tuple[int, int, int, int], stride: Pair, padding: Pair,
           dilation: Pair) -> Any:
    """The adjoint of ``im2col``: add each column entry back onto the pixel it was copied from.

    col (C, kh, kw, OH, OW, N) -> image of ``shape`` (N, C, H, W). The same loop as im2col with
    ``+=``: overlapping patches add up.
    """
    xp = backend.get_array_module(col)
    c, kh, kw, oh, ow, n = col.shape
    _, _, h, w = shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    img = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=col.dtype)  # (C, Hp, Wp, N)
    for i in range(kh):
        rows = _window(i * dh, sh, oh)
        for j in range(kw):
            img[:, rows, _window(j * dw, sw, ow)] += col[:, i, j]
    img = img[:, ph:ph + h, pw:pw + w]  # cut the padding off
    return xp.ascontiguousarray(img.transpose(3, 0, 1, 2))


def _to_rows(a: Any) -> Any:
    """(N, C, H, W) -> (C, H*W*N): one row per channel, columns in im2col's order (a copy)."""
    return a.transpose(1, 2, 3, 0).reshape(a.shape[1], -1)


def _from_rows(a: Any, n: int, h: int, w: int) -> Any:
    """(C, H*W*N) -> (N, C, H, W), contiguous: the inverse of ``_to_rows``."""
    xp = backend.get_array_module(a)
    return xp.ascontiguousarray(a.reshape(-1, h, w, n).transpose(3, 0, 1, 2))


def _contiguous(a: Any) -> Any:
    return backend.get_array_module(a).ascontiguousarray(a)


class Conv2d(Function):
    """f(x, W, b)[n, o, y, z] = b[o] + sum_{c,i,j} W[o, c, i, j] xpad[n, c, y s + i d, z s + j d].

    Shapes: x (N, C, H, W), W (O, C, kh, kw), b (O,) or None, f (N, O, OH, OW), with OH, OW from
    ``get_conv_outsize``.

    As a matmul: f = W2 @ col with W2 = W.reshape(O, C kh kw), col = im2col(x) (C kh kw, OH OW N).
        dL/dW = G @ col^T            (G = dL/df laid out as (O, OH OW N))
        dL/dx = col2im(W2^T @ G)
        dL/db = sum of G over n, y, z
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair,
                dilation: Pair) -> Any:
        n, _, h, w = x.shape
        o, c, kh, kw = weight.shape
        col = im2col(x, kh, kw, stride, padding, dilation)
        oh, ow = col.shape[3:5]
        out = _from_rows(weight.reshape(o, -1) @ col.reshape(c * kh * kw, -1), n, oh, ow)
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        ctx.save_for_backward(col, weight)
        ctx.x_shape, ctx.conv = x.shape, (stride, padding, dilation)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        col, weight = ctx.saved_tensors
        o = weight.shape[0]
        g = _to_rows(grad)  # (O, OH OW N)
        col2 = col.reshape(-1, g.shape[1])  # (C kh kw, OH OW N)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gcol = (weight.reshape(o, -1).T @ g).reshape(col.shape)
            gx = col2im(gcol, ctx.x_shape, *ctx.conv)
        if ctx.needs_input_grad[1]:
            # G @ col^T, computed as (col @ G^T)^T: OpenBLAS is several times slower on the
            # first form, whose long inner axis (OH OW N) runs along both operands' rows.
            gw = _contiguous((col2 @ g.T).T).reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=1)
        return gx, gw, gb, None, None, None


class ConvTranspose2d(Function):
    """The adjoint of Conv2d in x: f(x, W, b) = col2im(W2^T @ x) + b, W2 = W as (Cin, Cout kh kw).

    Each input pixel stamps a copy of the kernel, scaled by its value, onto the output at
    (y s - p, z s - p); the stamps overlap and add up. Shapes: x (N, Cin, H, W), W (Cin, Cout,
    kh, kw), b (Cout,) or None, f (N, Cout, OH, OW) with OH, OW from ``get_deconv_outsize``.

    Being conv2d's adjoint, its backward is a conv2d of the gradient:
        col   = im2col(G)              G = dL/df, (Cout kh kw, H W N)
        dL/dx = W2 @ col               (Cin, H W N) -> (N, Cin, H, W)
        dL/dW = x_rows @ col^T         (Cin, Cout kh kw)
        dL/db = sum of G over n, y, z
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair,
                output_padding: Pair, dilation: Pair) -> Any:
        n, cin, h, w = x.shape
        _, cout, kh, kw = weight.shape
        oh = get_deconv_outsize(h, kh, stride[0], padding[0], dilation[0], output_padding[0])
        ow = get_deconv_outsize(w, kw, stride[1], padding[1], dilation[1], output_padding[1])
        x_rows = _to_rows(x)  # (Cin, H W N)
        col = (weight.reshape(cin, -1).T @ x_rows).reshape(cout, kh, kw, h, w, n)
        out = col2im(col, (n, cout, oh, ow), stride, padding, dilation)
        if bias is not None:
            out += bias.reshape(1, cout, 1, 1)
        ctx.save_for_backward(x_rows, weight)
        ctx.x_shape, ctx.conv = x.shape, (stride, padding, dilation)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        x_rows, weight = ctx.saved_tensors
        n, cin, h, w = ctx.x_shape
        kh, kw = weight.shape[2:]
        col = im2col(grad, kh, kw, *ctx.conv).reshape(-1, n * h * w)  # (Cout kh kw, H W N)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _from_rows(weight.reshape(cin, -1) @ col, n, h, w)
        if ctx.needs_input_grad[1]:
            gw = _contiguous((col @ x_rows.T).T).reshape(weight.shape)  # see Conv2d
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None, None


def pair(value: Any, name: str, op: str) -> Pair:
    """An int or a pair of ints as a pair (stride=2 means (2, 2)); a TypeError naming ``op``."""
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, int) for v in value
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _check(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, channels_in: int,
           channels_out: int, stride: Pair, padding: Pair, dilation: Pair) -> None:
    check_dtypes(op, x, weight, bias)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    if x.shape[1] != channels_in:
        raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} expects input with "
                         f"{channels_in} channels, (N, {channels_in}, H, W); got {tuple(x.shape)}")
    if bias is not None and tuple(bias.shape) != (channels_out,):
        raise ValueError(f"{op}: bias of shape {tuple(bias.shape)}, expected ({channels_out},)")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: need stride >= 1, dilation >= 1, padding >= 0; got stride="
                         f"{stride}, padding={padding}, dilation={dilation}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as every framework), ``torch.nn.functional.conv2d``
    (groups must be 1).

    input (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, OH, OW).
    """
    if groups != 1:
        raise ValueError(f"conv2d: only groups=1 is implemented, got groups={groups}")
    s, p, d = (pair(v, k, "conv2d") for v, k in ((stride, "stride"), (padding, "padding"),
                                                  (dilation, "dilation")))
    _check("conv2d", input, weight, bias, weight.shape[1], weight.shape[0], s, p, d)
    for axis, k in ((2, 0), (3, 1)):
        if get_conv_outsize(input.shape[axis], weight.shape[axis], s[k], p[k], d[k]) < 1:
            raise ValueError(f"conv2d: input of shape {tuple(input.shape)} (padded by {p}) is "
                             f"smaller than the kernel {tuple(weight.shape[2:])} (dilation {d})")
    return Conv2d.apply(input, weight, bias, s, p, d)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed convolution, ``torch.nn.functional.conv_transpose2d`` (groups must be 1).

    input (N, Cin, H, W), weight (Cin, Cout, kh, kw), bias (Cout,) -> (N, Cout, OH, OW).
    """
    if groups != 1:
        raise ValueError(f"conv_transpose2d: only groups=1 is implemented, got groups={groups}")
    s, p, op, d = (pair(v, k, "conv_transpose2d") for v, k in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
        (dilation, "dilation")))
    _check("conv_transpose2d", input, weight, bias, weight.shape[0], weight.shape[1], s, p, d)
    if not all(0 <= op[k] < max(s[k], d[k]) for k in (0, 1)):
        raise ValueError(f"conv_transpose2d: output_padding {op} must be >= 0 and smaller than "
                         f"stride {s} or dilation {d}")
    for axis, k in ((2, 0), (3, 1)):
        if get_deconv_outsize(input.shape[axis], weight.shape[axis], s[k], p[k], d[k], op[k]) < 1:
            raise ValueError(f"conv_transpose2d: padding {p} leaves no output for an input of "
                             f"shape {tuple(input.shape)}")
    return ConvTranspose2d.apply(input, weight, bias, s, p, op, d)


# ----------------------------------------------------------------------------------------------
# The reference: the definitions as loops (slow; for reading and for testing the fast versions).
# ----------------------------------------------------------------------------------------------


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
