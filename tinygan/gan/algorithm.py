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
gradient of Eq. 2 when D(G(z)) -> 0.

Each phase changes only its own network. In the D step, G runs under ``no_grad`` (no graph, so
the fakes are detached). In the G step, D is *frozen* (``frozen`` below): its parameters stop
requiring gradients, so backward passes through D to G but leaves D's ``.grad`` alone, and the
D optimizer is not stepped. BatchNorm layers still normalise with the batch's statistics (train
mode, as D saw fakes in its own step), and their running statistics, which train-mode
BatchNorm updates on every forward pass, are copied before and restored after: we chose
save-and-restore over a special BatchNorm mode because it works with any layer that keeps
buffers and leaves the layers themselves simple. G's running statistics are likewise left
alone while G makes the D step's fakes, so each network's statistics move only in its own step.

    >>> gan = GAN(G, D, Adam(G.parameters(), ...), Adam(D.parameters(), ...), latent_dim=8)
    >>> record = gan.step(real_batch)       # one step; every term of the chapter
    >>> record.loss_d, record.d_real, record.d_fake
    >>> history = gan.fit(Gaussian1D(), steps=3000, batch_size=256)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor
from tinygan.gan import losses
from tinygan.gan.training import (
    NonFiniteLossError,
    StepRecord,
    TrainingInterrupted,
    fit_loop,
    get_rng_state,
    set_rng_state,
)
from tinygan.nn.module import Module

__all__ = ["GAN", "NonFiniteLossError", "StepRecord", "TrainingInterrupted", "frozen"]

GENERATOR_LOSSES = ("non_saturating", "zero_sum")


@contextlib.contextmanager
def frozen(module: Module) -> Iterator[Module]:
    """Freeze ``module`` for the other player's step: no gradients into its parameters, and its
    buffers (BatchNorm running statistics) exactly as before when the block ends."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    saved = [(b, b.data.copy()) for _, b in module.named_buffers()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad = flag
        for b, array in saved:
            b.data = array


@contextlib.contextmanager
def _buffers_undone_on_failure(module: Module) -> Iterator[None]:
    """If a NaN stops the step, put back the running statistics its forward passes moved, so
    the network is left exactly as the last good step left it."""
    saved = [(b, b.data.copy()) for _, b in module.named_buffers()]
    try:
        yield
    except NonFiniteLossError:
        for b, array in saved:
            b.data = array
        raise


def _grad_norm(module: Module) -> float:
    """sqrt(sum of every squared gradient entry of ``module``): the length of its gradient."""
    total = 0.0
    for p in module.parameters():
        if p.grad is not None:
            total += float((p.grad.astype(numpy.float64) ** 2).sum())
    return total**0.5


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
        g_scheduler, d_scheduler: optional learning-rate schedules (``tinygan.lr_scheduler``),
            stepped once after every training step.
    """

    conditional = False
    batch_kind = "a Tensor"  # what one real batch is, for error messages

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
    ) -> None:
        for name, m in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(m, Module):
                raise TypeError(f"GAN: {name} must be a tinygan.nn.Module, got {type(m).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"GAN: k (discriminator steps per generator step) must be an "
                             f"integer >= 1, got {k!r}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"GAN: generator_loss must be one of {GENERATOR_LOSSES}, got "
                             f"{generator_loss!r}")
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"GAN: latent_dim must be a positive integer, got {latent_dim!r}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim, self.k, self.generator_loss = latent_dim, k, generator_loss
        self.g_scheduler, self.d_scheduler = g_scheduler, d_scheduler
        if device is None:
            first = next(iter(generator.parameters()), None)
            device = first.device if first is not None else backend.get_default_device()
        self.device = backend.get_device(device)
        self.global_step = 0
        self._history: dict[str, list[float]] = {}
        self._last_real: tuple[Tensor, Any] | None = None  # for Eq. 2's first term in g_step

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(latent_dim={self.latent_dim}, k={self.k}, "
                f"generator_loss={self.generator_loss!r}, step={self.global_step})")

    # -- the pieces a conditional GAN changes -----------------------------------------------------
    def _split(self, batch: Any) -> tuple[Tensor, Any]:
        """A real batch as (x, condition); the plain GAN has no condition."""
        if not isinstance(batch, Tensor):
            raise TypeError(f"GAN.step: a real batch must be a Tensor, got {type(batch).__name__}")
        return batch, None

    def _is_one_batch(self, real: Any) -> bool:
        return isinstance(real, Tensor)

    def _fake_condition(self, n: int) -> Any:
        return None

    def _G(self, z: Tensor, cond: Any) -> Tensor:
        return self.generator(z)

    def _D(self, x: Tensor, cond: Any) -> Tensor:
        return self.discriminator(x)

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
    def _real_batches(self, real: Any) -> list[Any]:
        if self._is_one_batch(real):
            if self.k > 1:
                raise ValueError(
                    f"GAN.step: k={self.k} discriminator steps need {self.k} real batches, one "
                    f"for each (Algorithm 1 draws a fresh batch per D step), but one batch was "
                    f"given; pass a list of {self.k} batches, or use fit(), which draws them"
                )
            return [real]
        if not isinstance(real, Sequence) or not all(self._is_one_batch(b) for b in real):
            raise TypeError(f"{type(self).__name__}.step: expected one real batch "
                            f"({self.batch_kind}) when k = 1, or a list of k of them; got "
                            f"{type(real).__name__}")
        if len(real) != self.k:
            raise ValueError(f"GAN.step: k={self.k} needs {self.k} real batches, got {len(real)}")
        return list(real)

    def d_step(self, real: Any) -> dict[str, float]:
        """One discriminator update on a real batch and a detached fake batch of the same size.

        Returns Eq. 1's terms before the update: loss_d, d_real, d_fake, grad_norm_d.
        """
        x, cond = self._split(real)
        if x.device != self.device:
            raise ValueError(f"GAN.d_step: the real batch is on {x.device.name}, the GAN on "
                             f"{self.device.name}; move the data with .to(...)")
        n = len(x)
        z = self.noise(n)
        fake_cond = self._fake_condition(n)
        with no_grad(), frozen(self.generator):  # detached from G: no graph back into G
            fake = self._G(z, fake_cond)
        self.d_optimizer.zero_grad()
        with _buffers_undone_on_failure(self.discriminator):
            real_logits = self._D(x, cond)
            fake_logits = self._D(fake, fake_cond)
            loss = losses.discriminator_loss(real_logits, fake_logits)
            terms = {"loss_d": loss.item(),
                     "d_real": float(real_logits.sigmoid().mean().item()),
                     "d_fake": float(fake_logits.sigmoid().mean().item())}
            self._check("the discriminator loss (Eq. 1)", terms, ["loss_d"])
            loss.backward()
            terms["grad_norm_d"] = _grad_norm(self.discriminator)
            self._check("the discriminator's gradient", terms, ["grad_norm_d"])
        self.d_optimizer.step()
        self._last_real = (x, cond)
        return terms

    def g_step(self, n: int) -> dict[str, float]:
        """One generator update on ``n`` fresh noise samples, through the frozen D.

        Returns loss_g_non_saturating (Eq. 5), loss_g_zero_sum (Eq. 2) and grad_norm_g.
        """
        z = self.noise(n)
        fake_cond = self._fake_condition(n)
        self.g_optimizer.zero_grad()
        with _buffers_undone_on_failure(self.generator), frozen(self.discriminator):
            fake_logits = self._D(self._G(z, fake_cond), fake_cond)
            loss_ns = losses.generator_loss_non_saturating(fake_logits)
            # Eq. 2 = E log D(x) + E log(1 - D(G(z))): only the second term depends on G, so G's
            # gradient comes from it alone; the first is D's output on the last real batch.
            real_term = float("nan")  # no real batch seen yet (g_step called first)
            if self._last_real is not None:
                with no_grad():
                    real_term = losses.log_d(self._D(*self._last_real)).mean().item()
            fake_term = losses.log_one_minus_d(fake_logits).mean()
            terms = {"loss_g_non_saturating": loss_ns.item(),
                     "loss_g_zero_sum": real_term + fake_term.item()}
            used = loss_ns if self.generator_loss == "non_saturating" else fake_term
            key = "loss_g_" + self.generator_loss
            self._check(f"the generator loss ({'Eq. 5' if key.endswith('ing') else 'Eq. 2'})",
                        terms, [key])
            used.backward()
            terms["grad_norm_g"] = _grad_norm(self.generator)
            self._check("the generator's gradient", terms, ["grad_norm_g"])
        self.g_optimizer.step()
        return terms

    def step(self, real: Any) -> StepRecord:
        """One step of Algorithm 1: k D updates (one real batch each), then one G update.

        Args:
            real: a real batch when k = 1 (for a conditional GAN, an ``(x, labels)`` pair); a
                list of k batches when k > 1.

        Returns:
            a ``StepRecord`` with every term of the chapter at this step.
        """
        batches = self._real_batches(real)
        self.generator.train()
        self.discriminator.train()
        d_terms = [self.d_step(b) for b in batches]
        d = {key: sum(t[key] for t in d_terms) / len(d_terms) for key in d_terms[0]}
        g = self.g_step(len(self._split(batches[-1])[0]))
        for scheduler in (self.g_scheduler, self.d_scheduler):
            if scheduler is not None:
                scheduler.step()
        self.global_step += 1
        record = StepRecord(step=self.global_step, loss_d=d["loss_d"],
                            loss_g_zero_sum=g["loss_g_zero_sum"], value=-d["loss_d"],
                            loss_g_non_saturating=g["loss_g_non_saturating"],
                            d_real=d["d_real"], d_fake=d["d_fake"],
                            grad_norm_g=g["grad_norm_g"], grad_norm_d=d["grad_norm_d"])
        for key, v in record.items():
            self._history.setdefault(key, []).append(v)
        return record

    def _check(self, what: str, terms: dict[str, float], keys: list[str]) -> None:
        """Stop before any update is made from a NaN or infinite loss or gradient."""
        bad = [k for k in keys if not numpy.isfinite(terms[k])]
        if bad:
            raise NonFiniteLossError(self.global_step + 1, what, terms)

    # -- many steps -------------------------------------------------------------------------------
    def fit(self, data: Any, steps: int, *, batch_size: int | None = None,
            callbacks: Sequence[Any] = (), progress: bool = True) -> dict[str, numpy.ndarray]:
        """Run ``steps`` more steps of Algorithm 1 and return the whole history.

        Args:
            data: where real batches come from: a distribution with ``.sample(n, device=...)``
                (e.g. ``tinygan.data.Gaussian1D()``; needs ``batch_size``), an iterator of
                batches (e.g. ``tinygan.data.infinite_batches(images, 128)``), or a function
                returning a batch. k batches are drawn per step.
            steps: how many steps to run.
            batch_size: samples per batch, for a distribution.
            callbacks: functions ``callback(gan, record)`` called after every step; one that
                returns True stops training.
            progress: show a tqdm progress bar with L_D, L_G, D(x) and D(G(z)).

        Raises:
            NonFiniteLossError: a loss or gradient became NaN or infinite (no update was made
                from it; see the error for what the networks hold).
            TrainingInterrupted: Ctrl-C; the step under way was finished first, so the GAN is
                at a step boundary and can be saved and resumed exactly.
        """
        fit_loop(self, data, steps, batch_size, callbacks, progress)
        return self.history

    @property
    def history(self) -> dict[str, numpy.ndarray]:
        """Every term of every step so far, one NumPy array per name (``history["loss_d"]``)."""
        return {k: numpy.asarray(v, dtype=numpy.int64 if k == "step" else numpy.float64)
                for k, v in self._history.items()}

    # -- using the trained networks ---------------------------------------------------------------
    @contextlib.contextmanager
    def _evaluating(self, module: Module) -> Iterator[None]:
        mode = module.training
        module.eval()
        try:
            with no_grad():
                yield
        finally:
            module.train(mode)

    def sample(self, n: int, seed: int | None = None) -> Tensor:
        """n samples G(z), G in eval mode, no graph. ``seed``: see ``noise``."""
        with self._evaluating(self.generator):
            return self._G(self.noise(n, seed), None)

    def discriminate(self, x: Any, labels: Any = None) -> numpy.ndarray:
        """D's probability that each row of ``x`` is real, as a NumPy array (D in eval mode)."""
        if not isinstance(x, Tensor):
            x = Tensor(backend.to_device(numpy.asarray(x, dtype=backend.get_default_dtype()),
                                         self.device))
        with self._evaluating(self.discriminator):
            return self._D(x, labels).sigmoid().numpy().reshape(-1)

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: both networks, both optimizers, the step, the
        random generators' states and the history (save it with ``tinygan.save``)."""
        rng = {"cpu": get_rng_state(backend.generator("cpu"))}
        if self.device.name != "cpu":
            rng[self.device.name] = get_rng_state(backend.generator(self.device))
        schedulers = {name: s.state_dict() for name, s in (("g_scheduler", self.g_scheduler),
                                                            ("d_scheduler", self.d_scheduler))
                      if s is not None}
        return {**schedulers, "generator": self.generator.state_dict(),
                "discriminator": self.discriminator.state_dict(),
                "g_optimizer": self.g_optimizer.state_dict(),
                "d_optimizer": self.d_optimizer.state_dict(),
                "step": self.global_step, "rng": rng,
                "history": {k: numpy.asarray(v) for k, v in self.history.items()},
                "config": {"latent_dim": self.latent_dim, "k": self.k,
                           "generator_loss": self.generator_loss,
                           "conditional": self.conditional}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` (e.g. from ``tinygan.load``), random state included."""
        missing = {"generator", "discriminator", "g_optimizer", "d_optimizer", "step"} - set(state)
        if missing:
            raise ValueError(f"GAN.load_state_dict: not a GAN checkpoint, missing "
                             f"{sorted(missing)}")
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        for name in ("g_scheduler", "d_scheduler"):
            scheduler = getattr(self, name)
            if (scheduler is None) != (name not in state):
                has = "has" if name in state else "has no"
                mine = "has none" if scheduler is None else "has one"
                raise ValueError(f"GAN.load_state_dict: the checkpoint {has} {name}, this GAN "
                                 f"{mine}")
            if scheduler is not None:
                scheduler.load_state_dict(state[name])
        self.global_step = int(state["step"])
        for name, value in state.get("rng", {}).items():
            if name == "cpu" or name == self.device.name:
                set_rng_state(backend.generator(name), value)
        self._history = {k: numpy.asarray(v).tolist() for k, v in state.get("history", {}).items()}
