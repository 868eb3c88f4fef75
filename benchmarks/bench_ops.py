"""Op-level figures: linear, conv2d, conv_transpose2d, BatchNorm, LeakyReLU and Adam on the shapes
of the reference set-ups, forward and backward timed apart, tinygan against PyTorch.

Forward is the op call (building the graph); backward is ``out.backward(g)`` with a fixed
random cotangent g, into the input and the weights. Both libraries get the same arrays. Each
library is timed in a process of its own (``worker.py --ops``), the processes alternated over
rounds, as for the training steps (see run.py).

    python benchmarks/bench_ops.py [--repeats 32] [--threads 2 1]   # or as part of run.py
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from common import fmt_ms, fmt_ratio, summary, table, time_calls

import tinygan
from tinygan import optim
from tinygan.ops import activation, conv, nn_ops, normalization


@dataclass
class OpCase:
    """One op on one shape: ``make(lib)`` returns (forward, inputs needing grad) for a library."""

    name: str
    shape: str
    macs: int  # multiply-adds of the forward (0 for elementwise ops); backward is twice that
    make: Callable[[str], tuple[Callable[[], Any], list[Any]]]


def _arrays(shapes: list[tuple[int, ...]], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def _torch() -> Any:
    """PyTorch, imported only where it is timed (never in tinygan's worker)."""
    import torch  # noqa: PLC0415

    return torch


def _leaves(lib: str, arrays: list[np.ndarray]) -> list[Any]:
    if lib == "tinygan":
        return [tinygan.tensor(a, requires_grad=True) for a in arrays]
    return [_torch().tensor(a, requires_grad=True) for a in arrays]


def linear_case(n: int, fan_in: int, fan_out: int, label: str) -> OpCase:
    arrays = _arrays([(n, fan_in), (fan_out, fan_in), (fan_out,)])

    def make(lib: str) -> tuple[Callable[[], Any], list[Any]]:
        x, w, b = _leaves(lib, arrays)
        f = nn_ops.linear if lib == "tinygan" else _torch().nn.functional.linear
        return (lambda: f(x, w, b)), [x, w, b]

    return OpCase("linear", f"{label}: ({n}, {fan_in}) -> {fan_out}", n * fan_in * fan_out, make)


def conv_case(transposed: bool, n: int, cin: int, cout: int, h: int, label: str) -> OpCase:
    """k4 s2 p1, as every conv of dcgan-mnist."""
    wshape = (cin, cout, 4, 4) if transposed else (cout, cin, 4, 4)
    arrays = _arrays([(n, cin, h, h), wshape, (cout,)])
    out_pixels = 2 * h if transposed else h // 2
    macs = n * cin * cout * 16 * (h * h if transposed else out_pixels * out_pixels)

    def make(lib: str) -> tuple[Callable[[], Any], list[Any]]:
        x, w, b = _leaves(lib, arrays)
        if lib == "tinygan":
            f = conv.conv_transpose2d if transposed else conv.conv2d
        else:
            F = _torch().nn.functional
            f = F.conv_transpose2d if transposed else F.conv2d
        return (lambda: f(x, w, b, 2, 1)), [x, w, b]

    name = "conv_transpose2d" if transposed else "conv2d"
    return OpCase(name, f"{label}: ({n}, {cin}, {h}, {h}) -> {cout}", macs, make)


def batchnorm_case(shape: tuple[int, ...], label: str) -> OpCase:
    c = shape[1]
    arrays = _arrays([shape, (c,), (c,)])
    arrays[1] = 1 + 0.1 * arrays[1]

    def make(lib: str) -> tuple[Callable[[], Any], list[Any]]:
        x, w, b = _leaves(lib, arrays)
        if lib == "tinygan":
            rm, rv = tinygan.zeros(c), tinygan.ones(c)
            return (lambda: normalization.batch_norm(x, rm, rv, w, b, True)), [x, w, b]
        torch = _torch()
        rm, rv = torch.zeros(c), torch.ones(c)
        return (lambda: torch.nn.functional.batch_norm(x, rm, rv, w, b, True)), [x, w, b]

    return OpCase("batch_norm", f"{label}: {shape}", 0, make)


def leaky_relu_case(shape: tuple[int, ...], label: str) -> OpCase:
    arrays = _arrays([shape])

    def make(lib: str) -> tuple[Callable[[], Any], list[Any]]:
        (x,) = _leaves(lib, arrays)
        if lib == "tinygan":
            return (lambda: activation.leaky_relu(x, 0.2)), [x]
        return (lambda: _torch().nn.functional.leaky_relu(x, 0.2)), [x]

    return OpCase("leaky_relu", f"{label}: {shape}", 0, make)


def cases(batch: int = 64, mlp_batch: int = 128) -> list[OpCase]:
    """The ops of mlp-mnist and dcgan-mnist, at their batch sizes."""
    n, m = batch, mlp_batch
    return [
        linear_case(m, 784, 512, "mlp D fc1"),
        linear_case(m, 512, 784, "mlp G fc3"),
        linear_case(n, 100, 6272, "dcgan G fc"),
        conv_case(False, n, 1, 64, 28, "D conv1"),
        conv_case(False, n, 64, 128, 14, "D conv2"),
        conv_case(True, n, 128, 64, 7, "G convT1"),
        conv_case(True, n, 64, 1, 14, "G convT2"),
        batchnorm_case((n, 6272), "G bn1d"),
        batchnorm_case((n, 64, 14, 14), "G bn2d"),
        batchnorm_case((n, 128, 7, 7), "D bn2d"),
        leaky_relu_case((n, 64, 14, 14), "D act1"),
    ]


WARMUP_S = 0.1  # untimed seconds before each op's timed calls (the default of worker.py --ops)
WARMUP_CALLS = 2


def time_case(case: OpCase, lib: str, repeats: int, warmup_s: float | None = None,
              warmup_calls: int | None = None) -> dict[str, Any]:
    """Forward and backward times (seconds) of one case in one library."""
    fwd, leaves = case.make(lib)
    g = np.random.default_rng(1).standard_normal(tuple(fwd().shape), dtype=np.float32)
    cotangent = tinygan.Tensor(g) if lib == "tinygan" else _torch().from_numpy(g)
    outs: list[Any] = []

    def backward(i: int) -> None:
        outs[0].backward(cotangent)

    def prepare() -> None:  # untimed: a fresh graph and cleared grads for each backward
        for t in leaves:
            t.grad = None
        outs[:] = [fwd()]

    backward.prepare = prepare  # type: ignore[attr-defined]
    warm = {"warmup_s": WARMUP_S if warmup_s is None else warmup_s,
            "warmup_calls": WARMUP_CALLS if warmup_calls is None else warmup_calls}
    return {"name": case.name, "shape": case.shape, "macs": case.macs,
            "forward": time_calls(lambda i: fwd(), repeats, **warm),
            "backward": time_calls(backward, repeats, **warm)}


def time_adam(lib: str, repeats: int, warmup_s: float | None = None,
              warmup_calls: int | None = None) -> dict[str, Any]:
    """One Adam step over every parameter of dcgan-mnist's G and D (gradients already there):
    times in seconds, and how many tensors and values it updates."""
    from twins import build  # noqa: PLC0415

    setup = build("dcgan-mnist")
    params = [*setup.generator.parameters(), *setup.discriminator.parameters()]
    grads = _arrays([tuple(p.shape) for p in params], seed=2)
    count = sum(int(np.prod(p.shape)) for p in params)
    if lib == "tinygan":
        ps = [tinygan.tensor(p.numpy(), requires_grad=True) for p in params]
        for p, g in zip(ps, grads):
            p.grad = g.copy()
        step = optim.Adam(ps, lr=2e-4, betas=(0.5, 0.999)).step
    else:
        torch = _torch()
        tps = [torch.tensor(p.numpy(), requires_grad=True) for p in params]
        for p, g in zip(tps, grads):
            p.grad = torch.from_numpy(g.copy())
        step = torch.optim.Adam(tps, lr=2e-4, betas=(0.5, 0.999)).step
    warm = {"warmup_s": WARMUP_S if warmup_s is None else warmup_s,
            "warmup_calls": WARMUP_CALLS if warmup_calls is None else warmup_calls}
    return {"count": count, "tensors": len(params),
            "step": time_calls(lambda i: step(), repeats, **warm)}


def time_ops(lib: str, repeats: int, batch: int = 64, mlp_batch: int = 128,
             warmup_s: float | None = None, warmup_calls: int | None = None) -> dict[str, Any]:
    """Every op of the table, and Adam, in one library: raw times in seconds (worker.py --ops)."""
    ops = [time_case(c, lib, repeats, warmup_s, warmup_calls) for c in cases(batch, mlp_batch)]
    return {"ops": ops, "adam": time_adam(lib, repeats, warmup_s, warmup_calls)}


def merge(runs: dict[str, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The workers' raw op times (``runs[lib]``: one worker's ``time_ops`` per round) pooled per
    library and summarised: ``report``'s input."""
    results: list[dict[str, Any]] = []
    adam: dict[str, Any] = {"step": {}}
    for lib, outs in runs.items():
        for k, op in enumerate(outs[0]["ops"]):
            if len(results) <= k:
                results.append({"name": op["name"], "shape": op["shape"], "macs": op["macs"],
                                "forward": {}, "backward": {}})
            for way in ("forward", "backward"):
                results[k][way][lib] = summary([t for o in outs for t in o["ops"][k][way]])
        adam.update(count=outs[0]["adam"]["count"], tensors=outs[0]["adam"]["tensors"])
        adam["step"][lib] = summary([t for o in outs for t in o["adam"]["step"]])
    return results, adam


def gflops(macs: int, s: dict[str, float] | None, factor: int) -> str:
    if not macs or not s:
        return ""
    return f"{factor * 2 * macs / (s['median_ms'] * 1e-3) / 1e9:.0f}"


def report(results: list[dict[str, Any]], adam: dict[str, Any]) -> str:
    """The op table as Markdown (from ``merge``)."""
    rows = []
    for r in results:
        f, b = r["forward"], r["backward"]
        rows.append([
            r["name"], r["shape"],
            fmt_ms(f.get("tinygan")), fmt_ms(f.get("torch")), fmt_ratio(f.get("tinygan"),
                                                                        f.get("torch")),
            fmt_ms(b.get("tinygan")), fmt_ms(b.get("torch")), fmt_ratio(b.get("tinygan"),
                                                                        b.get("torch")),
            gflops(r["macs"], f.get("tinygan"), 1), gflops(r["macs"], b.get("tinygan"), 2),
        ])
    s = adam["step"]
    rows.append(["Adam.step", f"dcgan-mnist G+D: {adam['tensors']} tensors, {adam['count']:,} "
                 "values", fmt_ms(s.get("tinygan")), fmt_ms(s.get("torch")),
                 fmt_ratio(s.get("tinygan"), s.get("torch")), "", "", "", "", ""])
    header = ["op", "shape", "fwd tinygan ms", "fwd torch ms", "fwd ratio", "bwd tinygan ms",
              "bwd torch ms", "bwd ratio", "fwd GFLOP/s", "bwd GFLOP/s"]
    return table(header, rows)


def main(argv: list[str] | None = None) -> None:
    """The op table alone: run.py's measurement with only its op part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=32)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                        help="both libraries' threads; one table per count")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    import run  # noqa: PLC0415

    for threads in args.threads:
        print(f"{threads} thread(s) each:\n")
        print(run.op_table(threads, args.repeats, args.rounds, run.libraries(False)))


if __name__ == "__main__":
    main()
