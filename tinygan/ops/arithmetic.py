"""Arithmetic: add, sub, mul, div, neg, pow. Each broadcasts as NumPy does; each backward sums
the gradient back to its input's shape with ``unbroadcast``."""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function, unbroadcast
from tinygan.autograd.tensor import Tensor
from tinygan.ops._util import binary_operands


class Add(Function):
    """f(a, b) = a + b.   df/da = 1,  df/db = 1."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    return Add.apply(*binary_operands(a, b, "add"))


class Sub(Function):
    """f(a, b) = a - b.   df/da = 1,  df/db = -1."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    return Sub.apply(*binary_operands(a, b, "sub"))


class Mul(Function):
    """f(a, b) = a * b.   df/da = b,  df/db = a."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def mul(a: Any, b: Any) -> Tensor:
    """a * b (elementwise), broadcasting."""
    return Mul.apply(*binary_operands(a, b, "mul"))


class Div(Function):
    """f(a, b) = a / b.   df/da = 1 / b,  df/db = -a / b^2."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def div(a: Any, b: Any) -> Tensor:
    """a / b (elementwise), broadcasting."""
    return Div.apply(*binary_operands(a, b, "div"))


class Neg(Function):
    """f(x) = -x.   df/dx = -1."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return -grad


def neg(x: Tensor) -> Tensor:
    """-x."""
    return Neg.apply(x)


class PowScalar(Function):
    """f(x) = x^p for a fixed number p.   df/dx = p x^(p-1)."""

    @staticmethod
    def forward(ctx: Context, x: Any, p: float) -> Any:
        ctx.save_for_backward(x)
        ctx.p = p
        return x**p

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        (x,) = ctx.saved_tensors
        p = ctx.p
        return grad * (p * x ** (p - 1)), None


class Pow(Function):
    """f(a, b) = a^b for tensors.   df/da = b a^(b-1),  df/db = a^b log a  (needs a > 0)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b, out = ctx.saved_tensors
        xp = backend.get_array_module(a)
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(grad * out * xp.log(a), b.shape)
        return ga, gb


def pow(x: Any, exponent: Any) -> Tensor:  # noqa: A001  (the op's name, as torch.pow)
    """x ** exponent: a number exponent (``PowScalar``) or a tensor exponent (``Pow``)."""
    if isinstance(x, Tensor) and isinstance(exponent, (int, float)):
        return PowScalar.apply(x, exponent)
    return Pow.apply(*binary_operands(x, exponent, "pow"))
