"""The fast kernels: the few places where tinygan trades the plain form of a formula for speed.

The textbook code in ``ops/`` and ``optim/`` says *what* is computed and calls these by name
where a plain NumPy line would be slow; each kernel names the plain form it computes, and
tests/ops/test_kernels.py checks that the two agree. The tricks, all of them here:

* **im2col / col2im**: a convolution as one matrix product. ``im2col`` copies, for each kernel
  offset (i, j), the pixels that offset touches into a column buffer (one strided slice per
  offset: kh * kw slices, not a loop over pixels); ``col2im`` is its adjoint, adding the columns
  back (one phase of the stride at a time, each summed in a contiguous buffer). The batch axis
  is kept *last* inside both (the image is copied to (C, H, W, N)), so a slice moves runs of N
  contiguous numbers instead of single pixels: several times faster.
* **batch-last activations**: a conv's output is handed on as a (N, C, H, W) *view* of the
  matmul's (C, H, W, N) result (``from_rows``, ``col2im``) instead of being copied to NCHW; the
  elementwise ops and BatchNorm in between keep that memory order, so the next conv's
  ``im2col`` and ``to_rows`` find the batch already last and copy nothing.
* **in-place updates**: every fresh array costs page faults and a pass over memory, which is
  most of what an elementwise op on a big array spends. ``moving_average_`` and ``adam_step``
  reuse the memory they are given instead of allocating intermediates, and ``adam_update_``
  runs Adam's ~13 passes block by block, each block staying in the cache; ``channel_sums`` (the
  per-channel sums of BatchNorm) reduces a product without forming it.
* **freed memory kept**: a fresh array of a few MB costs ~800 page faults on first touch, about
  as long as the arithmetic on it; glibc gives such arrays back to the system when they are
  freed, so every step faults them in again (~27,000 faults per dcgan-mnist step).
  ``keep_freed_memory`` (called when tinygan is imported, unless ``TINYGAN_KEEP_FREED_MEMORY=0``)
  asks glibc to keep freed memory for reuse instead: a buffer pool for every op at once.
* **arithmetic on masks**: ``leaky_slope`` builds s + (1 - s) [x > 0] in one array (the
  slope LeakyReLU multiplies by); NumPy's ``where(mask, 1, s)`` is ~15x slower on a random
  mask.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
from typing import Any

from tinygan import backend

__all__ = [
    "adam_step", "adam_update_", "adam_update_many_", "channel_sums", "col2im", "from_rows",
    "get_conv_outsize", "get_deconv_outsize", "im2col", "in_memory_order", "keep_freed_memory",
    "leaky_slope", "matmul", "matmul_at_b_t", "matmul_like", "memory_order", "moving_average_",
    "to_rows", "transpose_2d",
]

Pair = tuple[int, int]


def get_conv_outsize(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Output length of a convolution along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1.

    The kernel spans d(k-1) + 1 pixels; it fits at positions 0, s, 2s, ... of the padded input.
    """
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int, d: int = 1,
                       output_padding: int = 0) -> int:
    """Output length of a transposed convolution: (size-1)s - 2p + d(k-1) + output_padding + 1.

    It inverts ``get_conv_outsize``; since the conv's floor loses up to s-1 pixels, output_padding
    (< s) says how many to add back.
    """
    return (size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def _window(start: int, step: int, count: int) -> slice:
    """The slice start, start + step, ..., start + step (count - 1): where one kernel offset
    lands for each of the ``count`` output positions."""
    return slice(start, start + step * (count - 1) + 1, step)


def _overlap(offset: int, step: int, pad: int, size: int, count: int) -> tuple[int, int]:
    """The output positions o in [lo, hi) whose input pixel o * step + offset - pad lies inside
    the image [0, size): where one kernel offset of a convolution touches real pixels."""
    lo = max(0, -((offset - pad) // step))  # ceil((pad - offset) / step)
    hi = min(count, (size - 1 + pad - offset) // step + 1)
    return lo, max(lo, hi)


def im2col(x: Any, kh: int, kw: int, stride: Pair, padding: Pair, dilation: Pair) -> Any:
    """Patches of x (N, C, H, W) as a contiguous column buffer of shape (C, kh, kw, OH, OW, N).

    Plain form: col[c, i, j, oh, ow, n] = xpad[n, c, oh * sh + i * dh, ow * sw + j * dw], with
    xpad the input zero-padded by ``padding``: each offset copies the pixels it touches inside
    the image (``_overlap``) and zeros where it falls on the padding.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = get_conv_outsize(h, kh, sh, ph, dh), get_conv_outsize(w, kw, sw, pw, dw)
    image = in_memory_order(x, (1, 2, 3, 0)).transpose(1, 2, 3, 0)  # (C, H, W, N), free when
    # x is batch-last
    col = xp.empty((c, kh, kw, oh, ow, n), dtype=x.dtype)
    for i in range(kh):
        r0, r1 = _overlap(i * dh, sh, ph, h, oh)
        for j in range(kw):
            c0, c1 = _overlap(j * dw, sw, pw, w, ow)
            patch = col[:, i, j]  # (C, OH, OW, N)
            if r1 > r0 and c1 > c0:
                patch[:, r0:r1, c0:c1] = image[:, _window(r0 * sh + i * dh - ph, sh, r1 - r0),
                                               _window(c0 * sw + j * dw - pw, sw, c1 - c0)]
            # the zero padding: the rows and columns this offset sees outside the image
            patch[:, :r0] = 0
            patch[:, r1:] = 0
            patch[:, r0:r1, :c0] = 0
            patch[:, r0:r1, c1:] = 0
    return col


def col2im(col: Any, shape: tuple[int, int, int, int], stride: Pair, padding: Pair,
           dilation: Pair) -> Any:
    """The adjoint of ``im2col``: add each column entry back onto the pixel it was copied from.

    col (C, kh, kw, OH, OW, N) -> image of ``shape`` (N, C, H, W), a view of a (C, H, W, N)
    buffer; where patches overlap their entries add up. <im2col(x), c> = <x, col2im(c)>.
    Entries that fell on the zero padding are dropped (``_overlap``).

    Plain form: img[n, c, o_h s_h + i d_h - p_h, o_w s_w + j d_w - p_w] += col[c, i, j, o_h,
    o_w, n] for every entry, a ``+=`` of one strided slice per kernel offset (i, j).
    Here the image is assembled one *phase* at a time instead: pixel row y = o s + i d - p lies
    in the sub-grid of rows y = a (mod s) with a = (i d - p) mod s, at row o + q there with
    q = (i d - p - a) / s. Each sub-grid img[:, a::s_h, b::s_w] sums the offsets of its phase
    in a contiguous buffer and is written once: ~1.5x faster than adding every offset into the
    strided image (64 channels, 4x4 kernel, stride 2). The order of the additions onto each
    pixel is the plain form's, so the sums are the same to the last bit.
    """
    xp = backend.get_array_module(col)
    c, kh, kw, oh, ow, n = col.shape
    _, _, h, w = shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    img = xp.empty((c, h, w, n), dtype=col.dtype)  # (C, H, W, N)
    for a in range(min(sh, h)):
        for b in range(min(sw, w)):
            phase = img[:, a::sh, b::sw]  # the pixels of rows = a, columns = b (mod stride)
            total = xp.zeros(phase.shape, dtype=col.dtype)
            for i in range(kh):
                qi, off_phase = divmod(i * dh - ph - a, sh)
                r0, r1 = _overlap(i * dh, sh, ph, h, oh)
                if off_phase or r1 <= r0:
                    continue
                for j in range(kw):
                    qj, off_phase = divmod(j * dw - pw - b, sw)
                    c0, c1 = _overlap(j * dw, sw, pw, w, ow)
                    if not off_phase and c1 > c0:
                        total[:, r0 + qi:r1 + qi, c0 + qj:c1 + qj] += col[:, i, j, r0:r1, c0:c1]
            phase[...] = total
    return img.transpose(3, 0, 1, 2)  # (N, C, H, W), a view of the batch-last buffer


def to_rows(a: Any) -> Any:
    """(N, C, H, W) -> (C, H*W*N): one row per channel, columns in im2col's order (a view when
    ``a`` is laid out batch-last, as conv outputs are; else a copy)."""
    return in_memory_order(a, (1, 2, 3, 0)).transpose(1, 2, 3, 0).reshape(a.shape[1], -1)


def from_rows(a: Any, n: int, h: int, w: int) -> Any:
    """(C, H*W*N) -> (N, C, H, W), the inverse of ``to_rows``: a view, no copy.

    The result keeps the batch-last memory order of the matmul's output, so the next conv's
    ``to_rows`` and ``im2col`` read it without a transpose; elementwise ops and per-channel
    reductions in between keep that order (NumPy's ufuncs follow their input's layout).
    """
    return a.reshape(-1, h, w, n).transpose(3, 0, 1, 2)


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


def leaky_slope(x: Any, negative_slope: float, dtype: Any) -> Any:
    """The slope of LeakyReLU at each entry of x, a new array of ``dtype`` laid out as x:
    1 where x > 0, else s. Built as s + (1 - s) [x > 0], the comparison written straight into
    the float array (no boolean mask to cast: three passes over memory instead of four).

    Plain form: ``where(x > 0, 1, s)`` (NumPy's where is ~15x slower on a random mask).
    """
    xp = backend.get_array_module(x)
    slope = xp.empty_like(x, dtype=dtype)
    xp.greater(x, 0, out=slope)  # 1.0 where x > 0, else 0.0
    slope *= 1 - negative_slope
    slope += negative_slope
    return slope


def channel_sums(a: Any, b: Any = None) -> Any:
    """The sum of ``a`` (or of ``a * b``) over every axis but axis 1, shape (C,), in one pass
    and without a temporary array (``einsum``).

    Plain form: ``a.sum(axis=(0, 2, 3, ...))`` or ``(a * b).sum(axis=(0, 2, 3, ...))``.
    """
    xp = backend.get_array_module(a)
    axes = "abcdefgh"[:a.ndim]  # "b" is the channel axis
    if b is None:
        return xp.einsum(f"{axes}->b", a)
    return xp.einsum(f"{axes},{axes}->b", a, b)


def moving_average_(average: Any, value: Any, beta: float, scratch: Any = None) -> Any:
    """average <- beta average + (1 - beta) value, in place (``scratch``: an array of
    ``average``'s shape to reuse for (1 - beta) value, instead of a new one).

    Plain form: ``beta * average + (1 - beta) * value``.
    """
    xp = backend.get_array_module(average)
    scratch = xp.multiply(value, 1 - beta, out=scratch)
    average *= beta
    average += scratch
    return average


def adam_step(m: Any, v: Any, lr: float, bias_correction1: float, bias_correction2: float,
              eps: float, scratch: Any) -> Any:
    """lr m̂ / (sqrt(v̂) + eps), m̂ = m / bc1, v̂ = v / bc2, written into ``scratch``.

    Plain form: ``(m / (sqrt(v) / sqrt(bc2) + eps)) * (lr / bc1)``: the order of PyTorch's
    operations, so the rounding is the same.
    """
    xp = backend.get_array_module(m)
    denom = xp.sqrt(v, out=scratch)
    denom /= math.sqrt(bias_correction2)
    denom += eps
    step = xp.divide(m, denom, out=scratch)
    step *= lr / bias_correction1
    return step


CACHE_BLOCK_BYTES = 256 * 1024  # one block of each array of a fused update: ~5 of them fit in L2


def adam_update_(param: Any, grad: Any, m: Any, v: Any, v_max: Any, betas: tuple[float, float],
                 lr: float, bias_correction1: float, bias_correction2: float,
                 eps: float) -> None:
    """One Adam update of ``param`` in place, the moments ``m``, ``v`` (and ``v_max``) with it,
    block by block: each block of the arrays stays in the cache for the update's ~13 passes,
    instead of every pass reading the whole array from memory.

    Plain form (the same operations in the same order, on whole arrays; ``v_max`` None
    without amsgrad)::

        moving_average_(m, grad, beta1, scratch)          # m = β1 m + (1 - β1) g
        moving_average_(v, grad * grad, beta2, scratch)   # v = β2 v + (1 - β2) g²
        if v_max is not None: v = maximum(v_max, v, out=v_max)
        param -= adam_step(m, v, lr, bias_correction1, bias_correction2, eps, scratch)

    Blocks are flat slices of ``CACHE_BLOCK_BYTES``, so ``param``, ``m``, ``v`` and ``v_max``
    must be C-contiguous; if one is not, or the arrays fit in one block, or they are on a GPU
    (where one kernel per pass is the fast way), the update runs on the whole arrays at once.
    """
    xp = backend.get_array_module(param)
    block = CACHE_BLOCK_BYTES // param.itemsize
    args = (betas, lr, bias_correction1, bias_correction2, eps)
    state = (param, m, v) if v_max is None else (param, m, v, v_max)
    if param.size <= block or xp.__name__ != "numpy" or not all(
            a.flags.c_contiguous for a in state):
        _adam_block(param, grad, m, v, v_max, *args, xp.empty_like(param))
        return
    param, grad, m, v = (a.reshape(-1) for a in (param, grad, m, v))
    v_max = None if v_max is None else v_max.reshape(-1)
    scratch = xp.empty(block, dtype=param.dtype)
    for start in range(0, param.size, block):
        b = slice(start, start + block)
        _adam_block(param[b], grad[b], m[b], v[b], None if v_max is None else v_max[b], *args,
                    scratch[:min(block, param.size - start)])


def adam_update_many_(params: list[Any], grads: list[Any], ms: list[Any], vs: list[Any],
                      betas: tuple[float, float], lr: float, bias_correction1: float,
                      bias_correction2: float, eps: float) -> None:
    """``adam_update_`` (without amsgrad) on several parameters at one step count, as one flat
    update: their gradients and moments are gathered into three flat arrays, updated there,
    and the moments and the parameters' steps written back. For small parameters (a toy
    network's layers, every bias) the ~13 NumPy calls per parameter cost more than their
    arithmetic; here the whole list takes ~13 calls and three per parameter (48 -> 23 us for
    gauss1d's discriminator).

    Plain form: ``for p, g, m, v in zip(params, grads, ms, vs): adam_update_(p, g, m, v, None,
    betas, lr, bias_correction1, bias_correction2, eps)``: the same operations on every entry,
    so the same numbers to the bit.
    """
    xp = backend.get_array_module(params[0])
    g = xp.concatenate([a.reshape(-1) for a in grads])
    m = xp.concatenate([a.reshape(-1) for a in ms])
    v = xp.concatenate([a.reshape(-1) for a in vs])
    step = xp.empty_like(g)
    moving_average_(m, g, betas[0], step)
    moving_average_(v, xp.multiply(g, g, out=step), betas[1], step)
    adam_step(m, v, lr, bias_correction1, bias_correction2, eps, step)
    start = 0
    for param, m_out, v_out in zip(params, ms, vs):
        end = start + param.size
        m_out[...] = m[start:end].reshape(param.shape)
        v_out[...] = v[start:end].reshape(param.shape)
        param -= step[start:end].reshape(param.shape)
        start = end


def _adam_block(param: Any, grad: Any, m: Any, v: Any, v_max: Any, betas: tuple[float, float],
                lr: float, bias_correction1: float, bias_correction2: float, eps: float,
                scratch: Any) -> None:
    """``adam_update_``'s plain form on one block, through one scratch array of its size."""
    xp = backend.get_array_module(param)
    moving_average_(m, grad, betas[0], scratch)
    v = moving_average_(v, xp.multiply(grad, grad, out=scratch), betas[1], scratch)
    if v_max is not None:
        v = xp.maximum(v_max, v, out=v_max)
    param -= adam_step(m, v, lr, bias_correction1, bias_correction2, eps, scratch)


# glibc's mallopt parameters (malloc.h) and their defaults
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_GLIBC_DEFAULT = 128 * 1024


def keep_freed_memory(keep: bool = True) -> bool:
    """Let glibc keep freed memory for the next arrays instead of returning it to the system.

    By default glibc serves every allocation above 128 KiB with a fresh ``mmap`` and unmaps it
    on free, so each new large array page-faults all its pages in again. With ``keep=True``
    allocations up to 256 MiB come from the heap and up to 1 GiB of free heap is kept, so the
    arrays of one training step reuse the memory of the previous one. Memory in use is
    unchanged; the process keeps up to its peak. ``keep=False`` sets glibc's default
    thresholds back (but not its dynamic adjustment of them, which any explicit setting
    ends: for that, start the process with ``TINYGAN_KEEP_FREED_MEMORY=0``).
    Returns whether it took effect (False where the C library is not glibc, or
    ``TINYGAN_KEEP_FREED_MEMORY=0`` is set).
    """
    if keep and os.environ.get("TINYGAN_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    mmap_at, trim_at = (1 << 28, 1 << 30) if keep else (_GLIBC_DEFAULT, _GLIBC_DEFAULT)
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_at)) and bool(mallopt(_M_TRIM_THRESHOLD, trim_at))
