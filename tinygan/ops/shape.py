"""Shape ops: reshape, transpose/permute, indexing, concatenate, stack, pad.

None of them does arithmetic; each backward puts the gradient back where the forward took the
values from. Each backward is itself a shape op (reshape back, the inverse permutation, a sum,
a scatter, slices), so ``backward_graph`` writes it with the same ops on Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks, kernels


class Reshape(Function):
    """f(x) = x with a new shape (same elements, same order).   df/dx: reshape back.

    The gradient goes back in x's memory order (``kernels.in_memory_order``): a conv's output
    is laid out batch-last (ops/kernels/), and the ops before the reshape run several times
    slower on a gradient of another layout than their saved arrays.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        ctx.order = kernels.memory_order(x)
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        grad = grad.reshape(ctx.shape)
        return (grad if ctx.order is None else kernels.in_memory_order(grad, ctx.order)), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, shape: Any) -> tuple[Any, None]:
        return reshape(grad, x.shape), None


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """x with a new shape; one entry may be -1 (inferred)."""
    shape = tuple(int(n) for n in shape)
    known = 1
    for n in shape:
        known *= n if n != -1 else 1
    if (shape.count(-1) == 0 and known != x.size) or (
        shape.count(-1) == 1 and (known == 0 or x.size % known)
    ) or shape.count(-1) > 1:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} elements) into {shape}")
    return Reshape.apply(x, shape)


class Transpose(Function):
    """f(x) = x with its axes permuted.   df/dx: the inverse permutation of the gradient."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: tuple[int, ...]) -> Any:
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        inverse = tuple(numpy.argsort(ctx.axes))
        return grad.transpose(inverse), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, axes: Any) -> tuple[Any, None]:
        return transpose(grad, tuple(int(i) for i in numpy.argsort(axes))), None


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (NumPy's transpose): ``axes=None`` reverses them."""
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(checks.axis_index(a, x.ndim, "transpose") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: {tuple(axes)} is not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    return Transpose.apply(x, axes)


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    """PyTorch's name for ``transpose`` with an explicit order of all axes."""
    return transpose(x, dims)


def _is_basic_index(index: Any) -> bool:
    """True for an index made only of slices, ints, None and Ellipsis (no repeats possible)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, numpy.integer))
               for p in parts)


class GetItem(Function):
    """f(x) = x[index].   df/dx: the gradient scattered back to the indexed places.

    With basic indexing (slices, ints) every element is taken at most once, so the gradient is
    written into a zero array. With integer arrays an element can be taken several times
    (``x[[0, 0, 1]]``); its gradient is then the *sum* over the copies. ``scatter_add`` does that
    sum with ``bincount`` over the flat positions, which runs the same on NumPy and CuPy.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, index: Any) -> Any:
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        return scatter_add(grad, ctx.shape, ctx.index), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, index: Any) -> tuple[Any, None]:
        return ScatterAdd.apply(grad, x.shape, index), None


def scatter_add(values: Any, shape: tuple[int, ...], index: Any) -> Any:
    """An array of ``shape``, zero except ``out[index] += values`` (repeats add up)."""
    xp = backend.get_array_module(values)
    if _is_basic_index(index):
        out = xp.zeros(shape, dtype=values.dtype)
        out[index] = values
        return out
    size = 1
    for n in shape:
        size *= n
    positions = xp.arange(size).reshape(shape)[index]  # the flat position of each copy
    summed = xp.bincount(positions.ravel(), weights=values.ravel(), minlength=size)
    return summed.astype(values.dtype).reshape(shape)


class ScatterAdd(Function):
    """f(g) = zeros(shape) with g added at ``index``: the backward of ``x[index]``, as an op.

    df/dg: read the gradient back at ``index``, so its own backward is ``getitem`` again.
    """

    @staticmethod
    def forward(ctx: Context, values: Any, shape: tuple[int, ...], index: Any) -> Any:
        ctx.index = index
        return scatter_add(values, shape, index)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        return grad[ctx.index], None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, values: Tensor, shape: Any,
                       index: Any) -> tuple[Any, None, None]:
        return GetItem.apply(grad, index), None, None


def _index_arrays(index: Any, xp: Any) -> Any:
    """Tensors inside an index become their arrays; lists become integer/boolean arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    if isinstance(index, tuple):
        return tuple(_index_arrays(i, xp) for i in index)
    return index


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with basic slices, ints, None, Ellipsis, and integer or boolean arrays."""
    index = _index_arrays(index, backend.get_array_module(x.data))
    try:
        x.data[index]  # a cheap view for basic indices; fails early with the reason otherwise
    except IndexError as exc:
        raise IndexError(
            f"getitem: index {index!r} into a tensor of shape {x.shape}: {exc}"
        ) from None
    return GetItem.apply(x, index)


class Concatenate(Function):
    """f(x1, ..., xn) = the xi joined along ``axis``.   df/dxi: the i-th slice of the gradient."""

    @staticmethod
    def forward(ctx: Context, axis: int, *xs: Any) -> Any:
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return backend.get_array_module(*xs).concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        xp = backend.get_array_module(grad)
        cuts = numpy.cumsum(ctx.sizes)[:-1].tolist()
        return (None, *xp.split(grad, cuts, axis=ctx.axis))

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, axis: int, *xs: Tensor) -> tuple[Any, ...]:
        starts = numpy.cumsum([0] + [x.shape[axis] for x in xs]).tolist()
        pieces = ((slice(None),) * axis + (slice(lo, hi),) for lo, hi in zip(starts, starts[1:]))
        return (None, *(GetItem.apply(grad, index) for index in pieces))


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``; ``dim`` is ``axis``)."""
    axis = axis if dim is None else dim
    tensors = _same_rank(tensors, "concatenate")
    ndim = tensors[0].ndim
    axis = checks.axis_index(axis, ndim, "concatenate")
    def off_axis(t: Tensor) -> tuple[int, ...]:
        return t.shape[:axis] + t.shape[axis + 1:]

    for t in tensors[1:]:
        if off_axis(t) != off_axis(tensors[0]):
            raise ValueError(f"concatenate along axis {axis}: shapes "
                             f"{[tuple(t.shape) for t in tensors]} differ off that axis")
    return Concatenate.apply(axis, *tensors)


cat = concatenate


class Stack(Function):
    """f(x1, ..., xn) = the xi stacked along a new ``axis``.   df/dxi: the i-th slice."""

    @staticmethod
    def forward(ctx: Context, axis: int, *xs: Any) -> Any:
        ctx.axis, ctx.n = axis, len(xs)
        return backend.get_array_module(*xs).stack(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        xp = backend.get_array_module(grad)
        return (None, *(xp.take(grad, i, axis=ctx.axis) for i in range(ctx.n)))

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, axis: int, *xs: Tensor) -> tuple[Any, ...]:
        return (None, *(GetItem.apply(grad, (slice(None),) * axis + (i,))
                        for i in range(len(xs))))


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Stack tensors of one shape along a new axis (``dim`` is ``axis``)."""
    axis = axis if dim is None else dim
    tensors = _same_rank(tensors, "stack")
    if len({t.shape for t in tensors}) > 1:
        raise ValueError(f"stack: all tensors need one shape, got {[t.shape for t in tensors]}")
    axis = checks.axis_index(axis, tensors[0].ndim + 1, "stack")
    return Stack.apply(axis, *tensors)


def _same_rank(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if len(tensors) == 0:
        raise ValueError(f"{op}: needs at least one tensor")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    if first is None:
        raise TypeError(f"{op}: expected a sequence of Tensors")
    tensors = [checks.as_tensor(t, first) for t in tensors]
    if len({t.ndim for t in tensors}) > 1:
        raise ValueError(f"{op}: tensors have different numbers of dimensions: "
                         f"{[t.shape for t in tensors]}")
    return tensors


class Pad(Function):
    """f(x) = x surrounded by a constant.   df/dx: the gradient with the border cut off."""

    @staticmethod
    def forward(ctx: Context, x: Any, pad_width: tuple[tuple[int, int], ...], value: float) -> Any:
        ctx.inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        xp = backend.get_array_module(x)
        return xp.pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        return grad[ctx.inner], None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, pad_width: Any,
                       value: float) -> tuple[Any, None, None]:
        inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        return GetItem.apply(grad, inner), None, None


def pad(x: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant, NumPy style: ``pad_width`` is an int, a (before, after) pair for
    every axis, or a sequence of such pairs, one per axis."""
    try:
        widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype=numpy.int64), (x.ndim, 2))
    except (ValueError, TypeError):
        raise ValueError(f"pad: pad_width must be an int, a (before, after) pair or one pair per "
                         f"axis of the tensor of shape {x.shape}, got {pad_width!r}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be >= 0, got {pad_width}")
    return Pad.apply(x, tuple((int(a), int(b)) for a, b in widths), value)
