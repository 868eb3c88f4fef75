"""Reductions: sum, mean, var, max, min over axes, with ``keepdims``.

The backward of a sum is a broadcast (each summed element gets the upstream gradient), and the
backward of a broadcast (``ops.expand``) is a sum (``unbroadcast``): the two are adjoint, which
is what ``backward_graph`` uses to differentiate a gradient again.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops.checks import normalize_axis, torch_axis
from tinygan.ops.expand import Expand


def _expand(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes (as size 1) so ``grad`` broadcasts against the input."""
    if not keepdims:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return grad


class Sum(Function):
    """f(x) = sum of x over ``axes``.   df/dx_i = 1 for every summed element."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
        ctx.shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        xp = backend.get_array_module(grad)
        grad = _expand(grad, ctx.shape, ctx.axes, ctx.keepdims)
        return xp.broadcast_to(grad, ctx.shape), None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, axes: tuple[int, ...],
                       keepdims: bool) -> tuple[Any, None, None]:
        return Expand.apply(_expand(grad, x.shape, axes, keepdims), x.shape), None, None


def sum(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (None: all axes; an int or a tuple of ints); ``dim``/``keepdim`` too."""
    axis, keepdims = torch_axis(axis, keepdims, dim, keepdim, "sum")
    return Sum.apply(x, normalize_axis(axis, x.ndim), keepdims)


class Mean(Function):
    """f(x) = (1/n) sum of x over ``axes``, n elements per mean.   df/dx_i = 1/n."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
        ctx.shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        return x.mean(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        xp = backend.get_array_module(grad)
        n = 1
        for ax in ctx.axes:
            n *= ctx.shape[ax]
        grad = _expand(grad, ctx.shape, ctx.axes, ctx.keepdims) / n
        return xp.broadcast_to(grad, ctx.shape), None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, axes: tuple[int, ...],
                       keepdims: bool) -> tuple[Any, None, None]:
        n = 1
        for ax in axes:
            n *= x.shape[ax]
        return Expand.apply(_expand(grad, x.shape, axes, keepdims) / n, x.shape), None, None


def mean(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Mean over ``axis`` (None: all axes; an int or a tuple of ints); ``dim``/``keepdim`` too."""
    axis, keepdims = torch_axis(axis, keepdims, dim, keepdim, "mean")
    return Mean.apply(x, normalize_axis(axis, x.ndim), keepdims)


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None, unbiased: bool | None = None) -> Tensor:
    """Variance over ``axis``: mean((x - mean x)^2), divided by n - ddof (composed of ops).

    ``dim``/``keepdim`` are PyTorch's names; ``unbiased=True`` is ``ddof=1``. The default is
    NumPy's ``ddof=0`` (PyTorch's ``var`` defaults to unbiased).
    """
    axis, keepdims = torch_axis(axis, keepdims, dim, keepdim, "var")
    if unbiased is not None:
        ddof = int(unbiased)
    axes = normalize_axis(axis, x.ndim)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    centered = x - mean(x, axes, keepdims=True)
    return sum(centered * centered, axes, keepdims) / (n - ddof)


class Max(Function):
    """f(x) = max of x over ``axes``.

    df/dx_i = 1/m for the m elements that equal the maximum, 0 for the others: ties share the
    gradient evenly (as ``torch.amax``), so the gradient is the same whichever tie is "first".
    """

    @staticmethod
    def forward(ctx: Context, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
        out = x.max(axis=axes, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        x, out = ctx.saved_tensors
        is_max = (x == out).astype(grad.dtype)
        count = is_max.sum(axis=ctx.axes, keepdims=True)
        grad = _expand(grad, x.shape, ctx.axes, ctx.keepdims)
        return grad * is_max / count, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, axes: tuple[int, ...],
                       keepdims: bool) -> tuple[Any, None, None]:
        _, out = ctx.saved_tensors
        is_max = (x.data == out).astype(grad.dtype)
        share = Tensor(is_max / is_max.sum(axis=axes, keepdims=True))  # a constant, a.e.
        return _expand(grad, x.shape, axes, keepdims) * share, None, None


def max(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """The largest values over ``axis`` (values only, as NumPy's ``max``); ``dim`` too."""
    axis, keepdims = torch_axis(axis, keepdims, dim, keepdim, "max")
    if x.size == 0:
        raise ValueError("max of an empty tensor")
    return Max.apply(x, normalize_axis(axis, x.ndim), keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """The smallest values over ``axis``: -max(-x), with the same even split of ties."""
    axis, keepdims = torch_axis(axis, keepdims, dim, keepdim, "min")
    return -max(-x, axis, keepdims)
