"""Conv forward+backward time on the dcgan-mnist shapes (batch 64), tinygan against PyTorch CPU.

    python benchmarks/bench_conv.py [--repeats 30] [--threads 2]

One run is one forward and one backward (input, weight and bias gradients), float32. After two
warm-up runs, tinygan's and PyTorch's runs alternate, so that both see the same load on a shared
machine; the table gives the median and the minimum of ``repeats`` runs each. PyTorch is limited
to ``--threads`` threads with torch.set_num_threads; NumPy's BLAS uses what its environment allows
(set OPENBLAS_NUM_THREADS before starting Python to pin it).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import tinygan as tg
from tinygan import conv

# (name, transposed, N, C_in, C_out, H): all k=4, s=2, p=1, as the dcgan-mnist set-up of SPEC.md
SHAPES = [
    ("D conv 1->64, 28x28", False, 64, 1, 64, 28),
    ("D conv 64->128, 14x14", False, 64, 64, 128, 14),
    ("G convT 128->64, 7x7", True, 64, 128, 64, 7),
    ("G convT 64->1, 14x14", True, 64, 64, 1, 14),
]


def _times_ms(steps: list, repeats: int) -> list[list[float]]:
    """Run the steps in turn ``repeats`` times; the times of each step in milliseconds."""
    for step in steps:
        step()
        step()
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(repeats):
        for step, record in zip(steps, times):
            t0 = time.perf_counter()
            step()
            record.append(1e3 * (time.perf_counter() - t0))
    return times


def tinygan_step(transposed: bool, n: int, cin: int, cout: int, h: int):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((n, cin, h, h)).astype(np.float32), requires_grad=True)
    wshape = (cin, cout, 4, 4) if transposed else (cout, cin, 4, 4)
    w = tg.tensor(rng.standard_normal(wshape).astype(np.float32), requires_grad=True)
    b = tg.tensor(rng.standard_normal(cout).astype(np.float32), requires_grad=True)
    op = conv.conv_transpose2d if transposed else conv.conv2d
    g = rng.standard_normal(op(x, w, b, 2, 1).shape).astype(np.float32)

    def step():
        x.grad = w.grad = b.grad = None
        op(x, w, b, 2, 1).backward(g)

    return step


def torch_step(torch, transposed: bool, n: int, cin: int, cout: int, h: int):
    F = torch.nn.functional
    x = torch.randn(n, cin, h, h, requires_grad=True)
    w = torch.randn(*((cin, cout) if transposed else (cout, cin)), 4, 4, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)
    op = F.conv_transpose2d if transposed else F.conv2d
    g = torch.randn(op(x, w, b, 2, 1).shape)

    def step():
        x.grad = w.grad = b.grad = None
        op(x, w, b, 2, 1).backward(g)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        import torch  # noqa: PLC0415  (optional: the comparison column)
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(f"{args.repeats} forward+backward runs each, float32, milliseconds (median / min)")
    print(f"{'layer':24s} {'tinygan':>15s} {'torch':>15s} {'ratio of medians':>17s}")
    for name, *shape in SHAPES:
        steps = [tinygan_step(*shape)] + ([torch_step(torch, *shape)] if torch else [])
        times = _times_ms(steps, args.repeats)
        cells = [f"{statistics.median(t):7.2f} /{min(t):6.2f}" for t in times]
        ratio = (f"{statistics.median(times[0]) / statistics.median(times[1]):16.2f}x"
                 if torch else "")
        print(f"{name:24s} " + " ".join(f"{c:>15s}" for c in cells) + f" {ratio}")


if __name__ == "__main__":
    main()
