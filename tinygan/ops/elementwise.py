"""Elementwise math: exp, log, sqrt, abs, clip, maximum, minimum, where, comparisons, and the
casts between dtypes and devices. ``backward_graph`` is each ``backward`` on Tensors (recorded),
for gradients that are differentiated again; a mask or a sign in it is a constant (its own
derivative is zero almost everywhere)."""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import Context, Function, unbroadcast
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks


class Exp(Function):
    """f(x) = e^x.   df/dx = e^x (the output itself, so that is what is saved)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad * exp(x)

def exp(x: Tensor) -> Tensor:
    """e^x, elementwise."""
    return Exp.apply(x)


class Log(Function):
    """f(x) = ln x.   df/dx = 1 / x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad / x

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad / x

def log(x: Tensor) -> Tensor:
    """Natural logarithm, elementwise."""
    return Log.apply(x)


class Sqrt(Function):
    """f(x) = sqrt(x).   df/dx = 1 / (2 sqrt(x))."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad / (2 * out)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad / (2 * sqrt(x))

def sqrt(x: Tensor) -> Tensor:
    """Square root, elementwise."""
    return Sqrt.apply(x)


class Abs(Function):
    """f(x) = |x|.   df/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).abs(x)  # not abs(): in this module that is the op

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * backend.get_array_module(x).sign(x)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad * Tensor(backend.get_array_module(x.data).sign(x.data))

def abs(x: Tensor) -> Tensor:
    """|x|, elementwise."""
    return Abs.apply(x)


class Clip(Function):
    """f(x) = min(max(x, lo), hi).   df/dx = 1 where lo <= x <= hi, else 0 (as torch.clamp)."""

    @staticmethod
    def forward(ctx: Context, x: Any, lo: Any, hi: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return backend.get_array_module(x).clip(x, lo, hi)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = inside & (x <= hi)
        return grad * inside, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, lo: Any, hi: Any) -> tuple:
        inside = (x.data >= lo if lo is not None else True) & (x.data <= hi if hi is not None
                                                                else True)
        return grad * Tensor(inside), None, None

def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit x to [min, max] (either may be None), elementwise."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return Clip.apply(x, min, max)


class Maximum(Function):
    """f(a, b) = max(a, b).   df/da = 1 where a > b, 1/2 where a = b, else 0 (as torch)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).maximum(a, b)

    @staticmethod
    def share(a: Any, b: Any, dtype: Any) -> Any:
        """df/da as an array: 1 where a > b, 1/2 where a = b (ties split the gradient), else 0."""
        return (a > b).astype(dtype) + (a == b).astype(dtype) * 0.5

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        share_a = Maximum.share(a, b, grad.dtype)
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        share_a = Tensor(Maximum.share(a.data, b.data, grad.dtype))
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)

def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors, broadcasting."""
    return Maximum.apply(*checks.operands(a, b, "maximum"))


class Minimum(Function):
    """f(a, b) = min(a, b).   df/da = 1 where a < b, 1/2 where a = b, else 0 (as torch)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        share_a = Maximum.share(b, a, grad.dtype)  # 1 where a < b
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        share_a = Tensor(Maximum.share(b.data, a.data, grad.dtype))
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)

def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum of two tensors, broadcasting."""
    return Minimum.apply(*checks.operands(a, b, "minimum"))


class Where(Function):
    """f(c, a, b) = a where c else b.   df/da = c,  df/db = not c  (c is not differentiated)."""

    @staticmethod
    def forward(ctx: Context, cond: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(cond)
        ctx.shapes = (a.shape, b.shape)
        return backend.get_array_module(a).where(cond, a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None, Any, Any]:
        (cond,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        zero = grad.dtype.type(0)
        xp = backend.get_array_module(grad)
        return None, unbroadcast(xp.where(cond, grad, zero), sa), unbroadcast(
            xp.where(cond, zero, grad), sb
        )

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, cond: Any, a: Tensor, b: Tensor) -> tuple:
        return (None, unbroadcast(where(cond, grad, 0.0), a.shape),
                unbroadcast(where(cond, 0.0, grad), b.shape))

def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise choice: a where ``condition`` is true, else b (broadcasting all three)."""
    a, b = checks.operands(a, b, "where")
    cond = condition.data if isinstance(condition, Tensor) else condition
    if isinstance(cond, (list, tuple, bool)):
        cond = backend.get_array_module(a.data).asarray(cond, dtype=bool)
    if backend.get_array_module(cond) is not backend.get_array_module(a.data):
        raise RuntimeError("where: the condition is on another device than the values")
    checks.broadcast_shape(numpy.shape(cond), checks.broadcast_shape(a.shape, b.shape, "where"),
                           "where")
    return Where.apply(cond, a, b)


_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def compare(a: Tensor, b: Any, how: str) -> Tensor:
    """A boolean tensor (not differentiable) from ==, !=, <, <=, >, >=."""
    b = checks.as_tensor(b, a)
    if a.shape != b.shape:
        checks.broadcast_shape(a.shape, b.shape, how)
    return Tensor(_COMPARISONS[how](a.data, b.data))


class AsType(Function):
    """f(x) = x converted to another dtype.   df/dx = 1, converted back to x's dtype."""

    @staticmethod
    def forward(ctx: Context, x: Any, dtype: Any) -> Any:
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        return grad.astype(ctx.dtype), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, dtype: Any) -> tuple[Any, None]:
        return astype(grad, x.dtype), None

def astype(x: Tensor, dtype: Any) -> Tensor:
    """x converted to ``dtype``; gradients flow back between floating dtypes."""
    dt = numpy.dtype(dtype)
    if x.requires_grad and dt.kind != "f":
        return Tensor(x.data.astype(dt))  # an integer result has no gradient
    return AsType.apply(x, dt)


class ToDevice(Function):
    """f(x) = x copied to another device.   df/dx = 1, copied back to x's device."""

    @staticmethod
    def forward(ctx: Context, x: Any, device: Any) -> Any:
        ctx.source = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        return backend.to_device(grad, ctx.source), None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, device: Any) -> tuple[Any, None]:
        return to_device(grad, x.device), None

def to_device(x: Tensor, device: Any) -> Tensor:
    """x copied to ``device`` ("cpu" or "cuda"), differentiably."""
    return ToDevice.apply(x, backend.get_device(device))
