"""Broadcasting made explicit: ``expand`` (PyTorch's name) and ``repeat`` (NumPy's ``tile``).

``expand`` is the broadcasting every binary op already does, as an op of its own; its backward
is ``unbroadcast``, the same sum-to-shape the binary ops use. ``repeat`` is composed from it:
tiling axis i r times is inserting an axis of length r in front of it, expanding, and merging
the two axes with a reshape.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function, unbroadcast
from tinygan.autograd.tensor import Tensor
from tinygan.ops.checks import broadcast_shape
from tinygan.ops.shape import reshape

__all__ = ["Expand", "expand", "repeat"]


class Expand(Function):
    """f(x) = x broadcast to ``shape``.   df/dx: the gradient summed back to x's shape.

    Shapes: x (n_1, ..., n_k) with each n_i equal to shape[i] or 1 (leading axes may be added);
    output ``shape``.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        xp = backend.get_array_module(x)
        return xp.ascontiguousarray(xp.broadcast_to(x, shape))  # its own memory, writable

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        return unbroadcast(grad, ctx.shape), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, shape: Any) -> tuple[Any, None]:
        return unbroadcast(grad, x.shape), None  # the same sum, on Tensors (recorded)


def expand(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """x broadcast to ``sizes``; -1 keeps that axis's length (as ``torch.Tensor.expand``)."""
    sizes = tuple(int(n) for n in sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"expand: {sizes} has fewer dimensions than the tensor's shape {x.shape}")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if any(n < 0 for n in shape):
        raise ValueError(f"expand: -1 is only allowed for existing dimensions, got {sizes}")
    if broadcast_shape(x.shape, shape, "expand") != shape:
        raise ValueError(f"expand: a tensor of shape {x.shape} cannot expand to {sizes} (only "
                         "axes of length 1 can grow)")
    return Expand.apply(x, shape)


def repeat(x: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """Tile x ``repeats[i]`` times along axis i (as ``torch.Tensor.repeat`` / ``numpy.tile``).

    Shapes: x (n_1, ..., n_k), repeats (r_1, ..., r_m), m >= k; output (r_i * n_i) with n_i = 1
    for the m - k leading axes.
    """
    repeats = tuple(int(r) for r in repeats)
    if len(repeats) < x.ndim:
        raise ValueError(f"repeat: {len(repeats)} repeat counts for a tensor of {x.ndim} "
                         "dimensions; give at least one per dimension")
    shape = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    # (n_1, ..., n_m) -> (1, n_1, ..., 1, n_m) -> (r_1, n_1, ..., r_m, n_m) -> (r_1 n_1, ...)
    spread = reshape(x, tuple(d for n in shape for d in (1, n)))
    tiled = expand(spread, tuple(d for r, n in zip(repeats, shape) for d in (r, n)))
    return reshape(tiled, tuple(r * n for r, n in zip(repeats, shape)))
