"""Binary cross-entropy with logits, the loss a GAN's discriminator is trained with."""

from __future__ import annotations

from typing import Any

from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks
from tinygan.ops.activation import sigmoid, stable_sigmoid, stable_softplus


class BCEWithLogits(Function):
    """Elementwise binary cross-entropy of a logit a against a target t in [0, 1]:

        l(a, t) = -[t log sigma(a) + (1 - t) log(1 - sigma(a))]
                = softplus(a) - t a                     (since log sigma(a) = -softplus(-a))
                = max(a, 0) - t a + log(1 + e^-|a|)     (the stable form: never exponentiates
                                                         a positive number)

    dl/da = sigma(a) - t,   dl/dt = -a.
    """

    @staticmethod
    def forward(ctx: Context, a: Any, t: Any) -> Any:
        ctx.save_for_backward(a, t)
        return stable_softplus(a) - t * a

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, t = ctx.saved_tensors
        ga = grad * (stable_sigmoid(a) - t) if ctx.needs_input_grad[0] else None
        gt = grad * -a if ctx.needs_input_grad[1] else None
        return ga, gt

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, t: Tensor) -> tuple[Any, Any]:
        ga = grad * (sigmoid(a) - t) if ctx.needs_input_grad[0] else None
        gt = grad * -a if ctx.needs_input_grad[1] else None
        return ga, gt


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """BCE of logits ``input`` against ``target`` (same shape), as
    ``torch.nn.functional.binary_cross_entropy_with_logits``: ``weight`` rescales each element,
    ``reduction`` is "mean", "sum" or "none"."""
    target = checks.as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} must "
                         f"equal input shape {input.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    loss = BCEWithLogits.apply(input, target)
    if weight is not None:
        loss = loss * weight
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
