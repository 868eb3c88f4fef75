"""``set_num_threads``: how many threads NumPy's matrix products use (PyTorch's name).

NumPy's BLAS (OpenBLAS) runs each matrix product on several threads; everything else NumPy does
(copies, elementwise loops, reductions) runs on one. ``tinygan.set_num_threads(n)`` sets the
BLAS's threads through threadpoolctl, as ``torch.set_num_threads`` sets PyTorch's. The default
is ``OMP_NUM_THREADS`` or ``OPENBLAS_NUM_THREADS`` when set, else the number of cores this
process may use; ``tinygan train`` sets it from the machine's load (``--threads``).

A thread pool for the copies of im2col/col2im and the optimizers' updates was tried here and
measured on a quiet 2-core machine: no faster with two threads (dcgan-mnist 93 ms either way,
mlp-mnist 11.2 against 11.5 ms: OpenBLAS's idle thread spins on the second core after each
product), so it was taken out again; so was a split of the products over our own threads with
OpenBLAS on one (slower: benchmarks/README.md, "Tried this round").

    >>> import tinygan
    >>> before = tinygan.get_num_threads()
    >>> tinygan.set_num_threads(1)
    >>> tinygan.get_num_threads()
    1
    >>> tinygan.set_num_threads(before)
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

__all__ = ["get_num_threads", "set_num_threads"]


def _default_threads() -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_threads = _default_threads()


def get_num_threads() -> int:
    """How many threads the matrix products use (``torch.get_num_threads``)."""
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS (``torch.set_num_threads``)."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _threads = n
    threadpool_limits(limits=n, user_api="blas")
