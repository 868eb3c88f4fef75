"""Shared pieces of the benchmarks: timing (warm-up, then timed calls; medians and IQR), worker
processes (one library each, its threads set in its environment), the machine's GEMM rate and
load, what the machine and the libraries are, and a Markdown table writer.

Every figure is a median over repeats, with the interquartile range (IQR, the spread of the
middle half) beside it: the machine is shared, and a median is robust to the odd repeat that
another process slowed down.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def summary(times: Sequence[float]) -> dict[str, float]:
    """Median, IQR and minimum (in ms) of a list of times in seconds, and how many there were."""
    ms = sorted(1e3 * t for t in times)
    if len(ms) >= 4:
        q1, _, q3 = statistics.quantiles(ms, n=4)
    else:
        q1, q3 = ms[0], ms[-1]
    return {"median_ms": statistics.median(ms), "iqr_ms": q3 - q1, "min_ms": ms[0],
            "n": len(ms)}


WARMUP_S = 0.3  # untimed seconds at the start of a worker's block (run.py --quick: 0)
WARMUP_CALLS = 3  # and at least this many untimed calls


def time_calls(fn: Callable[[int], Any], repeats: int, warmup_s: float | None = None,
               warmup_calls: int | None = None) -> list[float]:
    """Seconds of ``repeats`` timed calls ``fn(i)`` (i a call counter, from 0), after untimed
    warm-up calls: at least ``warmup_calls`` of them, and for at least ``warmup_s`` seconds.

    The warm-up matters in a fresh process: the first calls allocate (and page-fault) the
    step's arrays, create the optimizer state and start the thread pools.
    A function may carry an untimed ``fn.prepare()``, run just before each call.
    """
    warmup_s = WARMUP_S if warmup_s is None else warmup_s
    warmup_calls = WARMUP_CALLS if warmup_calls is None else warmup_calls
    prepare = getattr(fn, "prepare", None)
    i = 0
    end = time.perf_counter() + warmup_s
    while i < warmup_calls or time.perf_counter() < end:
        if prepare is not None:
            prepare()
        fn(i)
        i += 1
    times = []
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
        i += 1
    return times


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
    """The load averages over 1, 5 and 15 minutes, as text ("0.52 / 0.61 / 0.70")."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def load_1min() -> float | None:
    """The 1-minute load average (runnable threads, averaged), or None where unknown."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes of the machine have used since boot (/proc/stat: user, nice,
    system, irq, softirq and steal time, the last being what other virtual machines took), or
    None where there is no /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (the workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


class OtherCpu:
    """How many cores other processes kept busy between ``start()`` and ``cores()``: the
    machine's busy CPU time less this process's and its workers' (what the 1-minute load
    average cannot tell once the benchmark itself runs)."""

    def start(self) -> OtherCpu:
        self.t0, self.busy0, self.own0 = time.perf_counter(), busy_cpu_seconds(), own_cpu_seconds()
        return self

    def cores(self) -> float | None:
        busy = busy_cpu_seconds()
        if busy is None or self.busy0 is None:
            return None
        wall = max(time.perf_counter() - self.t0, 1e-9)
        return max(0.0, (busy - self.busy0 - (own_cpu_seconds() - self.own0)) / wall)


def _process_ticks() -> dict[int, tuple[str, int]]:
    """CPU ticks (user + system) and command name of every process, from /proc/PID/stat."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        rest = text[text.rindex(")") + 2:].split()
        out[int(entry)] = (name, int(rest[11]) + int(rest[12]))  # utime, stime
    return out


def busy_processes(seconds: float = 1.0, min_share: float = 0.05) -> list[tuple[str, float]]:
    """Other processes that used at least ``min_share`` of a core over ``seconds`` (a sample
    of /proc), busiest first, as (command and pid, cores). Empty where there is no /proc."""
    if not os.path.isdir("/proc"):
        return []
    before = _process_ticks()
    time.sleep(seconds)
    after = _process_ticks()
    hz = os.sysconf("SC_CLK_TCK")
    busy = []
    for pid, (name, ticks) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        cores = (ticks - before[pid][1]) / hz / seconds
        if cores >= min_share:
            busy.append((f"{name} ({pid})", cores))
    return sorted(busy, key=lambda x: -x[1])


def machine_info() -> dict[str, Any]:
    """What the figures were measured on (the libraries' versions come from the workers)."""
    import tinygan  # noqa: PLC0415

    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "cpu": cpu_name(),
        "python": sys.version.split()[0],
        "tinygan": tinygan.__version__,
        "load_start": load_average(),
    }


def library_info(lib: str) -> dict[str, Any]:
    """A worker's libraries and thread settings, as it runs them."""
    info: dict[str, Any] = {"lib": lib, "python": sys.version.split()[0],
                            "numpy": np.__version__, "blas": _blas_name(),
                            "blas_threads": blas_threads()}
    import tinygan  # noqa: PLC0415

    info["tinygan"] = tinygan.__version__
    info["torch_imported"] = sys.modules.get("torch") is not None
    info["keeps_freed_memory"] = (
        hasattr(tinygan.ops.kernels, "keep_freed_memory")
        and os.environ.get("TINYGAN_KEEP_FREED_MEMORY", "1") != "0")
    if lib == "torch":
        import torch  # noqa: PLC0415

        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                    torch_interop_threads=torch.get_num_interop_threads())
    return info


def torch_installed() -> bool:
    """Whether PyTorch can be imported (asked without importing it)."""
    import importlib.util  # noqa: PLC0415

    try:
        return importlib.util.find_spec("torch") is not None
    except ValueError:  # torch in sys.modules as None (blocked on purpose)
        return False


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker_env(lib: str, threads: int) -> dict[str, str]:
    """The environment of a worker process: ``threads`` threads for NumPy's BLAS (and OpenMP),
    read by OpenBLAS when NumPy loads it, which is the one reliable way to set them; tinygan's
    freed-memory setting as each library's users get it (tinygan's import keeps freed memory;
    a PyTorch program gets glibc's defaults, so there tinygan's import leaves malloc alone)."""
    env = dict(os.environ)
    for var in THREAD_VARIABLES:
        env[var] = str(threads)
    if lib == "torch":
        env["TINYGAN_KEEP_FREED_MEMORY"] = "0"
    else:
        env.pop("TINYGAN_KEEP_FREED_MEMORY", None)
    return env


def run_json(script: Path | str, args: Sequence[str], lib: str, threads: int) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a fresh Python process for ``lib`` with ``threads``
    threads, and return the JSON object it prints last. A failing worker raises with its
    error output."""
    cmd = [sys.executable, str(script), *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(lib, threads))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit status {done.returncode}):\n"
                           f"{done.stderr.strip()[-3000:]}")
    return json.loads(lines[-1])


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
