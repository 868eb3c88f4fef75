"""The building blocks of the reference set-ups' networks (``tinygan.models`` puts them together).

* ``mlp``: Linear layers with an activation between them (``leaky``: LeakyReLU(0.2));
* ``Pack``: PacGAN's packing, m samples judged at once;
* ``dcgan_init``: DCGAN's weight initialisation;
* ``LabelledGenerator`` / ``LabelledDiscriminator``: the conditional GAN's networks, the label's
  embedding concatenated to the input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygan import nn, ops
from tinygan.autograd.tensor import Tensor
from tinygan.nn.init import normal_, zeros_

__all__ = ["LabelledDiscriminator", "LabelledGenerator", "Pack", "dcgan_init", "leaky", "mlp"]


def mlp(sizes: list[int], hidden: Callable[[], nn.Module], out: nn.Module | None = None,
        device: Any = None) -> nn.Sequential:
    """Linear layers of the given sizes with ``hidden()`` between them and ``out`` at the end."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, device=device))
        if i < len(sizes) - 2:
            layers.append(hidden())
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


def leaky() -> nn.Module:
    return nn.LeakyReLU(0.2)


class Pack(nn.Module):
    """PacGAN's packing (Lin, Khetan, Fanti and Oh, 2018): D judges ``m`` samples at once.

    (N, d) -> (N/m, m*d): m consecutive samples, all real or all fake, become one input of D, so
    D sees how varied a handful of samples is. Images pack along their channels, (N, C, H, W) ->
    (N/m, m*C, H, W): the m images side by side as the channels of one input, for a D that
    starts with a convolution (a flattened pack is the same numbers in the same order). A
    generator that puts everything on a few modes makes packs that look alike, which a
    single-sample D cannot notice but a packed D can: the cheapest cure for mode collapse.
    Eq. 1-5 are unchanged; their means run over packs.
    """

    def __init__(self, m: int) -> None:
        super().__init__()
        self.m = int(m)

    def forward(self, x: Tensor) -> Tensor:
        if len(x) % self.m:
            raise ValueError(f"Pack({self.m}): a batch of {len(x)} samples does not split into "
                             f"packs of {self.m}; use a batch size divisible by {self.m}")
        return x.reshape(len(x) // self.m, self.m * x.shape[1], *x.shape[2:])

    def extra_repr(self) -> str:
        return f"m={self.m}"


def dcgan_init(module: nn.Module) -> nn.Module:
    """The DCGAN recipe (Radford et al. 2016, section 4), in place on ``module`` and all its
    sub-modules, which it returns: Conv2d, ConvTranspose2d and Linear weights ~ N(0, 0.02^2),
    BatchNorm scales ~ N(1, 0.02^2), their biases 0 (the PyTorch DCGAN tutorial's
    ``weights_init``). Other layers are left as they are.

        >>> tinygan.manual_seed(0)
        >>> layer = dcgan_init(tinygan.nn.Linear(1000, 100))
        >>> round(float(layer.weight.numpy().std()), 3), float(abs(layer.bias.numpy()).max())
        (0.02, 0.0)
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            normal_(m.weight, 1.0, 0.02)
            if m.bias is not None:
                zeros_(m.bias)
    return module


class LabelledGenerator(nn.Module):
    """G(z, y): the label's embedding concatenated to z, then mlp-mnist's generator."""

    def __init__(self, latent_dim: int, num_classes: int, device: Any = None) -> None:
        super().__init__()
        self.label_embedding = nn.Embedding(num_classes, num_classes, device=device)
        self.net = mlp([latent_dim + num_classes, 256, 512, 784], leaky, nn.Tanh(), device)
        self.net.append(nn.Unflatten(1, (1, 28, 28)))

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.net(ops.cat([z, self.label_embedding(y)], axis=1))


class LabelledDiscriminator(nn.Module):
    """D(x, y): the flattened image and the label's embedding, concatenated, then an MLP."""

    def __init__(self, num_classes: int, device: Any = None) -> None:
        super().__init__()
        self.label_embedding = nn.Embedding(num_classes, num_classes, device=device)
        self.net = mlp([784 + num_classes, 512, 256, 1], leaky, device=device)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        x = x.reshape(len(x), -1)
        return self.net(ops.cat([x, self.label_embedding(y)], axis=1))
