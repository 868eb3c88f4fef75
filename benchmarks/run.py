"""tinygan's benchmarks in one command: training steps and ops against PyTorch CPU, and memory.

    python benchmarks/run.py            # everything; rewrites the results in benchmarks/README.md
    python benchmarks/run.py --quick    # a fast smoke run (few repeats); prints, writes nothing

For each reference set-up, one training step (docs/setups.md's benchmark step: G forward once, a
D update on a real and a detached fake batch, a G update through the frozen D, Adam) is timed in
tinygan and in PyTorch (``torch.set_num_threads(2)``) with identical weights and batches,
interleaved in this process: medians and IQR over repeats, the ratio tinygan / PyTorch, and the
achieved GFLOP/s of the matmul-like layers against NumPy's measured float32 GEMM rate. Then peak
memory (tracemalloc for tinygan's NumPy arrays; peak RSS of a fresh process per library on
dcgan-mnist) and op-level figures. See benchmarks/README.md for how to read the tables.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_ops  # noqa: E402
import common  # noqa: E402
import twins  # noqa: E402
from common import fmt_ms, fmt_ratio, interleaved, table, torch  # noqa: E402

import tinygan  # noqa: E402

MARKERS = "<!-- {}:begin -->", "<!-- {}:end -->"
REPEATS = {"gauss1d": 300, "ring2d": 200, "mlp-mnist": 60, "dcgan-mnist": 25}


def bench_setup(name: str, repeats: int, libs: list[str], batch_size: int | None,
                gemm: float) -> dict[str, Any]:
    """Time one set-up's step in every library, interleaved; check both start alike."""
    setup = twins.build(name, batch_size)
    batch = setup.batch_size
    batches = twins.make_batches(setup, batch)
    steps = {"tinygan": twins.TinyganStep(setup)}
    if "torch" in libs:
        steps["torch"] = twins.TorchStep(setup)  # built before any step: the same weights
    first = {lib: fn(batches.z[0], batches.real[0]) for lib, fn in steps.items()}
    agree = None
    if "torch" in first:
        agree = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(first["tinygan"],
                                                                      first["torch"]))
    gan_setup = twins.build(name, batch_size)  # tinygan.GAN.step, for reference
    gan = gan_setup.gan()
    real = [tinygan.Tensor(r) for r in batches.real]

    runs = {lib: (lambda i, fn=fn: fn(batches.z[i % len(batches)], batches.real[i % len(batches)]))
            for lib, fn in steps.items()}
    runs["GAN.step"] = lambda i: gan.step(real[i % len(real)])
    result = interleaved(runs, repeats)
    flops = twins.step_flops(twins.build(name, batch_size), batch)
    return {"setup": name, "batch_size": batch, "times": result, "flops": flops,
            "gemm_gflops": gemm, "first_step_rel_diff": agree}


def traced_peak(name: str, batch_size: int | None, steps: int) -> float:
    """Peak of NumPy allocations (MiB) over ``steps`` tinygan steps, after one warm-up step."""
    setup = twins.build(name, batch_size)
    batches = twins.make_batches(setup, setup.batch_size)
    step = twins.TinyganStep(setup)
    step(batches.z[0], batches.real[0])
    tracemalloc.start()
    for i in range(steps):
        step(batches.z[i % len(batches)], batches.real[i % len(batches)])
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def rss_runs(libs: list[str], steps: int, batch_size: int | None,
             args: argparse.Namespace) -> dict[str, Any]:
    """memory.py in a fresh process per library, on dcgan-mnist."""
    out = {}
    for lib in libs:
        cmd = [sys.executable, str(HERE / "memory.py"), "--lib", lib, "--steps", str(steps),
               "--threads", str(args.threads)]
        if args.blas_threads is not None:
            cmd += ["--blas-threads", str(args.blas_threads)]
        if batch_size is not None:
            cmd += ["--batch-size", str(batch_size)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[lib] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _rate(flops: float, s: dict[str, float] | None, gemm: float) -> str:
    """Achieved GFLOP/s of a step, and its share of the GEMM rate."""
    if not s:
        return "—"
    g = flops / 1e9 / (s["median_ms"] * 1e-3)
    return f"{g:.1f} ({100 * g / gemm:.0f}%)"


def step_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        t = r["times"]
        ours, theirs = t.get("tinygan"), t.get("torch")
        best = (f"{ours['min_ms'] / theirs['min_ms']:.2f}" if ours and theirs else "—")
        rows.append([r["setup"], r["batch_size"], fmt_ms(ours), fmt_ms(theirs),
                     f"**{fmt_ratio(ours, theirs)}**", best, fmt_ms(t.get("GAN.step")),
                     f"{r['flops'] / 1e9:.3f}", _rate(r["flops"], ours, r["gemm_gflops"]),
                     _rate(r["flops"], theirs, r["gemm_gflops"])])
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


def render(info: dict[str, Any], gemm: float, steps: str, memory: str, ops: str,
           args: argparse.Namespace) -> str:
    lines = [
        f"Measured {info['date']} by `python benchmarks/run.py{args.command}` on "
        f"{info['machine']} ({info['cpu']}); "
        f"load average (1/5/15 min) {info['load_start']} at the start, {info['load_end']} at "
        "the end (the machine is shared: figures are medians over repeats, ± half the IQR).",
        "",
        f"Python {info['python']}, NumPy {info['numpy']} ({info['blas']}, BLAS threads "
        f"{info['blas_threads']}), PyTorch {info['torch']} (threads: {info['torch_threads']}), "
        f"tinygan {info['tinygan']}. NumPy float32 GEMM (1024³): **{gemm:.0f} GFLOP/s**.",
        "",
        "### One training step",
        "",
        steps,
        "",
        "### Memory",
        "",
        memory,
    ]
    if ops:
        lines += ["", "### Ops (forward and backward apart)", "", ops]
    return "\n".join(lines) + "\n"


def write_readme(path: Path, body: str, section: str = "results") -> None:
    """Replace what stands between the section's begin and end markers in ``path``."""
    begin, end = (m.format(section) for m in MARKERS)
    text = path.read_text() if path.exists() else f"{begin}\n{end}\n"
    if begin not in text or end not in text:
        raise ValueError(f"{path} has no {begin} ... {end} section to rewrite")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{body}{end}{tail}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats; writes nothing "
                        "unless --readme/--json are given")
    parser.add_argument("--setups", nargs="+", default=list(twins.SETUPS),
                        choices=list(twins.SETUPS))
    parser.add_argument("--repeats", type=int, default=None, help="override per set-up repeats")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="override the set-ups' batch sizes (for tests)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="NumPy's (OpenBLAS) threads; default: NumPy's own choice")
    parser.add_argument("--memory-steps", type=int, default=None)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-ops", action="store_true")
    parser.add_argument("--readme", type=Path, default=None,
                        help="file whose results section to rewrite (default: benchmarks/"
                        "README.md for a full run)")
    parser.add_argument("--section", default="results",
                        help="which marked section of the README to rewrite")
    parser.add_argument("--json", type=Path, default=None, help="also save the raw figures")
    args = parser.parse_args(argv)
    args.command = "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))

    libs = ["tinygan"]
    if torch is not None and not args.no_torch:
        torch.set_num_threads(args.threads)
        libs.append("torch")
    if args.quick:
        common.WARMUP_S = 0.02
    if args.blas_threads is not None and not common.set_blas_threads(args.blas_threads):
        print("could not set NumPy's BLAS threads (not OpenBLAS?); using its default")
    info = common.machine_info()
    gemm = common.gemm_gflops(256 if args.quick else 1024, 3 if args.quick else 10)
    print(f"float32 GEMM {gemm:.0f} GFLOP/s; load {info['load_start']}", flush=True)

    results = []
    for name in args.setups:
        reps = args.repeats or (5 if args.quick else REPEATS[name])
        t0 = time.perf_counter()
        results.append(bench_setup(name, reps, libs, args.batch_size, gemm))
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    steps_md = step_table(results)
    print(steps_md, flush=True)

    mem_steps = args.memory_steps if args.memory_steps is not None else (3 if args.quick else 20)
    traced = {name: traced_peak(name, args.batch_size, 2 if args.quick else 5)
              for name in args.setups}
    rss = rss_runs(libs, mem_steps, args.batch_size, args) if mem_steps > 0 else {}
    memory_md = memory_table(traced, rss)
    print(memory_md, flush=True)

    ops_md = ""
    if not args.no_ops:
        reps = args.repeats or (3 if args.quick else 30)
        batch = args.batch_size or 64
        ops_md = bench_ops.run_all(reps, libs, batch, args.batch_size or 128)
        print(ops_md, flush=True)

    info["load_end"] = common.load_average()
    body = render(info, gemm, steps_md, memory_md, ops_md, args)
    readme = args.readme if args.readme is not None else (
        None if args.quick else HERE / "README.md")
    if readme is not None:
        write_readme(readme, body, args.section)
        print(f"wrote {readme}")
    raw = {"info": info, "gemm_gflops": gemm, "steps": results, "traced_mb": traced, "rss": rss}
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return raw


if __name__ == "__main__":
    main()
