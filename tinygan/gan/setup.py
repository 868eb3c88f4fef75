"""``Setup``: a reference set-up's two networks, their optimisers and how to train them
(what ``tinygan.models.build`` returns), and ``Setup.gan()``, the GAN over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tinygan import nn
from tinygan.gan.algorithm import GAN
from tinygan.gan.conditional import ConditionalGAN

__all__ = ["Setup"]


@dataclass
class Setup:
    """A reference set-up: both networks, their optimisers and how to train them.

    Attributes:
        name: the set-up's name (``"gauss1d"`` ...), as the command line takes it.
        generator, discriminator, g_optimizer, d_optimizer: ready to train.
        latent_dim: the size of z.
        batch_size: real (and fake) samples per batch.
        steps: the default number of training steps of ``tinygan train``.
        data: ``"toy"`` (samples from ``target``) or ``"mnist"``.
        target: the toy distribution (``Gaussian1D``, ``Ring2D``, ``Grid2D``), else None.
        num_classes: labels given to both networks (cgan-mnist), else None.
        checkpoint_every: steps between periodic checkpoints in ``tinygan train``.
        g_scheduler: a learning-rate schedule for G (gauss1d's linear decay), else None.
        loss: the objective, ``"gan"`` or ``"wgan-gp"``; k: D steps per G step (n_critic).
        gp_weight: lambda, the weight of WGAN-GP's gradient penalty (unused by ``"gan"``).
    """

    name: str
    generator: nn.Module
    discriminator: nn.Module
    g_optimizer: Any
    d_optimizer: Any
    latent_dim: int
    batch_size: int
    steps: int
    data: str
    target: Any = None
    num_classes: int | None = None
    checkpoint_every: int = 1000
    g_scheduler: Any = None
    loss: str = "gan"
    k: int = 1
    gp_weight: float = 10.0

    def gan(self, k: int | None = None, generator_loss: str = "non_saturating",
            loss: str | None = None, gp_weight: float | None = None) -> GAN:
        """A ``GAN`` (or ``ConditionalGAN``) over this set-up's networks and optimisers, with
        the set-up's ``k``, ``loss`` and ``gp_weight`` unless given."""
        k, loss = self.k if k is None else k, self.loss if loss is None else loss
        if loss != "gan":
            return GAN(self.generator, self.discriminator, self.g_optimizer, self.d_optimizer,
                       self.latent_dim, k=k, generator_loss=generator_loss,
                       g_scheduler=self.g_scheduler, loss=loss,
                       gp_weight=self.gp_weight if gp_weight is None else gp_weight)
        if self.num_classes is not None:
            return ConditionalGAN(self.generator, self.discriminator, self.g_optimizer,
                                  self.d_optimizer, self.latent_dim, self.num_classes, k=k,
                                  generator_loss=generator_loss, g_scheduler=self.g_scheduler)
        return GAN(self.generator, self.discriminator, self.g_optimizer, self.d_optimizer,
                   self.latent_dim, k=k, generator_loss=generator_loss,
                   g_scheduler=self.g_scheduler)
