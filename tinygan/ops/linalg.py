"""Matrix multiplication, 2-D and batched (with NumPy's broadcasting of the batch axes)."""

from __future__ import annotations

from typing import Any

from tinygan.autograd.function import Context, Function, unbroadcast
from tinygan.autograd.tensor import Tensor
from tinygan.ops import checks


class MatMul(Function):
    """f(A, B) = A @ B, A of shape (..., n, k), B of shape (..., k, m), out (..., n, m).

    df/dA = G @ B^T  and  df/dB = A^T @ G, where G = dL/d(out) and ^T swaps the last two axes;
    batch axes that were broadcast are summed back with ``unbroadcast``. A 1-D operand is a row
    (on the left) or a column (on the right) vector, as in NumPy, and that axis is dropped.
    """

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a  # (k,) -> (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k,) -> (k, 1)
        # Put back the axes a 1-D operand dropped: the column's first (it is last in grad), so
        # a vector . vector product (a 0-d grad) becomes (1, 1).
        if b.ndim == 1:
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return ga, gb

    @staticmethod
    def backward_graph(ctx: Context, grad: Tensor, a: Tensor, b: Tensor) -> tuple[Any, Any]:
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if b.ndim == 1:
            grad = grad.reshape(*grad.shape, 1)
        if a.ndim == 1:
            grad = grad.reshape(*grad.shape[:-1], 1, grad.shape[-1])
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(grad @ _swap_last(b2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(_swap_last(a2) @ grad, b2.shape).reshape(b.shape)
        return ga, gb


def _swap_last(t: Tensor) -> Tensor:
    """t with its last two axes swapped (the matrix transpose of each batch entry)."""
    axes = list(range(t.ndim))
    axes[-2:] = axes[:-3:-1]
    return t.transpose(axes)


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b: matrix product, 2-D or batched."""
    a = checks.as_tensor(a, b) if not isinstance(a, Tensor) else a
    b = checks.as_tensor(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not multiply: the last axis "
                         f"of the first ({k_a}) must equal the {'second-to-' if b.ndim > 1 else ''}"
                         f"last axis of the second ({k_b})")
    if a.ndim > 2 or b.ndim > 2:
        try:
            checks.broadcast_shape(a.shape[:-2], b.shape[:-2], "matmul")
        except ValueError:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not multiply: their batch "
                             f"axes {a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast "
                             "together") from None
    return MatMul.apply(a, b)
