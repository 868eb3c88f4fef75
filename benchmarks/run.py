"""tinygan's benchmarks in one command: training steps and ops against PyTorch CPU, and memory.

    python benchmarks/run.py            # everything, at 2 threads and at 1 thread each;
                                        # rewrites the results sections of benchmarks/README.md
    python benchmarks/run.py --quick    # a fast smoke run (few repeats); prints, never writes

For each reference set-up, one training step (docs/setups.md's benchmark step: G forward once, a
D update on a real and a detached fake batch, a G update through the frozen D, Adam) is timed in
tinygan and in PyTorch with identical weights and batches, each library in processes of its own
(``worker.py``), launched alternately (tinygan, PyTorch, PyTorch, tinygan, ... over ``--rounds``
rounds, the repeats split between them): medians and IQR over all repeats, the ratio tinygan /
PyTorch, and the achieved GFLOP/s of the matmul-like layers against NumPy's float32 GEMM rate.
Both libraries get the same number of threads (PyTorch's ``set_num_threads``, NumPy's OpenBLAS
threads through ``OPENBLAS_NUM_THREADS``), one table per thread count. Then peak memory
(tracemalloc for tinygan's NumPy arrays; peak RSS of a fresh process per library on dcgan-mnist)
and the op table, alternated the same way.

The load rule: the README's tables are rewritten only when the machine is quiet: a 1-minute load
average of at most 1.5 at the start of the run, and other processes using at most 0.5 of a core
on average while a table is measured (the load average at the end counts the benchmark's own
threads, so the end is judged by the CPU time other processes used). ``--force`` writes anyway,
with a bold line saying the figures are noise. See benchmarks/README.md for how to read the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_ops  # noqa: E402
import common  # noqa: E402
from common import fmt_ms, fmt_ratio, summary, table  # noqa: E402
from worker import SETUPS  # noqa: E402

MARKERS = "<!-- {}:begin -->", "<!-- {}:end -->"
REPEATS = {"gauss1d": 300, "ring2d": 200, "mlp-mnist": 60, "dcgan-mnist": 32}
OPS_REPEATS = 32
ROUNDS = 4
LOAD_LIMIT = 1.5  # the 1-minute load average above which figures are noise (2 cores)
OTHERS_LIMIT = 0.5  # cores other processes may use, on average, while a table is measured
AGREEMENT = 1e-4  # largest relative difference of the two libraries' first-step losses
WORKER, MEMORY = HERE / "worker.py", HERE / "memory.py"


def section_name(threads: int) -> str:
    """The README section of a thread count: ``results`` (2 threads), ``results-1thread``..."""
    return "results" if threads == 2 else f"results-{threads}thread"


def libraries(no_torch: bool) -> list[str]:
    return ["tinygan"] + (["torch"] if common.torch_installed() and not no_torch else [])


def split(repeats: int, rounds: int) -> list[int]:
    """``repeats`` shared out over at most ``rounds`` rounds (none of them empty)."""
    rounds = max(1, min(rounds, repeats))
    return [repeats // rounds + (r < repeats % rounds) for r in range(rounds)]


def alternate(libs: list[str], repeats: int, rounds: int,
              launch: Callable[[str, int], dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``launch(lib, k)`` (a worker process timing k calls) for each library in each round, the
    order reversed every other round (A, B, B, A, A, B, ...), so that a change of load on the
    machine hits both libraries alike. Returns each library's worker outputs, round by round."""
    out: dict[str, list[dict[str, Any]]] = {lib: [] for lib in libs}
    for r, k in enumerate(split(repeats, rounds)):
        for lib in (libs if r % 2 == 0 else libs[::-1]):
            out[lib].append(launch(lib, k))
    return out


def pooled(outs: list[dict[str, Any]], key: str) -> list[float]:
    return [t for o in outs for t in o["times"].get(key, [])]


def relative_difference(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / max(abs(y), 1e-12) for x, y in zip(a, b))


def bench_setup(name: str, threads: int, repeats: int, rounds: int, libs: list[str],
                extra: list[str]) -> dict[str, Any]:
    """Time one set-up's step in every library, in alternated worker processes; check that
    both libraries' first steps (the same seeded weights, the same batch) agree."""
    def launch(lib: str, k: int) -> dict[str, Any]:
        return common.run_json(WORKER, ["--lib", lib, "--setup", name, "--repeats", k,
                                        "--threads", threads, *extra], lib, threads)

    runs = alternate(libs, repeats, rounds, launch)
    times = {lib: summary(pooled(outs, "step")) for lib, outs in runs.items()}
    if pooled(runs["tinygan"], "GAN.step"):
        times["GAN.step"] = summary(pooled(runs["tinygan"], "GAN.step"))
    first = {lib: outs[0]["first_losses"] for lib, outs in runs.items()}
    agree = relative_difference(first["tinygan"], first["torch"]) if "torch" in first else None
    if agree is not None and not agree < AGREEMENT:
        raise RuntimeError(f"{name}: the first-step losses (D, G) of tinygan {first['tinygan']} "
                           f"and PyTorch {first['torch']} differ by {agree:.2e} (relative), "
                           f"more than {AGREEMENT}: the two steps are not the same computation")
    head = runs["tinygan"][0]
    return {"setup": name, "threads": threads, "batch_size": head["batch_size"],
            "times": times, "flops": head["flops"], "first_losses": first,
            "first_step_rel_diff": agree,
            "info": {lib: outs[0]["info"] for lib, outs in runs.items()}}


def op_table(threads: int, repeats: int, rounds: int, libs: list[str],
             extra: list[str] | None = None) -> str:
    """The op table (bench_ops), each library in alternated worker processes."""
    def launch(lib: str, k: int) -> dict[str, Any]:
        return common.run_json(WORKER, ["--lib", lib, "--ops", "--repeats", k, "--threads",
                                        threads, *(extra or [])], lib, threads)

    return bench_ops.report(*bench_ops.merge(alternate(libs, repeats, rounds, launch)))


def gemm_rate(threads: int, size: int) -> float:
    """NumPy's float32 GEMM rate (GFLOP/s) in a tinygan worker with ``threads`` threads."""
    return common.run_json(WORKER, ["--lib", "tinygan", "--gemm", "--gemm-size", size,
                                    "--threads", threads], "tinygan", threads)["gemm_gflops"]


def traced_peak(name: str, batch_size: int | None, steps: int, threads: int) -> float:
    """Peak of NumPy allocations (MiB) over ``steps`` tinygan steps after a warm-up step
    (memory.py --tracemalloc, in a fresh process)."""
    size = [] if batch_size is None else ["--batch-size", batch_size]
    return common.run_json(MEMORY, ["--lib", "tinygan", "--setup", name, "--steps", steps,
                                    "--threads", threads, "--tracemalloc", *size],
                           "tinygan", threads)["tracemalloc_peak_mb"]


def rss_runs(libs: list[str], steps: int, batch_size: int | None,
             threads: int) -> dict[str, Any]:
    """memory.py in a fresh process per library, on dcgan-mnist."""
    size = [] if batch_size is None else ["--batch-size", batch_size]
    return {lib: common.run_json(MEMORY, ["--lib", lib, "--steps", steps, "--threads", threads,
                                          *size], lib, threads) for lib in libs}


def _rate(flops: float, s: dict[str, float] | None, gemm: float) -> str:
    """Achieved GFLOP/s of a step, and its share of the GEMM rate."""
    if not s:
        return "—"
    g = flops / 1e9 / (s["median_ms"] * 1e-3)
    return f"{g:.1f} ({100 * g / gemm:.0f}%)"


def step_table(results: list[dict[str, Any]], gemm: float) -> str:
    rows = []
    for r in results:
        t = r["times"]
        ours, theirs = t.get("tinygan"), t.get("torch")
        best = (f"{ours['min_ms'] / theirs['min_ms']:.2f}" if ours and theirs else "—")
        rows.append([r["setup"], r["batch_size"], fmt_ms(ours), fmt_ms(theirs),
                     f"**{fmt_ratio(ours, theirs)}**", best, fmt_ms(t.get("GAN.step")),
                     f"{r['flops'] / 1e9:.3f}", _rate(r["flops"], ours, gemm),
                     _rate(r["flops"], theirs, gemm)])
    header = ["set-up", "batch", "tinygan ms", "PyTorch ms", "ratio", "ratio of best",
              "tinygan GAN.step ms", "GFLOP/step", "tinygan GFLOP/s (% GEMM)",
              "PyTorch GFLOP/s (% GEMM)"]
    return table(header, rows)


def memory_table(traced: dict[str, float], rss: dict[str, Any]) -> str:
    parts = []
    if traced:
        parts.append(table(["set-up", "tinygan peak of NumPy allocations in a step (tracemalloc)"],
                           [[k, f"{v:.1f} MiB"] for k, v in traced.items()]))
    if rss:
        rows = []
        for lib, m in rss.items():
            rows.append([lib, f"{m['after_import_mb']:.0f}", f"{m['base_mb']:.0f}",
                         f"{m['peak_mb']:.0f}", f"**{m['peak_mb'] - m['after_import_mb']:.0f}**",
                         f"{m['peak_mb'] - m['base_mb']:.0f}"])
        first = next(iter(rss.values()))
        parts.append(f"Peak RSS (MiB) of a fresh process per library, dcgan-mnist, batch "
                     f"{first['batch_size']}, {first['steps']} steps after one warm-up step:\n\n"
                     + table(["library", "after import", "after set-up and 1 step",
                              "peak", "peak − after import", "peak − after set-up"], rows))
    return "\n\n".join(parts)


def noise(info: dict[str, Any]) -> list[str]:
    """Why a table's figures are noise (empty when the machine was quiet)."""
    reasons = []
    load = info.get("load_1min_run_start")
    if load is not None and load > LOAD_LIMIT:
        reasons.append(f"a 1-minute load average of {load:.2f} at the start of the run, above "
                       f"this project's {LOAD_LIMIT} limit")
    others = info.get("others_cores")
    if others is not None and others > OTHERS_LIMIT:
        reasons.append(f"other processes using {others:.2f} cores on average while it ran, "
                       f"above this project's {OTHERS_LIMIT} limit")
    return reasons


def _libs_line(info: dict[str, Any]) -> str:
    ours, theirs = info["libs"].get("tinygan", {}), info["libs"].get("torch")
    line = (f"Python {info['python']}, NumPy {ours.get('numpy', '?')} ({ours.get('blas', '?')}, "
            f"BLAS threads {ours.get('blas_threads', '?')}), tinygan {ours.get('tinygan', '?')} "
            f"(keeps freed memory: {'yes' if ours.get('keeps_freed_memory') else 'no'})")
    if theirs:
        line += (f", PyTorch {theirs['torch']} (threads {theirs['torch_threads']}, inter-op "
                 f"{theirs['torch_interop_threads']}; BLAS threads {theirs['blas_threads']}; "
                 f"glibc's malloc defaults)")
    return line + "."


def render(info: dict[str, Any], steps: str, memory: str, ops: str) -> str:
    others = info.get("others_cores")
    lines = [
        f"Measured {info['date']} by `python benchmarks/run.py{info['command']}` on "
        f"{info['machine']} ({info['cpu']}), {info['threads']} thread(s) for each library, each "
        f"library in processes of its own, alternated over {info['rounds']} rounds; load average "
        f"(1/5/15 min) {info['load_start']} at the start, {info['load_end']} at the end"
        + (f"; other processes used {others:.2f} cores on average meanwhile" if others is not None
           else "")
        + " (figures are medians over repeats, ± half the IQR).",
        "",
    ]
    reasons = noise(info)
    if reasons:
        lines += [f"**Measured with {', and with '.join(reasons)}: these figures are noise, "
                  "not results.**", ""]
    lines += [
        _libs_line(info) + f" NumPy float32 GEMM (1024³, {info['threads']} thread(s)): "
        f"**{info['gemm_gflops']:.0f} GFLOP/s**.",
        "",
        "### One training step",
        "",
        steps,
    ]
    if memory:
        lines += ["", "### Memory", "", memory]
    if ops:
        lines += ["", "### Ops (forward and backward apart)", "", ops]
    return "\n".join(lines) + "\n"


def _section_bounds(text: str, section: str) -> tuple[str, str, str, str] | None:
    begin, end = (m.format(section) for m in MARKERS)
    if begin not in text or end not in text:
        return None
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head, begin, end, tail


def write_readme(path: Path, body: str, section: str = "results") -> None:
    """Replace what stands between the section's begin and end markers in ``path`` (a new file
    gets the section alone)."""
    begin, end = (m.format(section) for m in MARKERS)
    text = path.read_text() if path.exists() else f"{begin}\n{end}\n"
    parts = _section_bounds(text, section)
    if parts is None:
        raise ValueError(f"{path} has no {begin} ... {end} section to rewrite")
    head, begin, end, tail = parts
    path.write_text(f"{head}{begin}\n{body}{end}{tail}")


def check_sections(path: Path, sections: list[str]) -> None:
    """Fail before measuring if ``path`` lacks a section the run would rewrite; a file that
    does not exist yet is created with the sections' markers."""
    if not path.exists():
        path.write_text("".join(f"{MARKERS[0].format(s)}\n{MARKERS[1].format(s)}\n\n"
                                for s in sections))
    text = path.read_text()
    missing = [s for s in sections if _section_bounds(text, s) is None]
    if missing:
        marks = ", ".join(" ... ".join(m.format(s) for m in MARKERS) for s in missing)
        raise SystemExit(f"{path} has no section to rewrite for {marks}: add the markers, or "
                         "pass --readme with a file that has them")


def precheck(readme: Path | None, force: bool) -> float | None:
    """Print the load and the processes using CPU now; say whether the README will be written."""
    load = common.load_1min()
    print(f"load average (1/5/15 min) {common.load_average()}", flush=True)
    busy = common.busy_processes(1.0)
    if sum(c for _, c in busy) > 0.25:
        print("warning: other processes use CPU now: "
              + ", ".join(f"{name} {cores:.2f} cores" for name, cores in busy[:6]), flush=True)
    if readme is not None and load is not None and load > LOAD_LIMIT:
        print(f"warning: 1-minute load {load:.2f} is above {LOAD_LIMIT}: "
              + ("--force: the tables will be written, marked as noise" if force else
                 f"{readme} will not be rewritten (--force to write it anyway)"), flush=True)
    return load


def measure(threads: int, args: argparse.Namespace, libs: list[str],
            run_start_load: float | None) -> tuple[dict[str, Any], str]:
    """Every table at one thread count: the raw figures and the README section's body.
    ``run_start_load``: the 1-minute load when the run began, before any worker ran."""
    other = common.OtherCpu().start()
    info = {**common.machine_info(), "threads": threads, "rounds": args.rounds,
            "command": args.command, "load_1min_run_start": run_start_load}
    extra = []
    if args.quick:
        extra += ["--warmup-s", "0", "--warmup-calls", "1"]
    elif args.warmup_s is not None:
        extra += ["--warmup-s", str(args.warmup_s)]
    batch = [] if args.batch_size is None else ["--batch-size", str(args.batch_size)]
    info["gemm_gflops"] = gemm_rate(threads, 256 if args.quick else 1024)
    print(f"{threads} thread(s): float32 GEMM {info['gemm_gflops']:.0f} GFLOP/s", flush=True)

    results = []
    for name in args.setups:
        reps = args.repeats or (4 if args.quick else REPEATS[name])
        t0 = time.perf_counter()
        results.append(bench_setup(name, threads, reps, args.rounds, libs, batch + extra))
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    info["libs"] = results[0]["info"] if results else {}
    steps_md = step_table(results, info["gemm_gflops"])
    print(steps_md, flush=True)

    traced: dict[str, float] = {}
    rss: dict[str, Any] = {}
    if not args.no_memory:
        traced = {name: traced_peak(name, args.batch_size, 2 if args.quick else 5, threads)
                  for name in args.setups}
        mem_steps = args.memory_steps if args.memory_steps is not None else (
            3 if args.quick else 20)
        rss = rss_runs(libs, mem_steps, args.batch_size, threads) if mem_steps > 0 else {}
    memory_md = memory_table(traced, rss)
    if memory_md:
        print(memory_md, flush=True)

    ops_md = ""
    if not args.no_ops:
        reps = args.repeats or (2 if args.quick else OPS_REPEATS)
        ops_extra = extra + ([] if args.batch_size is None else
                             ["--batch-size", str(args.batch_size), "--mlp-batch",
                              str(args.batch_size)])
        t0 = time.perf_counter()
        ops_md = op_table(threads, reps, args.rounds, libs, ops_extra)
        print(ops_md, flush=True)
        print(f"ops: {time.perf_counter() - t0:.0f} s", flush=True)

    info["load_end"] = common.load_average()
    info["others_cores"] = other.cores()
    raw = {"info": info, "steps": results, "traced_mb": traced, "rss": rss, "ops_md": ops_md}
    return raw, render(info, steps_md, memory_md, ops_md)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few repeats, no warm-up; prints, never rewrites the README")
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                        help="threads for each library (PyTorch's and OpenBLAS's); one table "
                        "per count, in the README section results (2) or results-Nthread")
    parser.add_argument("--repeats", type=int, default=None,
                        help="override the timed steps per set-up and op (per library)")
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"alternations of the two libraries' worker processes (default "
                        f"{ROUNDS}; 2 with --quick)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="override the set-ups' batch sizes (for tests)")
    parser.add_argument("--warmup-s", type=float, default=None,
                        help="untimed seconds at the start of each worker (default "
                        f"{common.WARMUP_S} for steps, {bench_ops.WARMUP_S} per op)")
    parser.add_argument("--memory-steps", type=int, default=None,
                        help="steps of the peak-RSS runs (0: none)")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-ops", action="store_true")
    parser.add_argument("--readme", type=Path, default=None,
                        help="file whose results sections to rewrite (default: benchmarks/"
                        "README.md; never with --quick)")
    parser.add_argument("--force", action="store_true", help="rewrite the README even above "
                        "the load limit (the tables then say they are noise)")
    parser.add_argument("--json", type=Path, default=None, help="also save the raw figures")
    args = parser.parse_args(argv)
    args.command = "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    if args.rounds is None:
        args.rounds = 2 if args.quick else ROUNDS
    for flag, values in (("threads", args.threads), ("rounds", [args.rounds]),
                         ("repeats", [1 if args.repeats is None else args.repeats])):
        if min(values) < 1:
            parser.error(f"--{flag} must be at least 1, got {' '.join(map(str, values))}")
    if len(set(args.threads)) != len(args.threads):
        parser.error(f"--threads lists a count twice: {' '.join(map(str, args.threads))}")

    libs = libraries(args.no_torch)
    readme = None if args.quick else (args.readme or HERE / "README.md")
    partial = (args.setups != list(SETUPS) or args.no_ops or args.no_memory or args.no_torch
               or args.batch_size is not None or args.memory_steps == 0)
    if partial and args.readme is None and readme is not None:
        print(f"a partial run: {readme} is not rewritten (--readme PATH writes its tables to "
              "a file of your choice)", flush=True)
        readme = None
    sections = [section_name(t) for t in args.threads]
    if readme is not None:
        check_sections(readme, sections)
    start_load = precheck(readme, args.force)

    raw: dict[str, Any] = {"sections": {}, "written": [], "refused": []}
    t_run = time.perf_counter()
    for threads, section in zip(args.threads, sections):
        t0 = time.perf_counter()
        result, body = measure(threads, args, libs, start_load)
        result["info"]["seconds"] = time.perf_counter() - t0
        print(f"{section}: measured in {result['info']['seconds']:.0f} s; load average "
              f"{result['info']['load_end']}", flush=True)
        raw["sections"][section] = result
        reasons = noise(result["info"])
        for reason in reasons:
            print(f"warning: {section}: measured with {reason}", flush=True)
        if readme is None:
            continue
        if reasons and not args.force:
            print(f"{readme}: section {section} NOT rewritten (the figures are noise; "
                  "--force to write them anyway)", flush=True)
            raw["refused"].append(section)
            continue
        write_readme(readme, body, section)
        raw["written"].append(section)
        print(f"wrote section {section} of {readme}", flush=True)
    print(f"the whole run took {time.perf_counter() - t_run:.0f} s", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return raw


def cli() -> None:
    """The command: exit status 3 when a table was measured but, the machine being busy, not
    written; 1, with the reason, when a worker failed or the twins disagreed."""
    try:
        raw = main()
    except (RuntimeError, ValueError) as err:
        sys.exit(f"benchmarks/run.py: {err}")
    sys.exit(3 if raw["refused"] else 0)


if __name__ == "__main__":
    cli()
