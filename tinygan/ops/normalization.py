"""Batch normalisation (Ioffe & Szegedy 2015) and layer normalisation (Ba et al. 2016), each one
fused op, forward and backward.

Batch normalisation, for every channel c, over the batch (and the pixels, for images):

    mu = mean(x),  var = mean((x - mu)^2)               (the biased variance normalises)
    xhat = (x - mu) / sqrt(var + eps)
    y = gamma * xhat + beta

In training mode mu and var are the batch's, and the running estimates move towards them:
running = (1 - momentum) * running + momentum * batch value, where the running variance takes the
*unbiased* batch variance var * m / (m - 1), as PyTorch does (m values per channel). In evaluation
mode the running estimates are used instead, so the output of one sample no longer depends on the
rest of its batch. Layer normalisation (``LayerNormFn``) is the same standardisation over each
sample's last axes instead, with no running statistics.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks, kernels
from tinygan.ops.elementwise import sqrt

__all__ = ["BatchNormFn", "LayerNormFn", "batch_norm", "layer_norm"]


class BatchNormFn(Function):
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
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # a (C,) vector, broadcasting against x
        m = x.size // x.shape[1]  # values per channel
        sums = kernels.channel_sums  # sum over every axis but the channels
        if training:
            mean = sums(x) / m
            centered = x - mean.reshape(shape)
            var = sums(centered, centered) / m  # the batch's biased variance
            if running_mean is not None:  # running = (1 - momentum) running + momentum batch
                kernels.moving_average_(running_mean, mean, 1 - momentum)
                kernels.moving_average_(running_var, var * (m / (m - 1)), 1 - momentum)
        else:
            mean, var = running_mean, running_var
            centered = x - mean.reshape(shape)
        inv_std = 1 / backend.get_array_module(x).sqrt(var + eps)  # s
        # y = gamma xhat + beta with xhat = (x - mu) s, as y = (x - mu) (gamma s) + beta
        y = centered * (inv_std * weight if weight is not None else inv_std).reshape(shape)
        if bias is not None:
            y += bias.reshape(shape)
        ctx.save_for_backward(centered, inv_std, weight)  # xhat = centered * inv_std
        ctx.training, ctx.shape, ctx.m = training, shape, m
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        centered, inv_std, weight = ctx.saved_tensors
        shape, m = ctx.shape, ctx.m
        gbeta = kernels.channel_sums(grad)
        ggamma = kernels.channel_sums(grad, centered) * inv_std  # sum G * xhat
        gx = None
        if ctx.needs_input_grad[0]:
            scale = (inv_std * weight if weight is not None else inv_std).reshape(shape)
            if ctx.training:  # G - dL/dbeta / m - xhat dL/dgamma / m, xhat = centered * s
                removed = centered * (inv_std * ggamma / m).reshape(shape)
                removed += (gbeta / m).reshape(shape)
                gx = grad - removed
                gx *= scale
            else:
                gx = scale * grad
        gw = ggamma if ctx.needs_input_grad[1] else None
        gb = gbeta if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, weight: Tensor | None,
                       bias: Tensor | None, running_mean: Any, running_var: Any, training: bool,
                       momentum: float, eps: float) -> tuple[Any, ...]:
        """The same formulas in Tensor ops; in training, xhat and s are recomputed from x (they
        depend on x through mu and var, and that dependence is differentiated too)."""
        shape, m = ctx.shape, ctx.m
        axes = (0, *range(2, x.ndim))  # every axis but the channels
        if training:
            centered = x - x.mean(axis=axes, keepdims=True)
            inv_std = 1 / sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
        else:
            centered = x - Tensor(running_mean.reshape(shape))
            inv_std = Tensor(1 / backend.get_array_module(x.data).sqrt(running_var + eps)
                             ).reshape(shape)
        xhat = centered * inv_std
        gbeta = grad.sum(axis=axes, keepdims=True)
        ggamma = (grad * xhat).sum(axis=axes, keepdims=True)
        gx = None
        if ctx.needs_input_grad[0]:
            scale = inv_std * weight.reshape(shape) if weight is not None else inv_std
            gx = scale * (grad - gbeta / m - xhat * ggamma / m) if training else scale * grad
        gw = ggamma.reshape(-1) if ctx.needs_input_grad[1] else None
        gb = gbeta.reshape(-1) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None, None


def batch_norm(
    input: Tensor,
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
        checks.shape_is(f"batch_norm (input of shape {tuple(input.shape)}, {c} channels)", name,
                        t, (c,))
    checks.same_dtype("batch_norm", input, running_mean, running_var, weight, bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: evaluation mode (training=False) needs running statistics")
    if training and input.size // max(c, 1) < 2:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got "
                         f"input of shape {tuple(input.shape)}")
    rm = running_mean.data if running_mean is not None else None
    rv = running_var.data if running_var is not None else None
    return BatchNormFn.apply(input, weight, bias, rm, rv, bool(training), float(momentum),
                             float(eps))


class LayerNormFn(Function):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta, mu and var over each sample's last axes.

    Layer normalisation (Ba et al. 2016) normalises every sample on its own, over the last k
    axes (``normalized_shape``), so unlike BatchNorm it does not mix the samples of a batch: a
    WGAN-GP critic uses it, since its gradient penalty is taken per sample.

    Shapes: x (*, *normalized_shape); gamma, beta ``normalized_shape`` or None; y like x.
    With G = dL/dy, m the number of normalised values per sample, s = 1 / sqrt(var + eps),
    Gh = G gamma (the gradient reaching xhat), and mean() over each sample's last axes:

        dL/dbeta  = sum of G over the leading axes
        dL/dgamma = sum of G * xhat over the leading axes
        dL/dx     = s (Gh - mean(Gh) - xhat mean(Gh * xhat))
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any, k: int, eps: float) -> Any:
        axes = tuple(range(x.ndim - k, x.ndim))  # the normalised axes of each sample
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        inv_std = 1 / backend.get_array_module(x).sqrt(var + eps)
        xhat = (x - mean) * inv_std
        y = xhat * weight if weight is not None else xhat
        if bias is not None:
            y = y + bias
        ctx.save_for_backward(xhat, inv_std, weight)
        ctx.axes = axes
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, ...]:
        xhat, inv_std, weight = ctx.saved_tensors
        axes, lead = ctx.axes, tuple(range(grad.ndim - len(ctx.axes)))
        return _layer_norm_grads(ctx.needs_input_grad, grad, xhat, inv_std, weight, axes, lead)

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, weight: Tensor | None,
                       bias: Tensor | None, k: int, eps: float) -> tuple[Any, ...]:
        """The same formulas in Tensor ops, with xhat and s recomputed from x."""
        axes, lead = ctx.axes, tuple(range(x.ndim - k))
        centered = x - x.mean(axis=axes, keepdims=True)
        inv_std = 1 / sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
        xhat = centered * inv_std
        return _layer_norm_grads(ctx.needs_input_grad, grad, xhat, inv_std, weight, axes, lead)



def _layer_norm_grads(needs: tuple[bool, ...], grad: Any, xhat: Any, inv_std: Any, weight: Any,
                      axes: tuple[int, ...], lead: tuple[int, ...]) -> tuple[Any, ...]:
    """LayerNorm's backward, the same lines on arrays (``backward``) or Tensors
    (``backward_graph``): with g = dL/dy * weight,
    dL/dx = (g - mean(g) - xhat * mean(g * xhat)) / s,  dL/dweight = sum dL/dy * xhat,
    dL/dbias = sum dL/dy (the means over the normalised axes, the sums over the others)."""
    gx = gw = gb = None
    if needs[0]:
        gh = grad * weight if weight is not None else grad
        gx = inv_std * (gh - gh.mean(axis=axes, keepdims=True)
                        - xhat * (gh * xhat).mean(axis=axes, keepdims=True))
    if needs[1]:
        gw = (grad * xhat).sum(axis=lead)
    if needs[2]:
        gb = grad.sum(axis=lead)
    return gx, gw, gb, None, None


def layer_norm(
    input: Tensor,
    normalized_shape: int | tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample over its last axes, as ``torch.nn.functional.layer_norm``.

    ``normalized_shape`` is the shape of those last axes (an int for one axis); ``weight``
    (gamma) and ``bias`` (beta) have that shape.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0:
        raise ValueError("layer_norm: normalized_shape must name at least one axis, got ()")
    checks.input_shape("layer_norm", input, ("*", *shape))
    checks.shape_is("layer_norm", "weight", weight, shape)
    checks.shape_is("layer_norm", "bias", bias, shape)
    checks.same_dtype("layer_norm", input, weight, bias)
    return LayerNormFn.apply(input, weight, bias, k, float(eps))
