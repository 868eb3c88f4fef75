"""Making tensors: zeros, ones, full, arange, and random draws from the seeded generator."""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = [
    "arange", "full", "ones", "ones_like", "rand", "randn", "tensor", "zeros", "zeros_like",
]

Shape = Any  # an int or a tuple of ints


def tensor(
    data: Any,
    requires_grad: bool = False,
    dtype: Any = None,
    device: str | backend.Device | None = None,
) -> Tensor:
    """Make a Tensor from a list, a number or an array (copied), as ``torch.tensor``.

    Python floats become the default dtype (float32 unless changed), Python ints int64, and an
    array keeps its dtype unless ``dtype`` is given. ``device`` defaults to the default device.
    """
    if isinstance(data, Tensor):
        data = data.data
    dev = backend.get_device(device)
    try:
        src_xp = numpy if isinstance(data, (list, tuple)) else backend.get_array_module(data)
    except TypeError:
        raise TypeError(f"tensor(): cannot make a numeric tensor from a {type(data).__name__} "
                        f"({data!r}); give a number, a list of numbers or an array") from None
    if src_xp is numpy:
        try:
            arr = numpy.array(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"tensor(): cannot make a numeric array from {data!r}: {exc}") from None
    else:
        arr = src_xp.array(data)  # a copy on its own device
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor() needs numbers (bool, int or float), got an array of dtype {arr.dtype}"
        )
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind == "f" and not isinstance(data, (numpy.ndarray, numpy.generic)) and (
        src_xp is numpy
    ):
        arr = arr.astype(backend.get_default_dtype(), copy=False)
    arr = backend.to_device(arr, dev)
    if requires_grad and arr.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got {arr.dtype}")
    return Tensor(arr, requires_grad=requires_grad)


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _make(array: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def zeros(
    *shape: Shape, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros (default dtype and device unless given)."""
    xp = backend.get_device(device).xp
    return _make(xp.zeros(_shape(shape), dtype=dtype or backend.get_default_dtype()), requires_grad)


def ones(
    *shape: Shape, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones (default dtype and device unless given)."""
    xp = backend.get_device(device).xp
    return _make(xp.ones(_shape(shape), dtype=dtype or backend.get_default_dtype()), requires_grad)


def full(shape: Shape, fill_value: float, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``."""
    xp = backend.get_device(device).xp
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(xp.full(shape, fill_value, dtype=dtype or backend.get_default_dtype()))


def zeros_like(x: Tensor, requires_grad: bool = False, dtype: Any = None,
               device: Any = None) -> Tensor:
    """Zeros of x's shape, and of its dtype and device unless given."""
    return zeros(*x.shape, dtype=dtype or x.dtype, device=device or x.device,
                 requires_grad=requires_grad)


def ones_like(x: Tensor, requires_grad: bool = False, dtype: Any = None,
              device: Any = None) -> Tensor:
    """Ones of x's shape, and of its dtype and device unless given."""
    return ones(*x.shape, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop), as ``numpy.arange``."""
    xp = backend.get_device(device).xp
    if stop is None:
        start, stop = 0, start
    is_int = all(isinstance(v, (int, numpy.integer)) for v in (start, stop, step))
    dt = dtype or (numpy.int64 if is_int else backend.get_default_dtype())
    return Tensor(xp.arange(start, stop, step, dtype=dt))


def randn(
    *shape: Shape, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of N(0, 1) from the seeded generator (see ``manual_seed``)."""
    return _make(backend.randn(_shape(shape), dtype, device), requires_grad)


def rand(
    *shape: Shape, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of U[0, 1) from the seeded generator (see ``manual_seed``)."""
    return _make(backend.rand(_shape(shape), dtype, device), requires_grad)
