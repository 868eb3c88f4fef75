"""Shared pieces of the benchmarks: timing (interleaved, medians and IQR), the machine's GEMM
rate, what the machine and the libraries are, and a Markdown table writer.

Every figure is a median over repeats, with the interquartile range (IQR, the spread of the
middle half) beside it: the machine is shared, and a median is robust to the odd repeat that
another process slowed down.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is optional: the comparison columns are left out without it
    torch = None


def summary(times: Sequence[float]) -> dict[str, float]:
    """Median, IQR and minimum (in ms) of a list of times in seconds, and how many there were."""
    ms = sorted(1e3 * t for t in times)
    if len(ms) >= 4:
        q1, _, q3 = statistics.quantiles(ms, n=4)
    else:
        q1, q3 = ms[0], ms[-1]
    return {"median_ms": statistics.median(ms), "iqr_ms": q3 - q1, "min_ms": ms[0],
            "n": len(ms)}


WARMUP_S = 0.15  # untimed seconds at the start of each block (run.py --quick lowers it)


def interleaved(runs: dict[str, Callable[[int], Any]], repeats: int, rounds: int = 6,
                warmup_s: float | None = None) -> dict[str, dict[str, float]]:
    """Time each function of ``runs`` (``fn(i)``, i a call counter) ``repeats`` times, in
    ``rounds`` alternating blocks (A's block, B's block, then B, A, ...), so that a change of
    load on the machine hits every library alike.

    Each block starts with untimed calls for ``warmup_s`` seconds. That is needed, not cosmetic:
    after its work, each library's thread pool keeps spinning for a while (OpenBLAS's threads
    for ~0.1 s, PyTorch's OpenMP threads too), and on 2 cores a call made by the other library
    in that time runs ~30x slower. Timing calls that alternate one by one measures the spinning.

    A function may carry an untimed ``fn.prepare()``, run just before each timed call.
    Returns ``summary`` of each function's times.
    """
    warmup_s = WARMUP_S if warmup_s is None else warmup_s
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    calls = dict.fromkeys(names, 0)
    rounds = max(1, min(rounds, repeats))
    for r in range(rounds):
        k = repeats // rounds + (r < repeats % rounds)
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = runs[name]
            prepare = getattr(fn, "prepare", None)
            end = time.perf_counter() + warmup_s
            while True:  # untimed warm-up: at least one call, and warmup_s seconds
                if prepare is not None:
                    prepare()
                fn(calls[name])
                calls[name] += 1
                if time.perf_counter() >= end:
                    break
            for _ in range(k):
                if prepare is not None:
                    prepare()
                t0 = time.perf_counter()
                fn(calls[name])
                times[name].append(time.perf_counter() - t0)
                calls[name] += 1
    return {name: summary(t) for name, t in times.items()}


def gemm_gflops(n: int = 1024, repeats: int = 10) -> float:
    """The machine's float32 matrix-multiply rate through NumPy (its BLAS), in GFLOP/s: the
    best of ``repeats`` n x n by n x n products (2 n^3 floating-point operations). The best, not
    the median: it is the rate the hardware can reach, which a busy machine only hides."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / min(times) / 1e9


def _openblas() -> Any:
    """NumPy's OpenBLAS as a ctypes library (found among the loaded libraries), or None."""
    import ctypes  # noqa: PLC0415

    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                 "openblas_set_num_threads")
_BLAS_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                 "openblas_get_num_threads")


def set_blas_threads(n: int) -> bool:
    """Set how many threads NumPy's OpenBLAS uses (as threadpoolctl does); False if it cannot."""
    lib = _openblas()
    for name in _BLAS_SETTERS:
        if lib is not None and hasattr(lib, name):
            getattr(lib, name)(int(n))
            return True
    return False


def blas_threads() -> str:
    """How many threads NumPy's BLAS uses (asked of OpenBLAS, else read from the environment)."""
    lib = _openblas()
    for name in _BLAS_GETTERS:
        if lib is not None and hasattr(lib, name):
            return str(getattr(lib, name)())
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return f"{os.environ[var]} ({var})"
    return f"{os.cpu_count()} (default: one per core)"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    import tinygan  # noqa: PLC0415

    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "cpu": cpu_name(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": _blas_name(),
        "blas_threads": blas_threads(),
        "torch": torch.__version__ if torch is not None else "not installed",
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "tinygan": tinygan.__version__,
        "load_start": load_average(),
    }


def _blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # show_config's layout is not a stable API
        return "unknown"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_ms(s: dict[str, float] | None) -> str:
    """'12.3 ± 0.4' (median ± half the IQR), or '—' when there is no figure."""
    if not s:
        return "—"
    m, iqr = s["median_ms"], s["iqr_ms"]
    digits = 3 if m < 1 else 2 if m < 10 else 1
    return f"{m:.{digits}f} ± {iqr / 2:.{digits}f}"


def fmt_ratio(a: dict[str, float] | None, b: dict[str, float] | None) -> str:
    if not a or not b:
        return "—"
    return f"{a['median_ms'] / b['median_ms']:.2f}"
