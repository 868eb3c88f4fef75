"""``ConditionalGAN``: a GAN whose two networks are both told the class y (Mirza & Osindero, 2014).

G(z, y) learns to draw a sample of class y, and D(x, y) judges whether x is a real sample *of
class y*; the loss terms and Algorithm 1 are unchanged (``tinygan.gan``), only every call of G
and D gets the labels too:

- in the D step, real batches come as ``(x, y)`` pairs, and the fakes are made for labels drawn
  uniformly from the classes (the same labels D then sees them with);
- in the G step, G draws fresh labels the same way and is judged by D for them;
- ``sample(n, labels)`` draws samples of the classes you ask for, e.g. a grid of every digit.

The networks decide how a label enters (an Embedding, or a one-hot vector concatenated to the
input): see ``tinygan.models.cgan_mnist``.
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.gan.algorithm import GAN
from tinygan.gan.training import evaluating

__all__ = ["ConditionalGAN"]


class ConditionalGAN(GAN):
    """A GAN with class labels given to both G and D (see the module docstring).

    Args are those of ``GAN``, plus ``num_classes``: labels are integers in [0, num_classes).
    ``generator(z, y)`` and ``discriminator(x, y)`` take the labels y, shape (m,), int64.
    """

    conditional = True

    def __init__(self, generator: Any, discriminator: Any, g_optimizer: Any, d_optimizer: Any,
                 latent_dim: int, num_classes: int, k: int = 1,
                 generator_loss: str = "non_saturating", device: Any = None,
                 g_scheduler: Any = None, d_scheduler: Any = None, ema: float | None = None,
                 label_smoothing: float = 0.0, r1_gamma: float = 0.0) -> None:
        super().__init__(generator, discriminator, g_optimizer, d_optimizer, latent_dim, k,
                         generator_loss, device, g_scheduler, d_scheduler, ema=ema,
                         label_smoothing=label_smoothing, r1_gamma=r1_gamma)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"ConditionalGAN: num_classes must be an integer >= 2, got "
                             f"{num_classes!r}")
        self.num_classes = num_classes

    def _labels(self, y: Any, n: int, who: str) -> Tensor:
        """Labels as an int64 Tensor of shape (n,) on the GAN's device, checked."""
        data = y.data if isinstance(y, Tensor) else y
        if isinstance(data, (list, tuple, numpy.ndarray, int, numpy.integer)):
            data = backend.to_device(numpy.asarray(data, dtype=numpy.int64), self.device)
        if data.shape != (n,) or data.dtype.kind not in "iu":
            raise ValueError(f"ConditionalGAN.{who}: labels must be {n} integers (shape ({n},)), "
                             f"got shape {tuple(data.shape)} of dtype {data.dtype}")
        low, high = (data.min().item(), data.max().item()) if n else (0, 0)
        if low < 0 or high >= self.num_classes:
            raise ValueError(f"ConditionalGAN.{who}: labels must lie in [0, {self.num_classes}), "
                             f"got values from {low} to {high}")
        return Tensor(data.astype(numpy.int64, copy=False))

    def real_inputs(self, batch: Any) -> tuple[Tensor, tuple]:
        """A real batch ``(x, labels)`` as (x, (labels,)): D judges x with its labels."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise TypeError("ConditionalGAN.step: a real batch must be an (x, labels) pair, got "
                            f"{type(batch).__name__}")
        x, _ = super().real_inputs(batch[0])
        return x, (self._labels(batch[1], len(x), "step"),)

    def sample_fakes(self, n: int) -> tuple[Tensor, tuple]:
        """n fakes G(z, y) for labels y drawn uniformly from the classes, and (y,) for D."""
        z = self.noise(n)
        y = Tensor(backend.randint(0, self.num_classes, (n,), device=self.device))
        return self.generator(z, y), (y,)

    def sample(self, n: int, labels: Any = None, seed: int | None = None) -> Tensor:
        """n samples G(z, y) for the given labels (default 0, 1, ..., 9, 0, 1, ...: every class
        in turn), G (its average with ``ema``) in eval mode, no graph. ``seed``: see
        ``GAN.noise``."""
        if labels is None:
            labels = numpy.arange(n) % self.num_classes
        y = self._labels(labels, n, "sample")
        with evaluating(self.sampling_generator):
            return self.sampling_generator(self.noise(n, seed), y)

    def discriminate(self, x: Any, labels: Any = None) -> numpy.ndarray:
        """D's probability that each row of ``x`` is a real sample of its label."""
        if labels is None:
            raise ValueError("ConditionalGAN.discriminate: D needs the labels of x too")
        n = len(x)
        return super().discriminate(x, self._labels(labels, n, "discriminate"))
