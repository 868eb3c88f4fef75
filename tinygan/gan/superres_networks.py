"""The networks of the super-resolution set-ups (``tinygan/gan/superres.py``): SRResNet, Ledig et
al.'s generator with residual blocks and two x2 sub-pixel convolutions, and the discriminator on
28x28 images. Imported from ``tinygan.gan.superres``.

    >>> SRDiscriminator()(tinygan.zeros(2, 1, 28, 28)).shape
    (2, 1)
"""

from __future__ import annotations

from typing import Any

from tinygan import nn, ops
from tinygan.autograd.tensor import Tensor

__all__ = ["ResidualBlock", "SRDiscriminator", "SRResNet"]


class ResidualBlock(nn.Module):
    """x + BN(conv(PReLU(BN(conv(x))))): 3x3 convolutions keeping (N, C, H, W)."""

    def __init__(self, channels: int, device: Any = None) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, device=device),
            nn.BatchNorm2d(channels, device=device), nn.PReLU(channels, device=device),
            nn.Conv2d(channels, channels, 3, padding=1, device=device),
            nn.BatchNorm2d(channels, device=device))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """Ledig et al.'s generator, sized for 7x7 -> 28x28 (C = ``channels``, B = ``blocks``)::

        (N, 1, 7, 7) -> Conv 5x5 -> PReLU = h                          (N, C, 7, 7)
                     -> B residual blocks -> Conv 3x3 -> BN, + h       (the long skip)
                     -> [Conv 3x3 to 4C -> PixelShuffle(2) -> PReLU] x 2  (N, C, 28, 28)
                     -> Conv 5x5 -> Tanh                               (N, 1, 28, 28)
    """

    def __init__(self, channels: int = 32, blocks: int = 4, device: Any = None) -> None:
        super().__init__()
        c = channels
        self.head = nn.Sequential(nn.Conv2d(1, c, 5, padding=2, device=device),
                                  nn.PReLU(c, device=device))
        self.body = nn.Sequential(*[ResidualBlock(c, device) for _ in range(blocks)],
                                  nn.Conv2d(c, c, 3, padding=1, device=device),
                                  nn.BatchNorm2d(c, device=device))
        stages: list[nn.Module] = []
        for _ in range(2):  # two x2 sub-pixel convolutions (Shi et al. 2016)
            stages += [nn.Conv2d(c, 4 * c, 3, padding=1, device=device), nn.PixelShuffle(2),
                       nn.PReLU(c, device=device)]
        self.upsample = nn.Sequential(*stages)
        self.tail = nn.Conv2d(c, 1, 5, padding=2, device=device)

    def forward(self, lr: Tensor) -> Tensor:
        h = self.head(lr)
        return ops.tanh(self.tail(self.upsample(h + self.body(h))))


class SRDiscriminator(nn.Module):
    """D on 28x28 images: strided convolutions with LeakyReLU(0.2) and BatchNorm to a logit::

        (N, 1, 28, 28) -> Conv 3x3 (32) -> LReLU -> Conv 4x4/2 (32) -> BN -> LReLU  (N, 32, 14, 14)
                       -> Conv 3x3 (64) -> BN -> LReLU -> Conv 4x4/2 (64) -> BN -> LReLU (7x7)
                       -> Conv 3x3/2 (128) -> BN -> LReLU (4x4) -> Linear(2048, 1)
    """

    def __init__(self, device: Any = None) -> None:
        super().__init__()

        def block(a: int, b: int, k: int, stride: int, pad: int, bn: bool = True) -> list:
            layers = [nn.Conv2d(a, b, k, stride, pad, device=device)]
            return layers + ([nn.BatchNorm2d(b, device=device)] if bn else []) + [
                nn.LeakyReLU(0.2)]

        self.net = nn.Sequential(*block(1, 32, 3, 1, 1, bn=False), *block(32, 32, 4, 2, 1),
                                 *block(32, 64, 3, 1, 1), *block(64, 64, 4, 2, 1),
                                 *block(64, 128, 3, 2, 1), nn.Flatten(),
                                 nn.Linear(128 * 4 * 4, 1, device=device))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
