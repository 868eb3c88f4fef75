"""Lessons 2-5, the GAN: the chapter's equations, Algorithm 1 and the reference set-ups.

Read in this order:

* ``losses.py``: Eq. 1-5 of the GAN chapter, one named function each, from D's logits (and
  the least-squares GAN's two); ``wasserstein.py``: the WGAN critic and generator losses, the
  gradient penalty and R1;
* ``algorithm.py``: ``GAN``, Goodfellow et al.'s Algorithm 1 (k D steps, then one G step
  through a frozen D), every term of a step returned;
* ``conditional.py``: ``ConditionalGAN``, the labels given to both players;
* ``training.py``: the loop around a step (progress, callbacks, Ctrl-C, the NaN stop);
* ``checkpoint.py``: what a GAN's checkpoint holds, restored all or nothing;
* ``recipes.py``: switches beside Algorithm 1, all off in ``setup.gan()``: a moving average of
  G's weights for sampling (EMA), one-sided label smoothing, two time-scale learning rates, a
  late decay of both rates; and
  ``DEFAULT_RUNS``, the recipe ``tinygan train`` adds for a set-up's default run;
* ``models.py``: the reference set-ups (gauss1d, ring2d, grid2d, mlp-mnist, dcgan-mnist,
  cgan-mnist) with their documented choices, built from ``networks.py`` (MLPs, PacGAN's
  ``Pack``, DCGAN's initialisation, the conditional networks); each is a ``Setup``
  (``setup.py``);
* ``superres.py``, ``superres_networks.py``, ``superres_setups.py``: the super-resolution GAN
  (SRResNet and SRGAN on MNIST digits upscaled x4);
* ``pretrained.py``: ``tinygan.pretrained(name)``, the shipped MNIST generators.
"""

# models imports the set-ups' layers and data, so it comes last.
from tinygan.gan import (
    losses,
    models,  # noqa: E402, I001
)
from tinygan.gan.algorithm import GAN, frozen
from tinygan.gan.conditional import ConditionalGAN
from tinygan.gan.training import NonFiniteLossError, StepRecord, TrainingInterrupted

__all__ = [
    "GAN",
    "ConditionalGAN",
    "NonFiniteLossError",
    "StepRecord",
    "TrainingInterrupted",
    "frozen",
    "losses",
    "models",
]
