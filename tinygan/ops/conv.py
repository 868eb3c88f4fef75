"""2-D convolution and transposed convolution: one matrix product each, by im2col/col2im.

A convolution slides a small kernel over the image. Written directly that is six nested loops
(``conv2d_naive`` in ``ops/conv_reference.py``, the readable reference and the tests' oracle).
``im2col`` (in ``ops/kernels/``, the fast kernels) turns it into one matrix product instead:

1. ``im2col`` copies, for every kernel offset (i, j), the pixels that offset touches into a
   "column" buffer ``col`` of shape (C, kh, kw, OH, OW, N): pixel (oh, ow) of the output sees
   input pixel (oh * stride + i * dilation, ow * stride + j * dilation).
2. The convolution is then  out = W (O, C*kh*kw) @ col (C*kh*kw, OH*OW*N): one matmul.
3. ``col2im`` is the adjoint (transpose) of im2col, <im2col(x), c> = <x, col2im(c)>: it adds
   each column entry back onto the pixel it came from.

A convolution is bilinear in (x, W), so its backward is two more linear maps of the same kind:
dL/dx = col2im(W^T @ G) is the *transposed* convolution of G, and dL/dW = G @ col^T is the
correlation of x with G (``Conv2dWeightFn``). The transposed convolution (``conv_transpose2d``,
the generator's upsampling layer) is conv2d's adjoint in x: its forward is conv2d's
input-gradient, and its backward a conv2d. The three ops are each other's gradients, so
``backward_graph`` writes every second derivative with the same three ops.

Layouts are PyTorch's: x (N, C, H, W); Conv2d weight (out, in, kh, kw); ConvTranspose2d weight
(in, out, kh, kw).
"""

from __future__ import annotations

from typing import Any

from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks
from tinygan.ops.conv_reference import conv2d_naive, conv_transpose2d_naive
from tinygan.ops.kernels import (
    col2im,
    from_rows,
    get_conv_outsize,
    get_deconv_outsize,
    im2col,
    matmul_at_b_t,
    to_rows,
)

__all__ = [
    "Conv2dFn", "Conv2dWeightFn", "ConvTranspose2dFn", "col2im", "conv2d", "conv2d_naive",
    "conv_transpose2d", "conv_transpose2d_naive", "get_conv_outsize",
    "get_deconv_outsize", "im2col",
]

Pair = tuple[int, int]


def _conv(x: Any, weight: Any, conv: tuple[Pair, Pair, Pair], col: Any = None) -> Any:
    """conv2d on arrays, no bias: W2 @ im2col(x), laid out as (N, O, OH, OW)."""
    o, c, kh, kw = weight.shape
    col = im2col(x, kh, kw, *conv) if col is None else col
    oh, ow = col.shape[3:5]
    return from_rows(weight.reshape(o, -1) @ col.reshape(c * kh * kw, -1), x.shape[0], oh, ow)


def _conv_adjoint_x(g: Any, weight: Any, x_shape: tuple[int, ...],
                    conv: tuple[Pair, Pair, Pair]) -> Any:
    """The adjoint of ``_conv`` in x: col2im(W2^T @ g) of shape ``x_shape`` (N, C, H, W)."""
    o, c, kh, kw = weight.shape
    n, oh, ow = g.shape[0], g.shape[2], g.shape[3]
    col = (weight.reshape(o, -1).T @ to_rows(g)).reshape(c, kh, kw, oh, ow, n)
    return col2im(col, x_shape, *conv)


def _conv_adjoint_w(x: Any, g: Any, kernel: Pair, conv: tuple[Pair, Pair, Pair],
                    col: Any = None) -> Any:
    """The adjoint of ``_conv`` in W: rows(g) @ im2col(x)^T of shape (O, C, kh, kw)."""
    col = im2col(x, *kernel, *conv) if col is None else col
    rows = to_rows(g)  # (O, OH OW N)
    return matmul_at_b_t(rows, col.reshape(-1, rows.shape[1])).reshape(
        g.shape[1], col.shape[0], *kernel)


def _output_padding(x_shape: tuple[int, ...], out_shape: tuple[int, ...], kernel: Pair,
                    conv: tuple[Pair, Pair, Pair]) -> Pair:
    """The output_padding that makes a transposed convolution of ``out_shape`` give back
    ``x_shape``: the pixels the convolution's floor division dropped."""
    (sh, sw), (ph, pw), (dh, dw) = conv
    return (x_shape[2] - get_deconv_outsize(out_shape[2], kernel[0], sh, ph, dh),
            x_shape[3] - get_deconv_outsize(out_shape[3], kernel[1], sw, pw, dw))


class Conv2dFn(Function):
    """f(x, W, b)[n, o, y, z] = b[o] + sum_{c,i,j} W[o, c, i, j] xpad[n, c, y s + i d, z s + j d].

    Shapes: x (N, C, H, W), W (O, C, kh, kw), b (O,) or None, f (N, O, OH, OW), with OH, OW from
    ``get_conv_outsize``.

    As a matmul: f = W2 @ col with W2 = W.reshape(O, C kh kw), col = im2col(x) (C kh kw, OH OW N).
        dL/dx = col2im(W2^T @ G)      the transposed convolution of G = dL/df
        dL/dW = G @ col^T             (G laid out as (O, OH OW N)): ``Conv2dWeightFn(x, G)``
        dL/db = sum of G over n, y, z
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair,
                dilation: Pair) -> Any:
        conv = (stride, padding, dilation)
        col = im2col(x, *weight.shape[2:], *conv)
        out = _conv(x, weight, conv, col)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(col, weight)  # the columns, so backward need not redo im2col
        ctx.x_shape, ctx.conv = x.shape, conv
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        col, weight = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _conv_adjoint_x(grad, weight, ctx.x_shape, ctx.conv)
        if ctx.needs_input_grad[1]:
            gw = _conv_adjoint_w(None, grad, weight.shape[2:], ctx.conv, col)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, weight: Tensor, bias: Any,
                       stride: Pair, padding: Pair, dilation: Pair) -> tuple[Any, ...]:
        conv = (stride, padding, dilation)
        kernel = weight.shape[2:]
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            op = _output_padding(x.shape, grad.shape, kernel, conv)
            gx = ConvTranspose2dFn.apply(grad, weight, None, stride, padding, op, dilation)
        if ctx.needs_input_grad[1]:
            gw = Conv2dWeightFn.apply(x, grad, kernel, stride, padding, dilation)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None


class ConvTranspose2dFn(Function):
    """The adjoint of Conv2d in x: f(x, W, b) = col2im(W2^T @ x) + b, W2 = W as (Cin, Cout kh kw).

    Each input pixel stamps a copy of the kernel, scaled by its value, onto the output at
    (y s - p, z s - p); the stamps overlap and add up. Shapes: x (N, Cin, H, W), W (Cin, Cout,
    kh, kw), b (Cout,) or None, f (N, Cout, OH, OW) with OH, OW from ``get_deconv_outsize``.

    Being conv2d's adjoint, its backward is a conv2d of the gradient G = dL/df:
        dL/dx = conv2d(G, W)             (N, Cin, H, W)
        dL/dW = Conv2dWeightFn(G, x)     (Cin, Cout, kh, kw): W seen as a conv2d weight
        dL/db = sum of G over n, y, z
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair,
                output_padding: Pair, dilation: Pair) -> Any:
        n, _, h, w = x.shape
        _, cout, kh, kw = weight.shape
        oh = get_deconv_outsize(h, kh, stride[0], padding[0], dilation[0], output_padding[0])
        ow = get_deconv_outsize(w, kw, stride[1], padding[1], dilation[1], output_padding[1])
        conv = (stride, padding, dilation)
        out = _conv_adjoint_x(x, weight, (n, cout, oh, ow), conv)
        if bias is not None:
            out += bias.reshape(1, cout, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.conv = conv
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        x, weight = ctx.saved_tensors
        col = im2col(grad, *weight.shape[2:], *ctx.conv)  # shared by both products
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _conv(grad, weight, ctx.conv, col)
        if ctx.needs_input_grad[1]:
            gw = _conv_adjoint_w(grad, x, weight.shape[2:], ctx.conv, col)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, weight: Tensor, bias: Any,
                       stride: Pair, padding: Pair, output_padding: Pair,
                       dilation: Pair) -> tuple[Any, ...]:
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = Conv2dFn.apply(grad, weight, None, stride, padding, dilation)
        if ctx.needs_input_grad[1]:
            gw = Conv2dWeightFn.apply(grad, x, weight.shape[2:], stride, padding, dilation)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb, None, None, None, None


class Conv2dWeightFn(Function):
    """f(x, G) = dL/dW of a conv2d with input x and output gradient G: G @ im2col(x)^T.

    Shapes: x (N, C, H, W), G (N, O, OH, OW), f (O, C, kh, kw). It is bilinear, and
    <U, f(x, G)> = <G, conv2d(x, U)>, so for an upstream gradient U of W's shape:
        d/dG = conv2d(x, U),    d/dx = conv_transpose2d(G, U)
    This op appears only in gradients (``create_graph=True``): the weight gradient of a
    convolution, differentiated again.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, g: Any, kernel: Pair, stride: Pair, padding: Pair,
                dilation: Pair) -> Any:
        ctx.save_for_backward(x, g)
        ctx.conv = (stride, padding, dilation)
        return _conv_adjoint_w(x, g, kernel, ctx.conv)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        x, g = ctx.saved_tensors
        gx = _conv_adjoint_x(g, grad, x.shape, ctx.conv) if ctx.needs_input_grad[0] else None
        gg = _conv(x, grad, ctx.conv) if ctx.needs_input_grad[1] else None
        return gx, gg, None, None, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, g: Tensor, kernel: Pair,
                       stride: Pair, padding: Pair, dilation: Pair) -> tuple[Any, ...]:
        conv = (stride, padding, dilation)
        gx = gg = None
        if ctx.needs_input_grad[0]:
            op = _output_padding(x.shape, g.shape, kernel, conv)
            gx = ConvTranspose2dFn.apply(g, grad, None, stride, padding, op, dilation)
        if ctx.needs_input_grad[1]:
            gg = Conv2dFn.apply(x, grad, None, stride, padding, dilation)
        return gx, gg, None, None, None, None


def _check(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, channels_in: int,
           channels_out: int, stride: Pair, padding: Pair, dilation: Pair) -> None:
    checks.same_dtype(op, x, weight, bias)
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    checks.input_shape(f"{op} (weight of shape {tuple(weight.shape)})", x,
                       ("N", channels_in, "H", "W"))
    checks.shape_is(op, "bias", bias, (channels_out,))
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: need stride >= 1, dilation >= 1, padding >= 0; got stride="
                         f"{stride}, padding={padding}, dilation={dilation}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as every framework), ``torch.nn.functional.conv2d``
    (groups must be 1).

    input (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, OH, OW).
    """
    if groups != 1:
        raise ValueError(f"conv2d: only groups=1 is implemented, got groups={groups}")
    s, p, d = (checks.int_pair(v, k, "conv2d") for v, k in (
        (stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _check("conv2d", input, weight, bias, weight.shape[1], weight.shape[0], s, p, d)
    for axis, k in ((2, 0), (3, 1)):
        if get_conv_outsize(input.shape[axis], weight.shape[axis], s[k], p[k], d[k]) < 1:
            raise ValueError(f"conv2d: input of shape {tuple(input.shape)} (padded by {p}) is "
                             f"smaller than the kernel {tuple(weight.shape[2:])} (dilation {d})")
    return Conv2dFn.apply(input, weight, bias, s, p, d)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed convolution, ``torch.nn.functional.conv_transpose2d`` (groups must be 1).

    input (N, Cin, H, W), weight (Cin, Cout, kh, kw), bias (Cout,) -> (N, Cout, OH, OW).
    """
    if groups != 1:
        raise ValueError(f"conv_transpose2d: only groups=1 is implemented, got groups={groups}")
    s, p, op, d = (checks.int_pair(v, k, "conv_transpose2d") for v, k in (
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
    return ConvTranspose2dFn.apply(input, weight, bias, s, p, op, d)
