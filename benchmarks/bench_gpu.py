"""One GAN training step per reference set-up on a GPU: tinygan on CuPy against PyTorch CUDA.

    python benchmarks/bench_gpu.py [--setups gauss1d,dcgan-mnist] [--repeats 30] [--warmup 5]

Needs CuPy and a GPU (``pip install "tinygan[cuda12]"``) and, for the comparison, a CUDA build
of PyTorch; without a GPU it prints why and exits 0, so it can sit in any script.

A step is the benchmark step of docs/setups.md: one D update on a real and a fake batch (the
fake batch made without a graph back into G), then one G update through D (Eq. 5) with D's
parameters frozen. It is written out the same way for both libraries, on the same networks
(PyTorch's copies are built from tinygan's modules and loaded with their state_dict, so the two
start from identical weights; the losses of the first step are printed as a check). z is drawn
on the device; real batches are made on the device once (MNIST set-ups use noise images of
MNIST's shape: the time does not depend on the pixels). Each figure is the median over
``repeats`` steps, each timed from a device synchronisation to the next, after ``warmup`` steps
(CuPy compiles its kernels on first use). The last column times tinygan's own ``GAN.step``,
which also reads every logged term back to the host (a synchronisation per term).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygan as tg  # noqa: E402
from tinygan import backend, losses, models, nn  # noqa: E402


def gpu_or_reason() -> tuple[Any, str | None]:
    try:
        import cupy  # noqa: PLC0415
    except ImportError:
        return None, 'CuPy is not installed (pip install "tinygan[cuda12]")'
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            return None, "CuPy sees no GPU"
    except Exception as exc:  # no driver
        return None, f"CuPy cannot reach a GPU ({exc})"
    return cupy, None


# ------------------------------------------------------------------------------------------------
# PyTorch copies of tinygan's networks (same structure, same state_dict keys).
# ------------------------------------------------------------------------------------------------


def to_torch(m: nn.Module, torch: Any) -> Any:
    T = torch.nn
    kind = type(m).__name__
    if kind == "Sequential":
        return T.Sequential(*[to_torch(c, torch) for _, c in m.named_children()])
    if kind == "Linear":
        return T.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if kind in ("Conv2d", "ConvTranspose2d"):
        extra = {"output_padding": m.output_padding} if kind == "ConvTranspose2d" else {}
        return getattr(T, kind)(m.in_channels, m.out_channels, m.kernel_size, m.stride,
                                m.padding, dilation=m.dilation, bias=m.bias is not None, **extra)
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        return getattr(T, kind)(m.num_features, eps=m.eps, momentum=m.momentum)
    if kind == "LeakyReLU":
        return T.LeakyReLU(m.negative_slope)
    if kind in ("ReLU", "Tanh", "Sigmoid"):
        return getattr(T, kind)()
    if kind == "Flatten":
        return T.Flatten(m.start_dim, m.end_dim)
    if kind == "Unflatten":
        return T.Unflatten(m.dim, m.unflattened_size)
    if kind == "Embedding":
        return T.Embedding(m.num_embeddings, m.embedding_dim)
    if kind in ("LabelledGenerator", "LabelledDiscriminator"):
        return _TorchLabelled(torch, to_torch(m.label_embedding, torch), to_torch(m.net, torch),
                              flatten=kind == "LabelledDiscriminator")
    raise TypeError(f"bench_gpu: no PyTorch counterpart for {kind}")


def _TorchLabelled(torch: Any, embedding: Any, net: Any, flatten: bool) -> Any:
    """models.LabelledGenerator/Discriminator: the label's embedding concatenated, then net."""

    class Labelled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.label_embedding, self.net = embedding, net

        def forward(self, x: Any, y: Any) -> Any:
            x = x.reshape(len(x), -1) if flatten else x
            return self.net(torch.cat([x, self.label_embedding(y)], dim=1))

    return Labelled()


# ------------------------------------------------------------------------------------------------
# One step of each library, and the timing loop.
# ------------------------------------------------------------------------------------------------


def _median_ms(step: Any, sync: Any, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _losses(pair: tuple[Any, Any]) -> str:
    return "/".join(f"{float(v.detach()):.5f}" for v in pair)


def tinygan_step(s: models.Setup, real: Any, labels: Any, device: str = "cuda") -> Any:
    G, D, n = s.generator, s.discriminator, len(real)
    cond = (labels,) if labels is not None else ()

    def step(zs: Any = None) -> tuple[Any, Any]:
        z_d, z_g = zs or (tg.randn(n, s.latent_dim, device=device) for _ in range(2))
        with tg.no_grad():
            fake = G(z_d, *cond)
        s.d_optimizer.zero_grad()
        loss_d = losses.discriminator_loss(D(real, *cond), D(fake, *cond))
        loss_d.backward()
        s.d_optimizer.step()
        s.g_optimizer.zero_grad()
        D.requires_grad_(False)
        loss_g = losses.generator_loss_non_saturating(D(G(z_g, *cond), *cond))
        loss_g.backward()
        D.requires_grad_(True)
        s.g_optimizer.step()
        return loss_d, loss_g

    return step


def torch_step(torch: Any, s: models.Setup, real: Any, labels: Any, device: str = "cuda") -> Any:
    G, D = to_torch(s.generator, torch).to(device), to_torch(s.discriminator, torch).to(device)
    for theirs, ours in ((G, s.generator), (D, s.discriminator)):
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    lr, betas = s.g_optimizer.param_groups[0]["lr"], s.g_optimizer.param_groups[0]["betas"]
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    softplus, n = torch.nn.functional.softplus, len(real)
    cond = (labels,) if labels is not None else ()

    def step(zs: Any = None) -> tuple[Any, Any]:
        z_d, z_g = zs or (torch.randn(n, s.latent_dim, device=device) for _ in range(2))
        with torch.no_grad():
            fake = G(z_d, *cond)
        opt_d.zero_grad()
        loss_d = softplus(-D(real, *cond)).mean() + softplus(D(fake, *cond)).mean()  # Eq. 1
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        D.requires_grad_(False)
        loss_g = softplus(-D(G(z_g, *cond), *cond)).mean()  # Eq. 5
        loss_g.backward()
        D.requires_grad_(True)
        opt_g.step()
        return loss_d, loss_g

    return step


def host_data(s: models.Setup) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """A real batch (and labels) and the first step's two z, drawn once on the host."""
    rng = np.random.default_rng(0)
    if s.data == "toy":
        x = s.target.sample(s.batch_size, device="cpu").numpy()
    else:
        x = rng.uniform(-1.0, 1.0, (s.batch_size, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, s.batch_size) if s.num_classes else None
    zs = [rng.standard_normal((s.batch_size, s.latent_dim)).astype(np.float32) for _ in range(2)]
    return x, y, zs


def bench(name: str, torch: Any, cupy: Any, warmup: int, repeats: int) -> list[str]:
    tg.manual_seed(0)
    s = models.build(name)  # on the CPU, so that PyTorch copies the very same initial weights
    x, y, zs = host_data(s)
    torch_ms = first_torch = "-"
    if torch is not None:
        tx = torch.from_numpy(x).cuda()
        ty = torch.from_numpy(y).cuda() if y is not None else None
        step = torch_step(torch, s, tx, ty)
        first_torch = _losses(step([torch.from_numpy(z).cuda() for z in zs]))
        torch_ms = f"{_median_ms(step, torch.cuda.synchronize, warmup, repeats):.2f}"
    s.generator.to("cuda")
    s.discriminator.to("cuda")
    gx = tg.tensor(x, device="cuda")
    gy = tg.tensor(y, device="cuda") if y is not None else None
    step = tinygan_step(s, gx, gy)
    first = _losses(step([tg.tensor(z, device="cuda") for z in zs]))
    sync = cupy.cuda.runtime.deviceSynchronize
    ours_ms = _median_ms(step, sync, warmup, repeats)
    gan = s.gan()
    real = (gx, gy) if gy is not None else gx
    gan_ms = _median_ms(lambda: gan.step(real), sync, warmup, repeats)
    return [name, str(s.batch_size), f"{ours_ms:.2f}", torch_ms, f"{gan_ms:.2f}", first,
            first_torch]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setups", default=",".join(models.SETUPS))
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    cupy, why = gpu_or_reason()
    if cupy is None:
        print(f"bench_gpu: skipped, no GPU to run on: {why}")
        return 0
    try:
        import torch  # noqa: PLC0415

        torch = torch if torch.cuda.is_available() else None
    except ImportError:
        torch = None
    backend.get_device("cuda")
    try:
        gpu_name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception:  # the name is only decoration
        gpu_name = "GPU 0"
    print(f"{gpu_name}; CuPy {getattr(cupy, '__version__', '?')}; PyTorch "
          f"{torch.__version__ if torch is not None else 'CUDA build not available'}")
    head = ["set-up", "batch", "tinygan ms", "torch ms", "GAN.step ms", "tinygan L_D/L_G #1",
            "torch L_D/L_G #1"]
    rows = [bench(n, torch, cupy, args.warmup, args.repeats) for n in args.setups.split(",")]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
