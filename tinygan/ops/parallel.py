"""The second core: a small thread pool for the fast kernels, and ``set_num_threads``.

NumPy's matrix products already use every core (OpenBLAS's threads), but its copies and
elementwise loops run on one. They do release Python's GIL while they run, so two threads that
each copy or update half of an array do run at once. ``for_blocks`` splits a range (the
channels of im2col/col2im) into one block per thread, ``for_each`` shares out items of unequal
sizes (the optimizers' per-parameter updates); the kernels that use them do the same work as
with one thread, only side by side, and give identical results.

``tinygan.set_num_threads(n)`` sets how many threads (PyTorch's name): this pool and NumPy's
BLAS (through threadpoolctl). The default is ``OMP_NUM_THREADS`` or ``OPENBLAS_NUM_THREADS``
when set, else the number of cores this process may use (``tinygan train`` sets it from the
machine's load: ``--threads``).

    >>> from tinygan.ops import parallel
    >>> parallel.for_blocks(lambda block: sum(block), 10, threads=2)
    [10, 35]
    >>> done = []
    >>> parallel.for_each(done.append, ["a", "b", "c"], sizes=[5, 1, 1], threads=2)
    >>> sorted(done)
    ['a', 'b', 'c']
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from threadpoolctl import threadpool_limits

__all__ = ["for_blocks", "for_each", "get_num_threads", "set_num_threads"]


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
_PREFIX = "tinygan-kernels"  # the pool's thread names
_pool: ThreadPoolExecutor | None = None


def get_num_threads() -> int:
    """How many threads the kernels use (``torch.get_num_threads``)."""
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the kernels and, where it can be set, in NumPy's OpenBLAS
    (``torch.set_num_threads``)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    if n != _threads and _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None
    _threads = n
    threadpool_limits(limits=n, user_api="blas")


def for_blocks(fn: Callable[[range], Any], n: int, threads: int | None = None) -> list[Any]:
    """``[fn(block) for block in blocks]`` over ``range(n)`` cut into one block per thread,
    the blocks run side by side (the first in the calling thread). ``fn`` must only write
    where its block says (disjoint parts of an array), so the order does not matter."""
    threads = min(_threads if threads is None else threads, n)
    if threads <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return [fn(range(n))]  # (inside a block already: its thread does all of it)
    edges = [n * i // threads for i in range(threads + 1)]
    blocks = [range(a, b) for a, b in zip(edges[:-1], edges[1:])]
    futures = [_executor().submit(fn, block) for block in blocks[1:]]
    first = fn(blocks[0])
    return [first, *(f.result() for f in futures)]


def for_each(fn: Callable[[Any], Any], items: list[Any], sizes: list[int],
             threads: int | None = None) -> None:
    """``fn(item)`` for every item, the items shared out among the threads so that each gets
    about the same total size (largest first, each to the least loaded thread). The items must
    be independent of each other."""
    threads = min(_threads if threads is None else threads, len(items))
    if threads <= 1:
        for item in items:
            fn(item)
        return
    loads, shares = [0] * threads, [[] for _ in range(threads)]
    for k in sorted(range(len(items)), key=lambda k: -sizes[k]):
        t = loads.index(min(loads))
        loads[t] += sizes[k]
        shares[t].append(items[k])
    for_blocks(lambda block: [fn(item) for t in block for item in shares[t]], threads, threads)


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(_threads - 1, 1), thread_name_prefix=_PREFIX)
    return _pool
