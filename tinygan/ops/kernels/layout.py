"""Memory order: which axis runs fastest in memory, copies that change it, and the matrix
products that choose their result's layout (see the package docstring)."""

from __future__ import annotations

import math
from typing import Any

from tinygan import backend

__all__ = ["in_memory_order", "matmul", "matmul_at_b_t", "matmul_like", "memory_order",
           "transpose_2d"]


def memory_order(a: Any) -> tuple[int, ...] | None:
    """The axes of ``a`` from the slowest-varying in memory to the fastest, if ``a`` is dense
    (its elements fill one block of memory, as a C-contiguous array or a transposed view of one
    does); None if it is not. A C-contiguous array gives (0, 1, ..., ndim - 1); a batch-last
    (N, C, H, W) view of a (C, H, W, N) buffer gives (1, 2, 3, 0)."""
    order = tuple(sorted(range(a.ndim), key=lambda k: -a.strides[k]))
    return order if a.transpose(order).flags.c_contiguous else None


def in_memory_order(a: Any, order: tuple[int, ...]) -> Any:
    """``a`` laid out in memory in ``order`` (as ``memory_order`` names it): ``a`` itself if
    it already is, else a copy. Elementwise ops on two arrays run several times slower when
    their memory orders differ (each walks the other's memory with a stride).

    Between the batch-last and the NCHW order (and any other pair where the memory order only
    rotates: (C, H, W | N) <-> (N | C, H, W)) the copy is a 2-D transpose, done by
    ``transpose_2d``.

    Plain form: ``a`` (the values are the same; only their place in memory differs).
    """
    now = memory_order(a)
    if now == order:
        return a
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    if now is not None and a.size:
        k = next((k for k in range(1, a.ndim) if now[k:] + now[:k] == order), None)
        if k is not None:  # memory (A | B) -> (B | A): the transpose of an (|A|, |B|) matrix
            rows = a.transpose(now).reshape(math.prod(a.shape[i] for i in now[:k]), -1)
            moved = transpose_2d(rows).reshape([a.shape[i] for i in order])
            return moved.transpose(inverse)
    xp = backend.get_array_module(a)
    return xp.ascontiguousarray(a.transpose(order)).transpose(inverse)


TRANSPOSE_BLOCK_BYTES = 32 * 1024  # a block of rows of a tall matrix, transposed in L1/L2


def transpose_2d(a: Any) -> Any:
    """a.T (2-D) as a new C-contiguous array.

    NumPy copies a tall matrix's transpose (many rows, few columns: a batch-last activation,
    (C H W, N), turned to (N, C H W)) column by column, each column a pass over all of a's
    memory: 4.7 ms for (12544, 64) float32. Copied a block of rows at a time (~32 KiB), each
    block's transpose stays in the cache: 0.44 ms. Wide matrices NumPy already copies well.

    Plain form: ``array(a.T, order="C")``.
    """
    xp = backend.get_array_module(a)
    rows, cols = a.shape
    if xp.__name__ != "numpy" or rows <= cols:
        return xp.array(a.T, order="C")  # (a copy even when a.T is contiguous already)
    out = xp.empty((cols, rows), dtype=a.dtype)
    block = max(1, TRANSPOSE_BLOCK_BYTES // (cols * a.itemsize))
    for start in range(0, rows, block):
        out[:, start:start + block] = a[start:start + block].T
    return out


def matmul(a: Any, b: Any) -> Any:
    """a @ b; when the inner dimension is 1 (an outer product: a layer with one input, or the
    gradient through a discriminator's one-logit head) as the broadcast product a * b, which
    is the same numbers ~3-10x sooner than OpenBLAS's GEMM gives them.

    Plain form: ``a @ b``.
    """
    if a.ndim >= 2 and b.ndim == 2 and a.shape[-1] == 1 and b.shape[0] == 1:
        return a * b
    return a @ b


def matmul_like(a: Any, b: Any, like: Any) -> Any:
    """``matmul(a, b)``, laid out in memory as ``like`` is: computed as (b^T @ a^T)^T, a
    column-major result, when ``like`` is 2-D, column-major (Fortran-ordered) and not also
    row-major; else as a @ b.

    A discriminator's flatten hands its Linear a column-major view of the batch-last conv
    output; the Linear's input gradient in that order reshapes back to a batch-last gradient
    without a copy. Plain form: ``a @ b``.
    """
    if like.ndim == 2 and like.flags.f_contiguous and not like.flags.c_contiguous:
        return matmul(b.T, a.T).T
    return matmul(a, b)


def matmul_at_b_t(a: Any, b: Any) -> Any:
    """a @ b^T, contiguous, computed as (b @ a^T)^T.

    OpenBLAS is several times slower on a @ b^T when the long inner axis runs along both
    operands' rows (the weight gradient of a convolution: (O, M) @ (M, K) with M = OH OW N).
    """
    return transpose_2d(b @ a.T)
