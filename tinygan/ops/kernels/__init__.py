"""The fast kernels: the few places where tinygan trades the plain form of a formula for speed.

The textbook code in ``ops/`` and ``optim/`` says *what* is computed and calls these by name
where a plain NumPy line would be slow; each kernel names the plain form it computes, and
tests/ops/test_kernels.py checks that the two agree. The tricks, all of them here (``columns``:
im2col/col2im; ``layout``: memory order and the products that choose it; ``elementwise``;
``updates``: moving averages and Adam; ``memory``: glibc's freed memory):

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
* **one layout per backward**: NumPy's elementwise loops are several times slower on two
  arrays of different memory orders, so gradients go back in their input's order
  (``in_memory_order``, ``matmul_like``), and a change of order between batch-last and NCHW is
  a 2-D transpose copied a block of rows at a time (``transpose_2d``), which NumPy does column
  by column.
* **products that are not matrix products**: a product over an inner dimension of 1 (an outer
  product) is the broadcast ``a * b`` (``matmul``); ``matmul_at_b_t`` computes a @ b^T in the
  order OpenBLAS is fast at.
* **many small updates as one**: ``adam_update_many_`` runs Adam on several small parameters'
  concatenated gradients and moments, a few NumPy calls for all instead of ~13 each.
"""

from tinygan.ops.kernels.columns import (
    col2im,
    from_rows,
    get_conv_outsize,
    get_deconv_outsize,
    im2col,
    to_rows,
)
from tinygan.ops.kernels.elementwise import channel_sums, leaky_slope
from tinygan.ops.kernels.layout import (
    TRANSPOSE_BLOCK_BYTES,
    in_memory_order,
    matmul,
    matmul_at_b_t,
    matmul_like,
    memory_order,
    transpose_2d,
)
from tinygan.ops.kernels.memory import keep_freed_memory
from tinygan.ops.kernels.updates import (
    CACHE_BLOCK_BYTES,
    adam_step,
    adam_update_,
    adam_update_many_,
    moving_average_,
)

__all__ = [
    "CACHE_BLOCK_BYTES", "TRANSPOSE_BLOCK_BYTES", "adam_step", "adam_update_", "adam_update_many_",
    "channel_sums", "col2im", "from_rows", "get_conv_outsize", "get_deconv_outsize", "im2col",
    "in_memory_order", "keep_freed_memory", "leaky_slope", "matmul", "matmul_at_b_t",
    "matmul_like", "memory_order", "moving_average_", "to_rows", "transpose_2d",
]
