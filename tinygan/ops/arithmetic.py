"""Arithmetic: add, sub, mul, div, neg, pow. Each broadcasts as NumPy does; each backward sums
the gradient back to its input's shape with ``unbroadcast``.

``backward`` works on arrays; ``backward_graph`` is the same formula on Tensors, recorded, for
gradients that are differentiated again (``create_graph=True``).
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function, unbroadcast
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks
from tinygan.ops.elementwise import log


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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        return unbroadcast(grad, a.shape), unbroadcast(grad, b.shape)


def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    return Add.apply(*checks.operands(a, b, "add"))


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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        gb = unbroadcast(-grad, b.shape) if ctx.needs_input_grad[1] else None
        return unbroadcast(grad, a.shape), gb


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    return Sub.apply(*checks.operands(a, b, "sub"))


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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        ga = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def mul(a: Any, b: Any) -> Tensor:
    """a * b (elementwise), broadcasting."""
    return Mul.apply(*checks.operands(a, b, "mul"))


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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        ga = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def div(a: Any, b: Any) -> Tensor:
    """a / b (elementwise), broadcasting."""
    return Div.apply(*checks.operands(a, b, "div"))


class Neg(Function):
    """f(x) = -x.   df/dx = -1."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return -grad

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, p: float) -> tuple[Any, None]:
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

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(grad * a**b * log(a), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def pow(x: Any, exponent: Any) -> Tensor:
    """x ** exponent: a number exponent (``PowScalar``) or a tensor exponent (``Pow``)."""
    if isinstance(x, Tensor) and isinstance(exponent, (int, float)):
        return PowScalar.apply(x, exponent)
    return Pow.apply(*checks.operands(x, exponent, "pow"))
