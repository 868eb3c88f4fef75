"""The reference set-ups: networks, optimisers, batch sizes and step counts, by name.

``build(name)`` returns a ``Setup``: both networks with fresh weights, their Adam optimisers and
the defaults ``tinygan train`` uses. One step of Algorithm 1 on the 1-D Gaussian:

    >>> tinygan.manual_seed(0)
    >>> setup = tinygan.models.build("gauss1d")
    >>> setup.latent_dim, setup.batch_size, setup.steps
    (8, 256, 3000)
    >>> setup.discriminator[0]
    Linear(in_features=1, out_features=32, bias=True)
    >>> gan = setup.gan()                       # a tinygan.GAN with k=1 and Eq. 5
    >>> history = gan.fit(setup.target, steps=20, batch_size=64, progress=False)
    >>> history["loss_d"].shape                 # one entry per step, for every term
    (20,)

The set-ups at a glance (docs/setups.md gives each in full)::

    name         data               G                                   D
    gauss1d      N(4, 1.25^2)       z in R^8 -> 32 -> 32 -> 1           1 -> 32 -> 32 -> 1
    ring2d       8 Gaussians, ring  z in R^16 -> 256 -> 256 -> 256 -> 2 packs of 4: 8 -> 256
    grid2d       25 Gaussians         (both)                              -> 256 -> 1 (both)
    mlp-mnist    MNIST in [-1, 1]   z in R^64 -> 256 -> 512 -> 784      784 -> 512 -> 256 -> 1
    dcgan-mnist  MNIST in [-1, 1]   z in R^100 -> 128x7x7 -> 64x14x14   64x14x14 -> 128x7x7
                                      -> 1x28x28 (transposed convs)       -> 1 (strided convs)
    cgan-mnist   MNIST + labels     mlp-mnist's, label embedded         mlp-mnist's + label

Hidden layers use LeakyReLU(0.2) (ReLU in DCGAN's generator, as Radford et al.); D outputs a
logit (no sigmoid: the losses take logits); MNIST generators end in Tanh and every MNIST
network takes and gives images of shape (N, 1, 28, 28). Optimisers are Adam with betas
(0.5, 0.999) throughout.

Choices beyond the published recipes:

- gauss1d, ring2d, grid2d: G's learning rate decays linearly to 0 while D's stays
  (``g_lr_decay``); with a constant rate the two networks oscillate around the target.
- ring2d / grid2d: G 3 x 256, D 2 x 256, a 16-d latent, batches of 512, Adam lr 1e-3, and a D
  that judges packs of 4 samples (``Pack``, PacGAN); the plain GAN (``pack=1``) drops modes.
  ``ring2d(pack=1, batch_size=64, lr=2e-3, g_lr_decay=False, steps=8000)`` collapses: G hops
  between modes (notebook 03).
- dcgan-mnist: the DCGAN initialisation (``dcgan_init``: weights N(0, 0.02^2), BatchNorm
  scales N(1, 0.02^2)).
- ``loss="wgan-gp"`` (ring2d, grid2d, mlp-mnist, dcgan-mnist; ``WGAN_GP``): WGAN-GP's defaults
  (Gulrajani et al. 2017, Algorithm 1): n_critic = k = 5 critic steps per G step, Adam lr 1e-4
  with betas (0.5, 0.9), lambda = 10, a critic without BatchNorm (dcgan-mnist's is dropped: the
  penalty is per sample) nor packing (``pack=1``); ring2d, grid2d: lr 1e-3, lambda = 1, ReLU.
- cgan-mnist: the label enters each network through its own learned ``Embedding(10, 10)``,
  concatenated to z (in G) and to the flattened image (in D), as PyTorch-GAN's cgan; an
  embedding is a one-hot vector times a trainable matrix, so it contains the one-hot choice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygan import nn
from tinygan.data import Gaussian1D, Grid2D, Ring2D
from tinygan.gan.networks import (
    LabelledDiscriminator,
    LabelledGenerator,
    Pack,
    dcgan_init,
    leaky,
    mlp,
)
from tinygan.gan.setup import Setup
from tinygan.gan.wasserstein import LOSSES
from tinygan.optim.lr_scheduler import LinearLR
from tinygan.optim.optimizers import Adam

__all__ = ["SETUPS", "WGAN_GP", "Pack", "Setup", "build", "cgan_mnist", "dcgan_init", "dcgan_mnist",
           "gauss1d", "grid2d", "mlp_mnist", "ring2d", "SUPERRES_SETUPS"]


def _adams(g: nn.Module, d: nn.Module, lr: float, betas: tuple[float, float]) -> tuple[Adam, Adam]:
    return Adam(g.parameters(), lr=lr, betas=betas), Adam(d.parameters(), lr=lr, betas=betas)


# WGAN-GP's defaults (Gulrajani et al. 2017, Algorithm 1); ring2d and grid2d take WGAN_TOY's
# (and ReLU networks, batches of 256, WGAN_TOY_STEPS steps), measured in docs/setups.md.
WGAN_GP = {"k": 5, "lr": 1e-4, "betas": (0.5, 0.9), "gp_weight": 10.0}
WGAN_TOY = {**WGAN_GP, "lr": 1e-3, "gp_weight": 1.0}
WGAN_SETUPS = ("ring2d", "grid2d", "mlp-mnist", "dcgan-mnist")
PACKED_SETUPS = ("ring2d", "grid2d", "mlp-mnist", "dcgan-mnist")  # those with a pack= option
WGAN_TOY_STEPS = 20000


def _hyper(loss: str, lr: float | None, betas: Any, gan_lr: float,
           wgan: dict[str, Any] = WGAN_GP) -> tuple[float, Any, int, float]:
    """Adam's lr and betas, k and lambda for ``loss`` (given lr and betas win); or ValueError."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if loss != "wgan-gp":
        wgan = {"k": 1, "lr": gan_lr, "betas": (0.5, 0.999), "gp_weight": WGAN_GP["gp_weight"]}
    return lr or wgan["lr"], betas or wgan["betas"], wgan["k"], wgan["gp_weight"]


def _toy(name: str, target: Any, latent_dim: int, g_sizes: list[int], d_sizes: list[int],
         lr: float | None, betas: Any, batch_size: int | None, steps: int | None,
         device: Any, pack: int | None = 1, g_lr_decay: bool = False, loss: str = "gan") -> Setup:
    lr, betas, k, gp_weight = _hyper(loss, lr, betas, 1e-3, WGAN_TOY)
    wgan = loss == "wgan-gp"  # its defaults: no packing, batch 256 (Gulrajani et al.'s toys)
    pack = (1 if wgan else 4) if pack is None else pack
    batch_size = (256 if wgan else 512) if batch_size is None else batch_size
    _packed(pack, "gan", batch_size)  # checked as the MNIST set-ups' (the toys' WGAN may pack)
    steps = (WGAN_TOY_STEPS if wgan else 24000) if steps is None else steps
    hidden = nn.ReLU if wgan else leaky
    g = mlp([latent_dim, *g_sizes], hidden, device=device)
    d = mlp([d_sizes[0] * pack, *d_sizes[1:]], hidden, device=device)
    if pack > 1:
        d = nn.Sequential(Pack(pack), *d)
    setup = Setup(name, g, d, *_adams(g, d, lr, betas), latent_dim, batch_size, steps, "toy",
                  target=target, checkpoint_every=max(100, steps // 5), loss=loss, k=k,
                  gp_weight=gp_weight)
    if g_lr_decay:
        setup.g_scheduler = LinearLR(setup.g_optimizer, 1.0, 0.0, total_iters=steps)
    return setup


def gauss1d(device: Any = None, lr: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999),
            batch_size: int = 256, steps: int = 3000, g_lr_decay: bool = True) -> Setup:
    """The 1-D Gaussian N(4, 1.25^2); G z in R^8 -> 32 -> 32 -> 1, D 1 -> 32 -> 32 -> 1 logit,
    LeakyReLU(0.2); batch 256; Adam lr 1e-3, betas (0.5, 0.999).

    With ``g_lr_decay`` (the default) G's learning rate falls linearly from ``lr`` to 0 over
    ``steps`` while D's stays at ``lr`` (``tinygan.optim.lr_scheduler.LinearLR``): with a
    constant rate the two networks oscillate around the target and never settle (W1 swings
    between about 0.02 and 0.3 from step to step).
    """
    return _toy("gauss1d", Gaussian1D(4.0, 1.25), 8, [32, 32, 1], [1, 32, 32, 1], lr, betas,
                batch_size, steps, device, g_lr_decay=g_lr_decay)


def ring2d(device: Any = None, lr: float | None = None, betas: Any = None,
           batch_size: int | None = None, steps: int | None = None, pack: int | None = None,
           g_lr_decay: bool = True, loss: str = "gan") -> Setup:
    """VEEGAN's ring of 8 Gaussians (radius 2, std 0.02).

    G z in R^16 -> 256 -> 256 -> 256 -> 2, D packs ``pack`` samples (``Pack``) -> 256 -> 256 -> 1,
    LeakyReLU(0.2); batch 512; Adam lr 1e-3, betas (0.5, 0.999), G's rate decayed linearly to 0.
    ``pack=1`` is the plain GAN, which drops modes (module docstring). 24,000 steps. With
    ``loss="wgan-gp"`` (``WGAN_TOY``): ReLU in both networks, k = 5, lambda = 1, Adam lr 1e-3,
    betas (0.5, 0.9), G's rate decayed, pack 1, batch 256, and ``WGAN_TOY_STEPS`` (20,000)
    steps. Options left at None take these defaults.
    """
    return _toy("ring2d", Ring2D(), 16, [256, 256, 256, 2], [2, 256, 256, 1], lr, betas,
                batch_size, steps, device, pack=pack, g_lr_decay=g_lr_decay, loss=loss)


def grid2d(device: Any = None, lr: float | None = None, betas: Any = None,
           batch_size: int | None = None, steps: int | None = None, pack: int | None = None,
           g_lr_decay: bool = True, loss: str = "gan") -> Setup:
    """VEEGAN's grid of 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.02; ring2d's design and
    defaults (with ``loss="wgan-gp"`` too)."""
    return _toy("grid2d", Grid2D(), 16, [256, 256, 256, 2], [2, 256, 256, 1], lr, betas,
                batch_size, steps, device, pack=pack, g_lr_decay=g_lr_decay, loss=loss)


def _packed(pack: int, loss: str, batch_size: int) -> int:
    """The pack size m of D's input (1: one sample), checked against the loss and the batch."""
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
        raise ValueError(f"pack must be a whole number of samples >= 1, got {pack!r}")
    if batch_size % pack:
        raise ValueError(f"pack={pack}: a batch of {batch_size} samples does not split into "
                         f"packs of {pack}; choose a batch size divisible by {pack}")
    if pack > 1 and loss == "wgan-gp":
        raise ValueError(f"pack={pack}: WGAN-GP's critic judges single samples (its penalty is "
                         "per sample); use pack=1 with loss='wgan-gp'")
    return pack


def mlp_mnist(device: Any = None, lr: float | None = None, betas: Any = None,
              batch_size: int = 128, steps: int = 10000, loss: str = "gan",
              pack: int = 1) -> Setup:
    """The MLP GAN on MNIST: G z in R^64 -> 256 -> 512 -> 784 (Tanh), D 784 -> 512 -> 256 -> 1,
    LeakyReLU(0.2); batch 128; Adam lr 2e-4, betas (0.5, 0.999); with ``loss="wgan-gp"``
    k = 5, lr 1e-4, betas (0.5, 0.9), lambda = 10. ``pack=m``: D judges packs of m images
    (``Pack``, PacGAN), its first layer 784 m -> 512."""
    lr, betas, k, gp_weight = _hyper(loss, lr, betas, 2e-4)
    pack = _packed(pack, loss, batch_size)
    g = mlp([64, 256, 512, 784], leaky, nn.Tanh(), device)
    g.append(nn.Unflatten(1, (1, 28, 28)))
    d = nn.Sequential(nn.Flatten(), *([Pack(pack)] if pack > 1 else []),
                      *mlp([784 * pack, 512, 256, 1], leaky, device=device))
    return Setup("mlp-mnist", g, d, *_adams(g, d, lr, betas), 64, batch_size, steps, "mnist",
                 loss=loss, k=k, gp_weight=gp_weight)


def dcgan_mnist(device: Any = None, lr: float | None = None, betas: Any = None,
                batch_size: int = 64, steps: int = 3000, loss: str = "gan",
                pack: int = 1) -> Setup:
    """DCGAN (Radford et al. 2016) sized for 28x28 MNIST, with ``dcgan_init``; batch 64, Adam
    lr 2e-4, betas (0.5, 0.999). Convolutions are (in, out, kernel 4, stride 2, padding 1):
    G z in R^100 -> 128x7x7 (Linear, BatchNorm1d, ReLU) -> ConvTranspose2d -> 64x14x14
    (BatchNorm2d, ReLU) -> ConvTranspose2d -> 1x28x28 (Tanh); D mirrors it with Conv2d and
    LeakyReLU(0.2), BatchNorm2d on the second, then Linear(6272, 1) to a logit. With
    ``loss="wgan-gp"``: D has no BatchNorm2d, k = 5, Adam lr 1e-4, betas (0.5, 0.9).
    ``pack=m``: D judges packs of m images stacked as channels (``Pack``, PacGAN), its first
    convolution m -> 64."""
    lr, betas, k, gp_weight = _hyper(loss, lr, betas, 2e-4)
    pack = _packed(pack, loss, batch_size)
    norm = [] if loss == "wgan-gp" else [nn.BatchNorm2d(128, device=device)]
    g = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7, device=device), nn.BatchNorm1d(128 * 7 * 7, device=device),
        nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, device=device), nn.BatchNorm2d(64, device=device),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, device=device), nn.Tanh(),
    )
    d = nn.Sequential(
        *([Pack(pack)] if pack > 1 else []),
        nn.Conv2d(pack, 64, 4, 2, 1, device=device), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, device=device), *norm, nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1, device=device),
    )
    dcgan_init(g)
    dcgan_init(d)
    return Setup("dcgan-mnist", g, d, *_adams(g, d, lr, betas), 100, batch_size, steps, "mnist",
                 checkpoint_every=500, loss=loss, k=k, gp_weight=gp_weight)


def cgan_mnist(device: Any = None, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
               batch_size: int = 128, steps: int = 10000) -> Setup:
    """mlp-mnist with the digit's label given to G and D through learned embeddings."""
    g = LabelledGenerator(64, 10, device)
    d = LabelledDiscriminator(10, device)
    return Setup("cgan-mnist", g, d, *_adams(g, d, lr, betas), 64, batch_size, steps, "mnist",
                 num_classes=10)


def _superres(name: str) -> Callable[..., Setup]:
    """A super-resolution set-up of ``tinygan/gan/superres_setups.py``, imported when it is
    built (that module builds on ``Setup``, so it cannot be imported here first)."""
    def build(**options: Any) -> Setup:
        from tinygan.gan import superres_setups

        return getattr(superres_setups, name.replace("-", "_"))(**options)

    build.__name__ = name.replace("-", "_")
    return build


SETUPS: dict[str, Callable[..., Setup]] = {
    "gauss1d": gauss1d,
    "ring2d": ring2d,
    "grid2d": grid2d,
    "mlp-mnist": mlp_mnist,
    "dcgan-mnist": dcgan_mnist,
    "cgan-mnist": cgan_mnist,
}

# The super-resolution set-ups: G maps a 7x7 image (not noise) to a 28x28 one, so they have no
# sample(n) and are kept apart from the GANs of SETUPS; build() and tinygan train know both.
SUPERRES_SETUPS: dict[str, Callable[..., Setup]] = {
    "srresnet-mnist": _superres("srresnet-mnist"),
    "srgan-mnist": _superres("srgan-mnist"),
}


def build(name: str, **options: Any) -> Setup:
    """The set-up called ``name`` (see ``SETUPS``), built with fresh weights from tinygan's
    seeded generator; ``options`` (device, lr, betas, batch_size, steps; ``loss="wgan-gp"``
    for the WGAN_SETUPS, and with it ``gp_weight``) override defaults."""
    if name in SUPERRES_SETUPS:
        if options.pop("loss", "gan") != "gan":
            raise ValueError(f"{name} has no wgan-gp set-up: its adversarial term is Eq. 5")
        return SUPERRES_SETUPS[name](**options)
    if name not in SETUPS:
        raise ValueError(f"unknown set-up {name!r}; valid set-ups: "
                         f"{', '.join([*SETUPS, *SUPERRES_SETUPS])}")
    loss, gp_weight = options.pop("loss", "gan"), options.pop("gp_weight", None)
    if name in WGAN_SETUPS:
        options["loss"] = loss
    elif loss != "gan":
        raise ValueError(f"{name} has no {loss} set-up; loss={loss!r} works with "
                         f"{', '.join(WGAN_SETUPS)}")
    if gp_weight is not None and loss != "wgan-gp":
        raise ValueError(f"gp_weight is the weight of WGAN-GP's gradient penalty; it needs "
                         f"loss='wgan-gp', got loss={loss!r}")
    setup = SETUPS[name](**options)
    setup.gp_weight = setup.gp_weight if gp_weight is None else gp_weight
    return setup
