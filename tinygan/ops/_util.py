"""Small helpers shared by the op files: turning operands into tensors, checking shapes."""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import as_array_like
from tinygan.autograd.tensor import Tensor


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a Tensor next to ``like``: a Python number takes ``like``'s dtype (so
    ``x * 2.0`` stays float32), an array must already be on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool, numpy.generic)):
        return Tensor(as_array_like(value, like.data))
    xp = backend.get_array_module(like.data)
    if backend.get_array_module(value) is not xp:
        raise RuntimeError(
            f"expected an array on {like.device.name} to combine with a tensor there, got "
            f"{type(value).__name__}; move it with tinygan.tensor(x, device=...)"
        )
    return Tensor(xp.asarray(value))


def binary_operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Both operands of a broadcasting binary op as Tensors, after checking their shapes."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a = as_tensor(a, b)
    else:
        b = as_tensor(b, a)
    if a.shape != b.shape:
        broadcast_shape(a.shape, b.shape, op)
    return a, b


def broadcast_shape(s1: tuple[int, ...], s2: tuple[int, ...], op: str) -> tuple[int, ...]:
    """The shape two arrays broadcast to, or a ValueError that names the op and both shapes."""
    try:
        return numpy.broadcast_shapes(s1, s2)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(s1)} and {tuple(s2)} cannot be broadcast together (trailing "
            "dimensions must be equal or 1)"
        ) from None


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int, or a tuple of ints, negatives allowed) as sorted positive ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, numpy.integer)) else axis
    if not isinstance(axes, (tuple, list)) or not all(
        isinstance(ax, (int, numpy.integer)) and not isinstance(ax, bool) for ax in axes
    ):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        out.append(int(ax) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"axis {tuple(axes)} names the same axis twice")
    return tuple(sorted(out))
