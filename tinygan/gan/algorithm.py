"""``GAN``: Goodfellow et al.'s Algorithm 1, one readable step at a time.

Algorithm 1 (Goodfellow et al., 2014), for each training step::

    for k steps:                                   # the discriminator's turn   (d_step)
        sample m real x and m noise z; fakes G(z) are detached from G
        update D by descending Eq. 1:  L_D = -mean log D(x) - mean log(1 - D(G(z)))
    sample m fresh noise z                         # the generator's turn       (g_step)
    update G by descending Eq. 5 (default), -mean log D(G(z)), or Eq. 2, through a frozen D

Eq. 4 of the chapter, theta_G* = argmin_G max_D V(G, D), is this loop run with
``generator_loss="zero_sum"``: D ascends V (descends Eq. 1), G descends V (Eq. 2 = -Eq. 1 as a
function of G). The default ``"non_saturating"`` (Eq. 5) is the chapter's fix for the vanishing
gradient of Eq. 2 when D(G(z)) -> 0. Both losses are chosen in one place, ``GAN.d_loss`` and
``GAN.g_loss``.

With ``loss="wgan-gp"`` the same loop is WGAN-GP's (Gulrajani et al. 2017; n_critic = k): D, a
critic, descends E D(G(z)) - E D(x) + its gradient penalty, G -E D(G(z)) (gan/wasserstein.py).

Each phase changes only its own network. In the D step, G runs under ``no_grad`` (no graph, so
the fakes are detached). In the G step, D is *frozen* (``frozen`` below): its parameters stop
requiring gradients, so backward passes through D to G but leaves D's ``.grad`` alone, and the
D optimizer is not stepped. BatchNorm layers still normalise with the batch's statistics (train
mode, as D saw fakes in its own step), and their running statistics, which train-mode
BatchNorm updates on every forward pass, are copied before and restored after: we chose
save-and-restore over a special BatchNorm mode because it works with any layer that keeps
buffers and leaves the layers themselves simple. G's running statistics are likewise left
alone while G makes the D step's fakes, so each network's statistics move only in its own step.

An update is kept only if it is finite (``kept_if_finite``): if the loss, the gradient, the new
parameters or the optimizer's new state hold a NaN or an infinity, the network and its
optimizer are put back as they were and ``NonFiniteLossError`` says what went bad.

    >>> import tinygan
    >>> tinygan.manual_seed(0)
    >>> setup = tinygan.models.build("gauss1d", steps=20)
    >>> gan = setup.gan()                                 # k = 1, Eq. 5
    >>> record = gan.step(setup.target.sample(64))        # one step; every term of the chapter
    >>> record.step, 0 < record.d_real < 1, 0 < record.d_fake < 1
    (1, True, True)
    >>> history = gan.fit(setup.target, steps=19, batch_size=64, progress=False)
    >>> history["loss_d"].shape, gan.global_step
    ((20,), 20)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor
from tinygan.gan import losses, recipes, wasserstein
from tinygan.gan.checkpoint import gan_state_dict, load_gan_state_dict
from tinygan.gan.training import (
    NonFiniteLossError,
    StepRecord,
    TrainingInterrupted,
    evaluating,
    fit_loop,
    k_batches,
    kept_if_finite,
)
from tinygan.nn.module import Module

__all__ = ["GAN", "NonFiniteLossError", "StepRecord", "TrainingInterrupted", "frozen"]

GENERATOR_LOSSES = ("non_saturating", "zero_sum")


@contextlib.contextmanager
def frozen(module: Module) -> Iterator[Module]:
    """Freeze ``module`` for the other player's step: no gradients into its parameters, and its
    buffers (BatchNorm running statistics) exactly as before when the block ends."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    saved = [(b, b.data.copy()) for b in module.buffers()]
    for p, _ in flags:  # module.requires_grad_(False), without walking the module again
        p.requires_grad = False
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad = flag
        for b, array in saved:
            b.data = array


class GAN:
    """A generator G and a discriminator D trained by Algorithm 1 (see the module docstring).

    Args:
        generator: G, a Module mapping noise z of shape (m, latent_dim) to samples.
        discriminator: D, a Module mapping samples to logits of shape (m, 1) (no sigmoid).
        g_optimizer, d_optimizer: optimizers over G's and D's parameters.
        latent_dim: the size of z; z ~ N(0, I) from tinygan's seeded generator.
        k: discriminator steps per generator step (the paper used k = 1).
        generator_loss: ``"non_saturating"`` (Eq. 5, default) or ``"zero_sum"`` (Eq. 2; with it
            the loop is the minimax game of Eq. 4).
        device: where z is drawn; default the device of G's parameters.
        loss: ``"gan"`` (Eq. 1 for D, default) or ``"wgan-gp"`` (the Wasserstein critic with
            the gradient penalty of weight ``gp_weight``, lambda; G then descends -E D(G(z))).
        g_scheduler, d_scheduler: optional learning-rate schedules (``tinygan.lr_scheduler``),
            stepped once after every training step.
        ema: beta of a moving average of G's weights that ``sample`` draws from (None: off;
            ``gan.generator`` is always the raw G); label_smoothing: alpha, D's real target
            1 - alpha (0: Eq. 1); r1_gamma: gamma, D descends Eq. 1 + gamma / 2 E ||grad_x
            D(x)||^2 on the real batch (0: off). See gan/recipes.py.
    """

    conditional = False

    def __init__(
        self,
        generator: Module,
        discriminator: Module,
        g_optimizer: Any,
        d_optimizer: Any,
        latent_dim: int,
        k: int = 1,
        generator_loss: str = "non_saturating",
        device: Any = None,
        g_scheduler: Any = None,
        d_scheduler: Any = None,
        loss: str = "gan", gp_weight: float = 10.0,
        ema: float | None = None, label_smoothing: float = 0.0, r1_gamma: float = 0.0,
    ) -> None:
        for name, m in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(m, Module):
                raise TypeError(f"GAN: {name} must be a tinygan.nn.Module, got {type(m).__name__}")
        for name, v in (("k (discriminator steps per generator step)", k),
                        ("latent_dim", latent_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"GAN: {name} must be an integer >= 1, got {v!r}")
        if loss != "gan":  # its own checks; G then descends -E D(G(z))
            generator_loss = wasserstein.check_objective(loss, generator_loss, gp_weight,
                                                         discriminator)
        elif generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"GAN: generator_loss must be one of {GENERATOR_LOSSES}, got "
                             f"{generator_loss!r}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim, self.k, self.generator_loss = latent_dim, k, generator_loss
        self.loss, self.gp_weight = loss, float(gp_weight)
        self.label_smoothing = recipes.check_label_smoothing(label_smoothing, loss)
        self.r1_gamma = recipes.check_r1_gamma(r1_gamma, loss)
        self.ema = None if ema is None else recipes.EMA(generator, ema)
        self.g_scheduler, self.d_scheduler = g_scheduler, d_scheduler
        if device is None:
            first = next(iter(generator.parameters()), None)
            device = first.device if first is not None else backend.get_default_device()
        self.device = backend.get_device(device)
        self.global_step = 0
        self._history: dict[str, list[float]] = {}
        self._last_real: tuple[Tensor, tuple] | None = None  # for Eq. 2's first term in g_step

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(latent_dim={self.latent_dim}, k={self.k}, "
                f"generator_loss={self.generator_loss!r}, loss={self.loss!r}, "
                f"step={self.global_step})")

    # -- what D is shown (a conditional GAN overrides these two, adding the labels) --------------
    def real_inputs(self, batch: Any) -> tuple[Tensor, tuple]:
        """A real batch as (x, the extra inputs D takes with it): here none, ``(x, ())``."""
        if not isinstance(batch, Tensor):
            raise TypeError(f"{type(self).__name__}.step: a real batch must be a Tensor, got "
                            f"{type(batch).__name__}")
        if batch.device != self.device:
            raise ValueError(f"GAN.d_step: the real batch is on {batch.device.name}, the GAN on "
                             f"{self.device.name}; move the data with .to(...)")
        return batch, ()

    def sample_fakes(self, n: int) -> tuple[Tensor, tuple]:
        """n fakes G(z) from fresh noise z, and the extra inputs D judges them with (none)."""
        return self.generator(self.noise(n)), ()

    # -- the losses: the one place they are chosen ------------------------------------------------
    def d_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """The loss D descends: Eq. 1 (with real targets 1 - alpha under ``label_smoothing``),
        or the Wasserstein critic's (d_step adds its penalty)."""
        if self.loss == "wgan-gp":
            return losses.critic_loss(real_logits, fake_logits)
        if self.label_smoothing:  # one-sided: real targets 1 - alpha
            return losses.discriminator_loss_smoothed(real_logits, fake_logits,
                                                      self.label_smoothing)
        return losses.discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits: Tensor) -> Tensor:
        """The loss G descends: Eq. 5, Eq. 2's term in G (``zero_sum``) or -E D(G(z))."""
        if self.generator_loss == "wasserstein":
            return losses.generator_loss_wasserstein(fake_logits)
        if self.generator_loss == "non_saturating":
            return losses.generator_loss_non_saturating(fake_logits)
        return losses.log_one_minus_d(fake_logits).mean()

    # -- noise ------------------------------------------------------------------------------------
    def noise(self, n: int, seed: int | None = None) -> Tensor:
        """z ~ N(0, I) of shape (n, latent_dim) on the GAN's device: from tinygan's seeded
        generator, or from a private generator seeded with ``seed`` (which leaves the training
        stream of random numbers untouched: use it for pictures and evaluation)."""
        shape = (int(n), self.latent_dim)
        if seed is None:
            return Tensor(backend.randn(shape, device=self.device))
        rng = self.device.xp.random.default_rng(seed)
        return Tensor(rng.standard_normal(shape, dtype=backend.get_default_dtype()))

    # -- Algorithm 1 ------------------------------------------------------------------------------
    def d_step(self, real: Any) -> dict[str, float]:
        """One discriminator update on a real batch and a detached fake batch of the same size.

        Returns Eq. 1's terms before the update: loss_d, d_real, d_fake, grad_norm_d (and
        WGAN-GP's: wasserstein, gradient_penalty, critic_grad_norm; with R1 its r1_penalty).
        """
        x, cond = self.real_inputs(real)
        with no_grad(), frozen(self.generator):  # detached from G: no graph back into G
            fake, fake_cond = self.sample_fakes(len(x))
        with self._kept_if_finite("discriminator", "loss_d") as terms:
            real_logits = self.discriminator(x, *cond)
            fake_logits = self.discriminator(fake, *fake_cond)
            loss = self.d_loss(real_logits, fake_logits)  # Eq. 1, or the critic's loss
            if self.loss == "wgan-gp":  # + the penalty on interpolates of x and the fakes
                loss = wasserstein.penalised(loss, terms, self.discriminator, x, fake, *cond,
                                             weight=self.gp_weight)
            if self.r1_gamma:  # + gamma / 2 E ||grad_x D(x)||^2 on the real batch (R1)
                penalty = wasserstein.r1_penalty(self.discriminator, x, *cond,
                                                 gamma=self.r1_gamma)
                terms.update(r1_penalty=penalty)
                loss = loss + penalty
            terms.update(loss_d=loss, d_real=real_logits.sigmoid().mean(),
                         d_fake=fake_logits.sigmoid().mean())
            self.d_optimizer.zero_grad()
            loss.backward()
            self.d_optimizer.step()
        self._last_real = (x, cond)
        return terms

    def g_step(self, n: int) -> dict[str, float]:
        """One generator update on ``n`` fresh noise samples, through the frozen D.

        Returns loss_g_non_saturating (Eq. 5), loss_g_zero_sum (Eq. 2) and grad_norm_g.
        """
        used = "loss_g_" + self.generator_loss
        with frozen(self.discriminator), self._kept_if_finite("generator", used) as terms:
            fake, fake_cond = self.sample_fakes(n)
            fake_logits = self.discriminator(fake, *fake_cond)
            loss = self.g_loss(fake_logits)  # Eq. 5, or Eq. 2
            terms.update(self._generator_terms(fake_logits))
            self.g_optimizer.zero_grad()
            loss.backward()
            self.g_optimizer.step()
        if self.ema is not None:  # theta_ema <- beta theta_ema + (1 - beta) theta_G
            self.ema.update()
        return terms

    def step(self, real: Any) -> StepRecord:
        """One step of Algorithm 1: k D updates (one real batch each), then one G update.

        Args:
            real: a real batch when k = 1 (for a conditional GAN, an ``(x, labels)`` pair); a
                list of k batches when k > 1.

        Returns:
            a ``StepRecord`` with every term of the chapter at this step.
        """
        batches = k_batches(self, real)
        self.generator.train()
        self.discriminator.train()
        d_terms = [self.d_step(b) for b in batches]
        d = {key: sum(t[key] for t in d_terms) / len(d_terms) for key in d_terms[0]}
        g = self.g_step(len(self._last_real[0]))
        for scheduler in (self.g_scheduler, self.d_scheduler):
            if scheduler is not None:
                scheduler.step()
        self.global_step += 1
        value = -(d["loss_d"] - d.get("r1_penalty", 0.0))  # Eq. 3, V = -Eq. 1 (R1 not in V)
        record = StepRecord(step=self.global_step, value=value, **d, **g)
        for key, v in record.items():
            self._history.setdefault(key, []).append(v)
        return record

    # -- the bookkeeping beside the algorithm -----------------------------------------------------
    def _kept_if_finite(self, who: str, loss_key: str) -> Any:
        """``kept_if_finite`` for ``who``'s update ("discriminator" or "generator") now."""
        module, optimizer = ((self.discriminator, self.d_optimizer) if who == "discriminator"
                             else (self.generator, self.g_optimizer))
        return kept_if_finite(self.global_step + 1, who, module, optimizer, loss_key)

    def _generator_terms(self, fake_logits: Tensor) -> dict[str, float]:
        """The generator losses of the record, whichever G descends: Eq. 5, and Eq. 2 =
        E log D(x) + E log(1 - D(G(z))), its first term from D on the last real batch (NaN
        before any D step), as only the second depends on G; with WGAN-GP also -E D(G(z))."""
        with no_grad():
            real_term = float("nan")
            if self._last_real is not None:
                x, cond = self._last_real
                real_term = losses.log_d(self.discriminator(x, *cond)).mean().item()
            return {"loss_g_non_saturating":
                    losses.generator_loss_non_saturating(fake_logits).item(),
                    "loss_g_zero_sum": real_term + losses.log_one_minus_d(fake_logits).mean()
                    .item(), **({"loss_g_wasserstein": -fake_logits.mean().item()}
                                if self.generator_loss == "wasserstein" else {})}

    # -- many steps -------------------------------------------------------------------------------
    def fit(self, data: Any, steps: int, *, batch_size: int | None = None,
            callbacks: Sequence[Any] = (), progress: bool = True) -> dict[str, numpy.ndarray]:
        """Run ``steps`` more steps of Algorithm 1 and return the whole history.

        ``data`` gives the real batches (k per step): a distribution with ``.sample(n,
        device=...)`` such as ``tinygan.data.Gaussian1D()`` (then ``batch_size`` is needed), an
        iterator of batches (``tinygan.data.infinite_batches(images, 128)``), or a function
        returning one. ``callbacks`` are called as ``callback(gan, record)`` after every step;
        one that returns True stops training. ``progress`` shows a tqdm bar with L_D, L_G,
        D(x) and D(G(z)).

        Raises:
            NonFiniteLossError: a loss, gradient, parameter or optimizer state became NaN or
                infinite (that update was undone; see the error for what the networks hold).
            TrainingInterrupted: Ctrl-C or SIGTERM; the step under way was finished first, so
                the GAN is at a step boundary and can be saved and resumed exactly.
        """
        fit_loop(self, data, steps, batch_size, callbacks, progress)
        return self.history

    @property
    def history(self) -> dict[str, numpy.ndarray]:
        """Every term of every step so far, one NumPy array per name (``history["loss_d"]``)."""
        return {k: numpy.asarray(v, dtype=numpy.int64 if k == "step" else numpy.float64)
                for k, v in self._history.items()}

    # -- using the trained networks ---------------------------------------------------------------
    @property
    def sampling_generator(self) -> Module:
        """What ``sample`` draws from: G's moving average with ``ema``, else G itself."""
        return self.generator if self.ema is None else self.ema.averaged

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """n samples G(z), G (its average with ``ema``) in eval mode, no graph. ``seed``: see
        ``noise``."""
        with evaluating(self.sampling_generator):
            return self.sampling_generator(self.noise(n, seed))

    def discriminate(self, x: Any, labels: Any = None) -> numpy.ndarray:
        """D's probability that each row of ``x`` is real, as a NumPy array (D in eval mode)."""
        if not isinstance(x, Tensor):
            x = Tensor(backend.to_device(numpy.asarray(x, dtype=backend.get_default_dtype()),
                                         self.device))
        extra = () if labels is None else (labels,)
        with evaluating(self.discriminator):
            return self.discriminator(x, *extra).sigmoid().numpy().reshape(-1)

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: both networks, both optimizers, the step, the
        random generators' states and the history (save it with ``tinygan.save``)."""
        return gan_state_dict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` (e.g. from ``tinygan.load``), random state included.

        All or nothing: every value is checked against what it replaces first (a float
        parameter takes only floating-point values), and if loading still fails part-way the
        GAN is put back as it was. Errors are ``ValueError`` exceptions naming the part and key.
        """
        try:
            load_gan_state_dict(self, state)
        except ValueError as exc:
            raise type(exc)(f"GAN.load_state_dict: {exc}") from None
