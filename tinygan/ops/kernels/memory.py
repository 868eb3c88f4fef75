"""Freed memory kept for the next arrays (glibc's malloc; see the package docstring)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["keep_freed_memory"]

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
