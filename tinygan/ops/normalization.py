"""Batch normalisation (Ioffe & Szegedy 2015) as one fused op, forward and backward.

For every channel c, over the batch (and the pixels, for images):

    mu = mean(x),  var = mean((x - mu)^2)               (the biased variance normalises)
    xhat = (x - mu) / sqrt(var + eps)
    y = gamma * xhat + beta

In training mode mu and var are the batch's, and the running estimates move towards them:
running = (1 - momentum) * running + momentum * batch value, where the running variance takes the
*unbiased* batch variance var * m / (m - 1), as PyTorch does (m values per channel). In evaluation
mode the running estimates are used instead, so the output of one sample no longer depends on the
rest of its batch.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops.nn_ops import check_dtypes

__all__ = ["BatchNorm", "batch_norm"]


class BatchNorm(Function):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta, per channel (axis 1).

    Shapes: x (N, C) or (N, C, L) or (N, C, H, W); gamma, beta, mu, var (C,); y like x.
    With G = dL/dy, sums over the m = N (* L or * H * W) values of each channel, and
    s = 1 / sqrt(var + eps):

        dL/dbeta  = sum G
        dL/dgamma = sum G * xhat
        dL/dx     = gamma s (G - dL/dbeta / m - xhat dL/dgamma / m)  (training: mu, var move with x)
        dL/dx     = gamma s G                                         (evaluation: they do not)

    The training formula is the chain rule through mu and var collapsed into one line: the two
    subtracted terms remove the parts of G that a shift or a rescaling of the batch would undo.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,
                training: bool, momentum: float, eps: float) -> Any:
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        m = x.size // x.shape[1]
        xp = backend.get_array_module(x)
        # Two new arrays of x's size, reused in place: every fresh array costs page faults and
        # a pass over memory, which is most of what an elementwise op spends.
        if training:
            mean = x.mean(axis=axes)
            xhat = x - mean.reshape(shape)  # x - mu, made into xhat in place below
            out = xhat * xhat  # (x - mu)^2, for the variance; its memory becomes the output
            var = out.mean(axis=axes)
            if running_mean is not None:  # update in place: these are the module's buffers
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += (momentum * m / (m - 1)) * var
        else:
            xhat = x - running_mean.reshape(shape)
            out = xp.empty_like(xhat)
            var = running_var
        inv_std = 1 / xp.sqrt(var + eps)
        xhat *= inv_std.reshape(shape)  # xhat = (x - mu) / sqrt(var + eps)
        if weight is not None:
            xp.multiply(xhat, weight.reshape(shape), out=out)  # gamma * xhat
        else:
            out[...] = xhat
        if bias is not None:
            out += bias.reshape(shape)
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.training, ctx.axes, ctx.shape, ctx.m = training, axes, shape, m
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        xhat, inv_std, weight = ctx.saved_tensors
        shape, m = ctx.shape, ctx.m
        xp = backend.get_array_module(grad)
        gbeta = grad.sum(axis=ctx.axes)
        gx = grad * xhat  # G * xhat, summed for dL/dgamma; its memory is reused for dL/dx
        ggamma = gx.sum(axis=ctx.axes)
        if ctx.needs_input_grad[0]:
            scale = (inv_std * weight if weight is not None else inv_std).reshape(shape)
            if ctx.training:  # gx = scale (G - xhat dL/dgamma / m - dL/dbeta / m), in place
                xp.multiply(xhat, (ggamma / m).reshape(shape), out=gx)
                xp.subtract(grad, gx, out=gx)
                gx -= (gbeta / m).reshape(shape)
                gx *= scale
            else:
                xp.multiply(grad, scale, out=gx)
        else:
            gx = None
        gw = ggamma if ctx.needs_input_grad[1] else None
        gb = gbeta if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None, None


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of ``input``, as ``torch.nn.functional.batch_norm``.

    With ``training=True`` the batch statistics are used and ``running_mean``/``running_var``
    (when given) are updated in place; with ``training=False`` the running statistics are used.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...), got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"batch_norm: {name} of shape {tuple(t.shape)} does not match the "
                             f"{c} channels of input of shape {tuple(input.shape)}")
    check_dtypes("batch_norm", input, running_mean, running_var, weight, bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: evaluation mode (training=False) needs running statistics")
    if training and input.size // max(c, 1) < 2:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got "
                         f"input of shape {tuple(input.shape)}")
    rm = running_mean.data if running_mean is not None else None
    rv = running_var.data if running_var is not None else None
    return BatchNorm.apply(input, weight, bias, rm, rv, bool(training), float(momentum), float(eps))
