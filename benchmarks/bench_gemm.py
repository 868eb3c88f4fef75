"""The matrix products of one training step, alone: NumPy's BLAS against PyTorch's, shape by shape.

    python benchmarks/bench_gemm.py                  # mlp-mnist and dcgan-mnist, 2 and 1 threads
    python benchmarks/bench_gemm.py --setups mlp-mnist --threads 1 --repeats 30

Every Linear and convolution of a step is a matrix product (the forward, the input gradient,
the weight gradient; docs/setups.md's benchmark step fixes how often each runs). This script
lists those products as tinygan computes them (``step_products``), times each distinct shape
with ``tinygan.ops.kernels.matmul`` (NumPy's OpenBLAS) and with ``torch.mm`` (PyTorch's own
BLAS), each library in a process of its own with the same threads, and adds them up with their
counts. The sum is what the products alone cost each library: a floor under tinygan's step that
no change outside the products can lower, and the part of the step ratio that is the BLAS's.
(PyTorch's convolutions run through oneDNN rather than ``torch.mm``; its products column is
what its GEMM does on tinygan's shapes.) Prints a Markdown table per thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
Product = tuple[int, int, int]  # (M, K, N): an (M, K) @ (K, N) product


def layer_products(layer: Any, x_shape: tuple[int, ...], out_shape: tuple[int, ...]
                   ) -> dict[str, Product]:
    """The forward, input-gradient and weight-gradient products of one layer, as tinygan's
    ops compute them (ops/nn_ops.py, ops/conv.py), for an input and output of these shapes."""
    from tinygan import nn  # noqa: PLC0415

    if isinstance(layer, nn.Linear):
        m = x_shape[0]
        i, o = layer.in_features, layer.out_features
        return {"fwd": (m, i, o), "dx": (m, o, i), "dW": (o, m, i)}
    kh, kw = layer.kernel_size
    if isinstance(layer, nn.ConvTranspose2d):  # forward = conv2d's input gradient
        n, cin, h, w = x_shape
        ckk, cols = layer.out_channels * kh * kw, h * w * n
        return {"fwd": (ckk, cin, cols), "dx": (cin, ckk, cols), "dW": (ckk, cols, cin)}
    n, o, oh, ow = out_shape
    ckk, cols = layer.in_channels * kh * kw, oh * ow * n
    return {"fwd": (o, ckk, cols), "dx": (ckk, o, cols), "dW": (ckk, cols, o)}


def step_products(name: str) -> Counter[Product]:
    """Every product of one benchmark step of set-up ``name`` and how often it runs:
    G forward once; D forward three times (real, fake detached, fake); D's weight gradients
    twice and its input gradients twice (not its first layer's) in the D update, and every
    input gradient once in the G update; G's weight gradients once and input gradients once
    (not its first layer's). The same schedule as ``twins.step_flops``."""
    import numpy as np  # noqa: PLC0415
    import twins  # noqa: PLC0415

    import tinygan  # noqa: PLC0415
    from tinygan import nn  # noqa: PLC0415

    setup = twins.build(name)
    counts: Counter[Product] = Counter()

    def walk(net: Any, x_shape: tuple[int, ...], times: dict[str, int]) -> tuple[int, ...]:
        x = tinygan.Tensor(np.zeros(x_shape, np.float32))
        first = True
        with tinygan.no_grad():
            for layer in net:
                out = layer(x)
                if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                    for kind, product in layer_products(layer, x.shape, out.shape).items():
                        counts[product] += times[kind] - (times["dx_first"] if first and
                                                          kind == "dx" else 0)
                    first = False
                x = out
        return tuple(x.shape)

    fake = walk(setup.generator, (setup.batch_size, setup.latent_dim),
                {"fwd": 1, "dW": 1, "dx": 1, "dx_first": 1})
    walk(setup.discriminator, fake, {"fwd": 3, "dW": 2, "dx": 3, "dx_first": 2})
    return +counts  # (drops the products that never run)


def _product(lib: str, a: Any, b: Any) -> Any:
    """A call computing a @ b as ``lib`` does (``time_calls`` passes it a counter)."""
    if lib == "torch":
        import torch  # noqa: PLC0415

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda i: torch.mm(ta, tb)
    from tinygan.ops import kernels  # noqa: PLC0415

    return lambda i: kernels.matmul(a, b)


def time_products(lib: str, products: list[Product], repeats: int) -> list[float]:
    """The median seconds of each product in ``lib`` (this process's threads)."""
    import numpy as np  # noqa: PLC0415

    sys.path.insert(0, HERE)
    import common  # noqa: PLC0415

    rng = np.random.default_rng(0)
    medians = []
    for m, k, n in products:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        fn = _product(lib, a, b)
        times = common.time_calls(fn, repeats, warmup_s=0.05, warmup_calls=3)
        medians.append(common.summary(times)["median_ms"] / 1e3)
    return medians


def worker(args: argparse.Namespace) -> None:
    if args.lib == "torch":
        import torch  # noqa: PLC0415

        torch.set_num_threads(args.threads[0])
    products = [tuple(p) for p in json.loads(args.products)]
    print(json.dumps({"medians_s": time_products(args.lib, products, args.repeats)}))


def run_worker(lib: str, threads: int, products: list[Product], repeats: int) -> list[float]:
    """``time_products`` in a fresh process for ``lib`` with ``threads`` threads."""
    import common  # noqa: PLC0415

    args = ["--worker", "--lib", lib, "--threads", threads, "--repeats", repeats,
            "--products", json.dumps(products)]
    return common.run_json(__file__, args, lib, threads)["medians_s"]


def table(setups: list[str], threads: int, repeats: int, rounds: int) -> str:
    per_setup = {name: step_products(name) for name in setups}
    products = sorted({p for c in per_setup.values() for p in c})
    libs = ["tinygan", "torch"]
    runs: dict[str, list[list[float]]] = {lib: [] for lib in libs}
    for r in range(rounds):  # alternated: tinygan, torch, torch, tinygan, ...
        for lib in libs if r % 2 == 0 else libs[::-1]:
            runs[lib].append(run_worker(lib, threads, products, repeats))
    med = {lib: [sorted(col)[len(col) // 2] for col in zip(*runs[lib])] for lib in libs}
    rows = ["| set-up | product (M×K @ K×N) | per step | NumPy ms | PyTorch ms | ratio |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, counts in per_setup.items():
        total = dict.fromkeys(libs, 0.0)
        for p, count in sorted(counts.items(), key=lambda pc: -pc[1] * med["tinygan"][
                products.index(pc[0])]):
            i = products.index(p)
            for lib in libs:
                total[lib] += count * med[lib][i]
            if count * med["tinygan"][i] >= 0.5e-3:  # the products that matter, each
                rows.append(f"| {name} | {p[0]}×{p[1]} @ {p[1]}×{p[2]} | {count} | "
                            f"{med['tinygan'][i] * 1e3:.3f} | {med['torch'][i] * 1e3:.3f} | "
                            f"{med['tinygan'][i] / med['torch'][i]:.2f} |")
        rows.append(f"| **{name}** | **all {sum(counts.values())} products of the step** | | "
                    f"**{total['tinygan'] * 1e3:.2f}** | **{total['torch'] * 1e3:.2f}** | "
                    f"**{total['tinygan'] / total['torch']:.2f}** |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", nargs="+", default=["mlp-mnist", "dcgan-mnist"])
    parser.add_argument("--threads", nargs="+", type=int, default=[2, 1])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per shape and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the libraries")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lib", choices=["tinygan", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--products", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return
    sys.path.insert(0, HERE)
    import common  # noqa: PLC0415

    print(f"load average {common.load_average()}")
    for threads in args.threads:
        print(f"\n{threads} thread(s) each:\n")
        print(table(args.setups, threads, args.repeats, args.rounds))


if __name__ == "__main__":
    main()
