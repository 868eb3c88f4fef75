"""The checks every op's public entry makes before its ``Function`` runs (Chainer's
``check_type_forward``): one helper per kind of check, each raising an error that names the op,
what it expected and what it got.

    >>> broadcast_shape((3, 4), (5,), "add")
    Traceback (most recent call last):
    ...
    ValueError: add: shapes (3, 4) and (5,) cannot be broadcast together ...
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import as_array_like
from tinygan.autograd.tensor import Tensor

__all__ = [
    "as_tensor", "axis_index", "broadcast_shape", "int_pair", "normalize_axis", "operands",
    "same_dtype", "shape_is", "torch_axis",
]


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


def operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Both operands of a broadcasting binary op as Tensors, after checking their shapes."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a = as_tensor(a, b)
    else:
        b = as_tensor(b, a)
    if (a.dtype.kind in "biu") != (b.dtype.kind in "biu"):
        # PyTorch's promotion: a float tensor with an integer one keeps the float dtype
        # (NumPy would make float32 with int64 float64). Integer tensors carry no gradient.
        if a.dtype.kind in "biu":
            a = Tensor(a.data.astype(b.dtype))
        else:
            b = Tensor(b.data.astype(a.dtype))
    if a.shape != b.shape:
        broadcast_shape(a.shape, b.shape, op)
    return a, b


def torch_axis(axis: Any, keepdims: bool, dim: Any, keepdim: bool | None,
               op: str) -> tuple[Any, bool]:
    """PyTorch's ``dim=`` / ``keepdim=`` as NumPy's ``axis`` / ``keepdims`` (either spelling)."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis= or dim=, not both")
        axis = tuple(dim) if isinstance(dim, list) else dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


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


def axis_index(axis: int, ndim: int, op: str) -> int:
    """``axis`` in [-ndim, ndim) as a non-negative int; out of range is an error, not wrapped."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for {ndim} dimensions")
    return int(axis) % ndim


def same_dtype(op: str, input: Tensor, *params: Tensor | None) -> None:
    """A TypeError unless the input and the weights share one dtype (as PyTorch).

    NumPy would silently promote float32 weights and a float64 input to float64 and hand the
    float32 parameters float64 gradients; converting the input with ``.float()`` is the fix.
    """
    for p in params:
        if p is not None and p.dtype != input.dtype:
            raise TypeError(f"{op}: input is {input.dtype} but the weights are {p.dtype}; "
                            f"convert the input (x.float() or x.double()) or the module")


def shape_is(op: str, name: str, t: Tensor | None, expected: tuple[int, ...]) -> None:
    """A ValueError unless tensor ``t`` (skipped when None) has shape ``expected``."""
    if t is not None and tuple(t.shape) != tuple(expected):
        raise ValueError(f"{op}: {name} of shape {tuple(t.shape)}, expected {tuple(expected)}")


def input_shape(who: object, input: Tensor, *layouts: tuple[Any, ...]) -> None:
    """A ValueError unless ``input``'s shape fits one of the ``layouts``.

    A layout is a tuple of sizes: an int must match, a name ("N", "H") matches any size, and a
    leading "*" any number of leading axes. ``who`` (an op's name, or a layer, whose repr is
    made only for the message) starts the message, e.g. ``Linear(in_features=5, ...): expected
    input of shape (*, 5), got (4, 6)``.
    """
    shape = input.shape
    for layout in layouts:
        any_lead = layout[0] == "*"
        fixed = layout[1:] if any_lead else layout
        if len(fixed) > len(shape) or (not any_lead and len(fixed) != len(shape)):
            continue
        for want, got in zip(fixed, shape[len(shape) - len(fixed):]):
            if isinstance(want, int) and want != got:
                break
        else:  # every size fits
            return
    expected = " or ".join("(" + ", ".join(str(n) for n in layout) + ")" for layout in layouts)
    raise ValueError(f"{who}: expected input of shape {expected}, got {tuple(input.shape)}")


def positive_int(value: Any, name: str, who: str) -> int:
    """``value`` as an int if it is an integer >= 1 (not a bool), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


def int_pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair (stride=2 means (2, 2)); a TypeError naming ``op``."""
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, int) for v in value
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
