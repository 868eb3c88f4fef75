"""The ops behind the simplest layers: linear (a fused affine map), dropout and embedding.

Each is one ``Function`` with its forward and backward side by side. ``linear`` could be written
as ``x @ w.T + b`` from the core ops, but fusing it into one op keeps the graph short (one node per
layer instead of three) and lets backward compute exactly the three products it needs.
"""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.autograd.function import Context, Function
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks, kernels
from tinygan.ops.linalg import matmul
from tinygan.ops.shape import ScatterAdd

__all__ = ["DropoutFn", "EmbeddingFn", "LinearFn", "dropout", "embedding", "linear"]


class LinearFn(Function):
    """f(x, W, b) = x W^T + b, the affine map of a dense layer.

    Shapes: x (*, in), W (out, in), b (out,) or None, f (*, out); ``*`` is any number of leading
    (batch) axes.

    With G = dL/df flattened to (m, out) and x flattened to (m, in):
        dL/dx = G W          (m, out) @ (out, in)  -> (m, in), reshaped back to (*, in)
        dL/dW = G^T x        (out, m) @ (m, in)    -> (out, in)
        dL/db = sum_rows G   (out,)
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any) -> Any:
        ctx.save_for_backward(x, weight)
        out = kernels.matmul(x, weight.T)  # x W^T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any, Any]:
        x, weight = ctx.saved_tensors
        g2 = grad.reshape(-1, grad.shape[-1])  # (m, out)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:  # (laid out as x is: a flatten's view of a conv output)
            gx = kernels.matmul_like(grad, weight, x)  # G W
        if ctx.needs_input_grad[1]:
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, weight: Tensor,
                       bias: Tensor | None) -> tuple[Any, Any, Any]:
        g2 = grad.reshape(-1, grad.shape[-1])  # (m, out)
        gx = matmul(grad, weight) if ctx.needs_input_grad[0] else None
        gw = matmul(g2.T, x.reshape(-1, x.shape[-1])) if ctx.needs_input_grad[1] else None
        gb = g2.sum(axis=0) if ctx.needs_input_grad[2] else None
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, as ``torch.nn.functional.linear``: x (*, in), W (out, in), b (out,)."""
    if weight.ndim != 2:
        raise ValueError(f"linear: expected a 2-D weight (out, in), got shape {weight.shape}")
    checks.input_shape("linear", input, ("*", weight.shape[1]))
    checks.shape_is("linear", "bias", bias, (weight.shape[0],))
    checks.same_dtype("linear", input, weight, bias)
    return LinearFn.apply(input, weight, bias)


class DropoutFn(Function):
    """f(x) = x * m / (1 - p), m_i ~ Bernoulli(1 - p) drawn from the seeded generator.

    "Inverted" dropout: the survivors are scaled up by 1 / (1 - p) during training, so the
    expected value of each output equals its input and nothing needs rescaling at evaluation.
    df/dx = m / (1 - p): the same mask and scale. Shapes: f and x alike.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, p: float) -> Any:
        keep = backend.rand(x.shape, dtype=x.dtype, device=backend.device_of(x)) >= p
        scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        (scale,) = ctx.saved_tensors
        return grad * scale, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, x: Tensor, p: float) -> tuple[Any, None]:
        (scale,) = ctx.saved_tensors
        return grad * Tensor(scale), None


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only).

    As ``torch.nn.functional.dropout``; ``inplace`` is accepted for the signature but tinygan
    always returns a new tensor. With ``training=False`` or ``p == 0`` it returns ``input``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return DropoutFn.apply(input, float(p))


class EmbeddingFn(Function):
    """f(W, idx) = W[idx], a table lookup: row idx[k] of W for every index k.

    Shapes: W (num_embeddings, dim), idx (*) integers, f (*, dim).
    dL/dW[i] = sum of the rows of G = dL/df whose index is i (a row used twice gets both
    gradients). The sum is done with ``bincount`` over flat positions (row * dim + column), which
    adds repeated positions and runs the same on NumPy and CuPy. The ``padding_idx`` row gets no
    gradient, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, weight: Any, indices: Any, padding_idx: int | None) -> Any:
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        (indices,) = ctx.saved_tensors
        xp = backend.get_array_module(grad)
        rows, dim = ctx.weight_shape
        flat_rows = indices.reshape(-1, 1).astype(xp.int64)
        positions = flat_rows * dim + xp.arange(dim)  # (m, dim): where each element goes in W
        summed = xp.bincount(positions.ravel(), weights=grad.reshape(-1), minlength=rows * dim)
        gw = summed.reshape(rows, dim).astype(grad.dtype)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None, None

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, weight: Tensor, indices: Any,
                       padding_idx: int | None) -> tuple[Any, None, None]:
        gw = ScatterAdd.apply(grad, weight.shape, indices)  # the rows of G added at their index
        if padding_idx is not None:
            keep = backend.get_array_module(weight.data).ones((weight.shape[0], 1), grad.dtype)
            keep[padding_idx] = 0
            gw = gw * Tensor(keep)
        return gw, None, None


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) by the integer ``input`` (*) -> (*, dim).

    As ``torch.nn.functional.embedding``; ``padding_idx`` marks a row that gets no gradient.
    """
    idx = input.data if isinstance(input, Tensor) else input
    xp = backend.get_array_module(weight.data)
    idx = xp.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    rows = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= rows):
        raise IndexError(
            f"embedding: indices must be in [0, {rows}), got values from {int(idx.min())} to "
            f"{int(idx.max())}"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += rows
    return EmbeddingFn.apply(weight, idx, padding_idx)
