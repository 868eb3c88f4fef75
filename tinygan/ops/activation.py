"""Activations: relu, leaky_relu, tanh, sigmoid, softplus, log_sigmoid.

The sigmoid family is written in forms that never overflow: for large |x|, e^x overflows, so
each formula only ever exponentiates -|x| <= 0.

``backward_graph`` is each ``backward`` on Tensors (recorded), for gradients that are
differentiated again: sigma' = sigma (1 - sigma) and tanh' = 1 - tanh^2 are recomputed from x
with the ops themselves, and a mask (relu's x > 0) is a constant.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import kernels
from tinygan.ops.elementwise import where


class ReLU(Function):
    """f(x) = max(x, 0).   df/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        mask = x > 0
        ctx.save_for_backward(mask)
        # maximum, not x * mask (-1.0 * 0 is -0.0, which prints as "-0." in a relu's output),
        # nor where(mask, x, 0): NumPy's where is ~15x slower than maximum on a random mask.
        return backend.get_array_module(x).maximum(x, 0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (mask,) = ctx.saved_tensors
        return grad * mask

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad * Tensor(x.data > 0)


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return ReLU.apply(x)


class LeakyReLU(Function):
    """f(x) = x for x > 0, else s x.   df/dx = 1 for x > 0, else s (s at x = 0, as PyTorch).

    Both are a product with the slope, 1 where x > 0 and s elsewhere: f = slope x, and
    dL/dx = slope dL/df. The slope is saved for backward (the memory of x, as PyTorch saves).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, negative_slope: float) -> Any:
        slope = kernels.leaky_slope(x, negative_slope, x.dtype)  # 1 or s
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        (slope,) = ctx.saved_tensors
        return grad * slope, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor,
                       negative_slope: float) -> tuple[Any, None]:
        slope = kernels.leaky_slope(x.data, negative_slope, grad.dtype)
        return grad * Tensor(slope), None


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else ``negative_slope`` * x."""
    return LeakyReLU.apply(x, float(negative_slope))


class Tanh(Function):
    """f(x) = tanh x.   df/dx = 1 - tanh^2 x (from the saved output)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        out = tanh(x)
        return grad * (1 - out * out)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return Tanh.apply(x)


def stable_sigmoid(x: Any) -> Any:
    """sigma(x) = 1 / (1 + e^-x) on an array, exponentiating only -|x| so nothing overflows:
    for x >= 0 it is 1 / (1 + e^-x); for x < 0 the same value written e^x / (1 + e^x)."""
    xp = backend.get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def stable_softplus(x: Any) -> Any:
    """softplus(x) = log(1 + e^x) on an array, as max(x, 0) + log(1 + e^-|x|): never overflows,
    and log1p keeps precision when e^-|x| is tiny (the form of chainer's sigmoid cross-entropy)."""
    xp = backend.get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class Sigmoid(Function):
    """f(x) = 1 / (1 + e^-x).   df/dx = f(x) (1 - f(x)) (from the saved output)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        out = sigmoid(x)
        return grad * out * (1 - out)


def sigmoid(x: Tensor) -> Tensor:
    """The logistic function, elementwise: turns a logit into a probability."""
    return Sigmoid.apply(x)


class Softplus(Function):
    """f(x) = (1/beta) log(1 + e^(beta x)), and f(x) = x where beta x > threshold (as PyTorch).

    df/dx = sigma(beta x) (and 1 above the threshold).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, beta: float, threshold: float) -> Any:
        xp = backend.get_array_module(x)
        bx = x * beta if beta != 1 else x
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        out = stable_softplus(bx)
        if beta != 1:
            out = out / beta
        return xp.where(bx > threshold, x, out)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        (bx,) = ctx.saved_tensors
        xp = backend.get_array_module(bx)
        slope = xp.where(bx > ctx.threshold, bx.dtype.type(1), stable_sigmoid(bx))
        return grad * slope, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, beta: float,
                       threshold: float) -> tuple[Any, None, None]:
        bx = x * beta
        above = Tensor(bx.data > threshold)
        return grad * where(above, 1.0, sigmoid(bx)), None, None


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^x), a smooth relu; with PyTorch's ``beta`` and ``threshold``."""
    return Softplus.apply(x, float(beta), float(threshold))


class LogSigmoid(Function):
    """f(x) = log sigma(x) = -softplus(-x).   df/dx = 1 - sigma(x) = sigma(-x).

    In a GAN, log D(x) = log_sigmoid(logit) computed this way stays finite even when D is
    certain (logit -> -inf), where log(sigmoid(logit)) would give log(0) = -inf.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return -stable_softplus(-x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * stable_sigmoid(-x)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor) -> Tensor:
        return grad * sigmoid(-x)


def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return LogSigmoid.apply(x)


logsigmoid = log_sigmoid
