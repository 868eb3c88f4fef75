"""One training step of each reference set-up, in tinygan and in PyTorch, with identical weights
and identical batches.

The tinygan networks come from ``tinygan.models.build(name)``; the PyTorch twin is built layer
by layer from them (``torch_twin``) and given the same weights through ``state_dict`` (tinygan's
keys are PyTorch's). Both libraries then run the same step on the same arrays:

    fake = G(z)                                   # G forward once
    D update: L_D = Eq. 1 on D(real), D(fake.detach());  backward; Adam step on D
    G update: D frozen (no gradients into D, its BatchNorm statistics restored afterwards);
              L_G = Eq. 5 on D(fake);  backward through D into G; Adam step on G

That is the benchmark step of docs/setups.md ("One training step in the benchmarks").
(``tinygan.GAN.step`` does the same with a second, fresh z for the G update and records every
term of the chapter; its time is reported beside it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygan
from tinygan import losses, models, nn
from tinygan.gan import frozen
from tinygan.gan.models import Pack

try:
    import torch
except ImportError:
    torch = None

SETUPS = ("gauss1d", "ring2d", "mlp-mnist", "dcgan-mnist")


@dataclass
class Batches:
    """A pool of identical inputs for both libraries: z (pool, B, latent), real (pool, B, ...)."""

    z: np.ndarray
    real: np.ndarray

    def __len__(self) -> int:
        return len(self.z)


def make_batches(setup: models.Setup, batch_size: int, pool: int = 8, seed: int = 0) -> Batches:
    """``pool`` batches of noise and of real samples. MNIST set-ups get uniform noise in [-1, 1]
    shaped as images: the time of a step does not depend on what the pixels show."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((pool, batch_size, setup.latent_dim), dtype=np.float32)
    if setup.data == "toy":
        tinygan.manual_seed(seed)
        real = np.stack([setup.target.sample(batch_size).numpy() for _ in range(pool)])
    else:
        real = rng.uniform(-1, 1, (pool, batch_size, 1, 28, 28)).astype(np.float32)
    return Batches(z, real.astype(np.float32))


# ----------------------------------------------------------------------------------------------
# tinygan's step
# ----------------------------------------------------------------------------------------------


class TinyganStep:
    """The benchmark step (docs/setups.md) on a tinygan set-up."""

    def __init__(self, setup: models.Setup) -> None:
        self.G, self.D = setup.generator, setup.discriminator
        self.g_opt, self.d_opt = setup.g_optimizer, setup.d_optimizer

    def __call__(self, z: np.ndarray, real: np.ndarray) -> tuple[float, float]:
        G, D = self.G, self.D
        fake = G(tinygan.Tensor(z))
        self.d_opt.zero_grad()
        loss_d = losses.discriminator_loss(D(tinygan.Tensor(real)), D(fake.detach()))
        loss_d.backward()
        self.d_opt.step()
        self.g_opt.zero_grad()
        with frozen(D):
            loss_g = losses.generator_loss_non_saturating(D(fake))
            loss_g.backward()
        self.g_opt.step()
        return loss_d.item(), loss_g.item()


# ----------------------------------------------------------------------------------------------
# The PyTorch twin and its step
# ----------------------------------------------------------------------------------------------


def _torch_pack(m: int) -> Any:
    """PyTorch's version of ``tinygan.models.Pack``: (N, d) -> (N/m, m*d)."""

    class TorchPack(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            return x.reshape(x.shape[0] // m, m * x.shape[1])

    return TorchPack()


def _torch_layer(m: nn.Module) -> Any:
    tnn = torch.nn
    if isinstance(m, nn.Linear):
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.ConvTranspose2d):
        return tnn.ConvTranspose2d(m.in_channels, m.out_channels, m.kernel_size, m.stride,
                                   m.padding, m.output_padding, bias=m.bias is not None,
                                   dilation=m.dilation)
    if isinstance(m, nn.Conv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                          m.dilation, bias=m.bias is not None)
    if isinstance(m, nn.BatchNorm1d):
        return tnn.BatchNorm1d(m.num_features, m.eps, m.momentum)
    if isinstance(m, nn.BatchNorm2d):
        return tnn.BatchNorm2d(m.num_features, m.eps, m.momentum)
    if isinstance(m, nn.LeakyReLU):
        return tnn.LeakyReLU(m.negative_slope)
    simple = {nn.ReLU: tnn.ReLU, nn.Tanh: tnn.Tanh, nn.Sigmoid: tnn.Sigmoid}
    if type(m) in simple:
        return simple[type(m)]()
    if isinstance(m, nn.Flatten):
        return tnn.Flatten(m.start_dim, m.end_dim)
    if isinstance(m, nn.Unflatten):
        return tnn.Unflatten(m.dim, m.unflattened_size)
    if isinstance(m, Pack):  # PacGAN's packing of ring2d/grid2d's D: (N, d) -> (N/m, m*d)
        return _torch_pack(m.m)
    raise TypeError(f"no PyTorch twin for {type(m).__name__}")


def torch_twin(module: nn.Sequential) -> Any:
    """The same network in PyTorch, with the same weights and buffers (copied via state_dict)."""
    twin = torch.nn.Sequential(*[_torch_layer(m) for m in module])
    state = {k: torch.from_numpy(np.array(tinygan.backend.to_numpy(v)))
             for k, v in module.state_dict().items()}
    twin.load_state_dict(state)
    return twin


class TorchStep:
    """The same step in PyTorch (F.softplus is Eq. 1/5's stable form, as tinygan's losses)."""

    def __init__(self, setup: models.Setup) -> None:
        g_group, d_group = setup.g_optimizer.param_groups[0], setup.d_optimizer.param_groups[0]
        self.G, self.D = torch_twin(setup.generator), torch_twin(setup.discriminator)
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=g_group["lr"],
                                      betas=g_group["betas"])
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=d_group["lr"],
                                      betas=d_group["betas"])

    def __call__(self, z: np.ndarray, real: np.ndarray) -> tuple[float, float]:
        F = torch.nn.functional
        G, D = self.G, self.D
        fake = G(torch.from_numpy(z))
        self.d_opt.zero_grad()
        loss_d = F.softplus(-D(torch.from_numpy(real))).mean() + F.softplus(
            D(fake.detach())).mean()
        loss_d.backward()
        self.d_opt.step()
        self.g_opt.zero_grad()
        D.requires_grad_(False)  # frozen, as tinygan.gan.frozen: no grads, buffers restored
        saved = [(b, b.clone()) for b in D.buffers()]
        loss_g = F.softplus(-D(fake)).mean()
        loss_g.backward()
        for b, copy in saved:
            b.copy_(copy)
        D.requires_grad_(True)
        self.g_opt.step()
        return loss_d.item(), loss_g.item()


def build(name: str, batch_size: int | None = None, seed: int = 0) -> models.Setup:
    """The tinygan set-up ``name`` with fresh weights from seed ``seed``."""
    tinygan.manual_seed(seed)
    options = {} if batch_size is None else {"batch_size": batch_size}
    return models.build(name, **options)


# ----------------------------------------------------------------------------------------------
# Floating-point operations of a step (the matmul-like layers; elementwise work is left out)
# ----------------------------------------------------------------------------------------------


def layer_macs(net: nn.Sequential, x_shape: tuple[int, ...]) -> list[int]:
    """Multiply-adds of each Linear/Conv layer of ``net`` on an input of ``x_shape``, in order."""
    macs = []
    x = tinygan.Tensor(np.zeros(x_shape, np.float32))
    with tinygan.no_grad():
        for m in net:
            out = m(x)
            if isinstance(m, nn.Linear):
                macs.append(int(np.prod(x.shape)) * m.out_features)
            elif isinstance(m, nn.ConvTranspose2d):
                kh, kw = m.kernel_size
                macs.append(int(np.prod(x.shape)) * m.out_channels * kh * kw)
            elif isinstance(m, nn.Conv2d):
                kh, kw = m.kernel_size
                macs.append(int(np.prod(out.shape)) * m.in_channels * kh * kw)
            x = out
    return macs


def step_flops(setup: models.Setup, batch_size: int) -> int:
    """FLOPs (2 per multiply-add) of the matmul-like layers in one training step of ``setup``
    (run a throw-away copy: the forward passes here move BatchNorm's running statistics):
    G forward; D forward twice and backward (weights, and inputs of all but the first layer)
    twice; D forward and backward to its input in the G update; G backward (weights, and inputs
    of all but the first layer)."""
    with tinygan.no_grad():
        fake_shape = setup.generator(
            tinygan.Tensor(np.zeros((batch_size, setup.latent_dim), np.float32))).shape
    g = layer_macs(setup.generator, (batch_size, setup.latent_dim))
    d = layer_macs(setup.discriminator, tuple(fake_shape))
    sg, sd = sum(g), sum(d)
    d_step = 2 * sd + 2 * sd + 2 * (sd - d[0])      # fwd x2, dW x2, dx (not first layer) x2
    g_step = sd + sd + sg + (sg - g[0])             # D fwd, D dx (all), G dW, G dx
    return 2 * (sg + d_step + g_step)
