"""Peak memory of a training run, measured in a fresh process per library.

    python benchmarks/memory.py --lib tinygan --setup dcgan-mnist --steps 20
    python benchmarks/memory.py --lib torch   --setup dcgan-mnist --steps 20

Prints one JSON line with the resident set size (RSS, in MiB) after the imports, after building
the networks and the batches ("base"), and its peak during the training steps ("peak"). The peak
is taken from the kernel's high-water mark (VmHWM), reset just before training where Linux allows
it, so "peak - base" is what the training steps themselves needed: that is the fair comparison,
since importing PyTorch alone takes a few hundred MiB. Only the one library is imported, with
the threads and malloc settings of the timing workers (worker.prepare_process).

``tracemalloc_peak`` (tinygan only, with ``--tracemalloc``): the peak of NumPy's allocations
during the steps, as Python's tracemalloc sees them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _status(key: str) -> float:
    """A field of /proc/self/status in MiB (Linux), or NaN elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> bool:
    """Reset the RSS high-water mark to the current RSS (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    hwm = _status("VmHWM")
    if hwm == hwm:  # not NaN
        return hwm
    import resource  # noqa: PLC0415

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=["tinygan", "torch"], required=True)
    parser.add_argument("--setup", default="dcgan-mnist")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2,
                        help="PyTorch's threads and NumPy's OpenBLAS threads")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    import worker  # noqa: PLC0415  (threads and imports as the timing workers have them)

    worker.prepare_process(args.lib, args.threads)
    import twins  # noqa: PLC0415  (imports tinygan; torch only in the torch worker)

    after_import = _status("VmRSS")
    setup = twins.build(args.setup, args.batch_size)
    batch = setup.batch_size
    batches = twins.make_batches(setup, batch)
    step = twins.TinyganStep(setup) if args.lib == "tinygan" else twins.TorchStep(setup)
    if args.lib == "torch":  # the tinygan networks were only the source of the weights
        del setup
    step(batches.z[0], batches.real[0])  # one step first: optimizer state, lazy initialisation
    base = _status("VmRSS")
    reset = _reset_peak()
    traced = None
    if args.tracemalloc:
        import tracemalloc  # noqa: PLC0415

        tracemalloc.start()
    for i in range(args.steps):
        step(batches.z[i % len(batches)], batches.real[i % len(batches)])
    if args.tracemalloc:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    result = {"lib": args.lib, "setup": args.setup, "steps": args.steps, "batch_size": batch,
              "after_import_mb": after_import, "base_mb": base, "peak_mb": _peak_rss_mb(),
              "peak_reset": reset, "tracemalloc_peak_mb": traced}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
