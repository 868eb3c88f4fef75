"""One library's timings, in a process of its own: what benchmarks/run.py launches, alternating
the libraries (tinygan, PyTorch, PyTorch, tinygan, ...), so that neither runs beside the other's
thread pools, allocator state or imports.

    python benchmarks/worker.py --lib tinygan --setup dcgan-mnist --repeats 10 --threads 2
    python benchmarks/worker.py --lib torch --ops --repeats 8 --threads 1
    python benchmarks/worker.py --lib tinygan --gemm --threads 2

Prints one JSON line: the library's versions and thread settings ("info"), and either the
set-up's step times in seconds ("times": {"step": [...], "GAN.step": [...]}, GAN.step for tinygan
only), the first step's losses (D, G; the same seeded weights and batches in both libraries, so
run.py checks that they agree) and the step's FLOPs; or the op table's raw times ("ops", "adam");
or NumPy's float32 GEMM rate ("gemm_gflops").

``--threads N`` gives both libraries N threads: PyTorch's ``torch.set_num_threads(N)``, and
NumPy's OpenBLAS threads through ``OPENBLAS_NUM_THREADS``, which is set here before NumPy is
imported (run.py also sets it in the worker's environment). The tinygan worker cannot import
PyTorch. The PyTorch worker builds its twin from the same seeded tinygan set-up, with
``TINYGAN_KEEP_FREED_MEMORY=0`` so that importing tinygan leaves glibc's malloc as a PyTorch user
has it (tinygan's own import keeps freed memory for the next arrays: each library is measured as
its users get it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SETUPS = ("gauss1d", "ring2d", "mlp-mnist", "dcgan-mnist")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=["tinygan", "torch"], required=True)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--setup", choices=SETUPS, help="time this set-up's training step")
    what.add_argument("--ops", action="store_true", help="time the op table")
    what.add_argument("--gemm", action="store_true", help="NumPy's float32 GEMM rate")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls")
    parser.add_argument("--threads", type=int, default=2,
                        help="PyTorch's threads and NumPy's OpenBLAS threads")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="the set-up's batch (default its own); the op table's dcgan batch")
    parser.add_argument("--mlp-batch", type=int, default=128, help="the op table's mlp batch")
    parser.add_argument("--gemm-size", type=int, default=1024)
    parser.add_argument("--warmup-s", type=float, default=None,
                        help="untimed seconds before timing (default common.WARMUP_S)")
    parser.add_argument("--warmup-calls", type=int, default=None,
                        help="at least this many untimed calls (default common.WARMUP_CALLS)")
    parser.add_argument("--no-gan-step", action="store_true",
                        help="do not time tinygan.GAN.step beside the benchmark step")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.gemm and args.lib != "tinygan":
        parser.error("--gemm measures NumPy's GEMM: use it with --lib tinygan")
    return args


def prepare_process(lib: str, threads: int) -> None:
    """Threads and imports for ``lib``; must run before NumPy is imported."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if lib == "torch":
        os.environ["TINYGAN_KEEP_FREED_MEMORY"] = "0"  # glibc's malloc, as PyTorch users have it
        import torch  # noqa: PLC0415

        torch.set_num_threads(threads)
    else:
        sys.modules["torch"] = None  # type: ignore[assignment]  (an import of torch now fails)
    sys.path.insert(0, HERE)


def time_setup(args: argparse.Namespace) -> dict[str, Any]:
    import common  # noqa: PLC0415
    import twins  # noqa: PLC0415

    import tinygan  # noqa: PLC0415

    setup = twins.build(args.setup, args.batch_size)
    batch = setup.batch_size
    batches = twins.make_batches(setup, batch)
    step = twins.TinyganStep(setup) if args.lib == "tinygan" else twins.TorchStep(setup)
    first = step(batches.z[0], batches.real[0])  # the same weights and batch in both libraries

    def run(i: int) -> Any:
        j = (i + 1) % len(batches)
        return step(batches.z[j], batches.real[j])

    warm = {"warmup_s": args.warmup_s, "warmup_calls": args.warmup_calls}
    times = {"step": common.time_calls(run, args.repeats, **warm)}
    out: dict[str, Any] = {"setup": args.setup, "batch_size": batch, "first_losses": first}
    if args.lib == "tinygan":
        if not args.no_gan_step:
            gan = twins.build(args.setup, args.batch_size).gan()
            real = [tinygan.Tensor(r) for r in batches.real]
            times["GAN.step"] = common.time_calls(lambda i: gan.step(real[i % len(real)]),
                                                  args.repeats, **warm)
        out["flops"] = twins.step_flops(twins.build(args.setup, args.batch_size), batch)
    out["times"] = times
    return out


def time_ops(args: argparse.Namespace) -> dict[str, Any]:
    import bench_ops  # noqa: PLC0415

    return bench_ops.time_ops(args.lib, args.repeats, args.batch_size or 64, args.mlp_batch,
                              args.warmup_s, args.warmup_calls)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    prepare_process(args.lib, args.threads)
    import common  # noqa: PLC0415

    if args.setup:
        out = time_setup(args)
    elif args.ops:
        out = time_ops(args)
    else:
        out = {"gemm_gflops": common.gemm_gflops(args.gemm_size, 10 if args.gemm_size > 256
                                                 else 3)}
    out = {"lib": args.lib, "threads": args.threads, "info": common.library_info(args.lib), **out}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
