"""Training recipes beside Algorithm 1, each a switch that is off unless asked for.

* ``EMA``: an exponential moving average of G's weights, the generator ``GAN.sample`` draws from
  (Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training")::

      theta_ema <- beta * theta_ema + (1 - beta) * theta_G        after every G update

  ``tinygan.GAN(..., ema=0.999)``, ``with_recipes(setup.gan(), ema=0.999)``, ``tinygan train
  --ema 0.999``. The GAN keeps training the raw G (``gan.generator``, which also makes the D
  step's fakes); ``gan.sample``, the pictures and the metrics use the average
  (``gan.sampling_generator``); inside ``with raw_generator(gan):`` they use the raw G again (to
  measure both from one run).
* one-sided label smoothing (Salimans et al. 2016, "Improved Techniques for Training GANs"): D's
  target for real samples is 1 - alpha instead of 1, fakes stay at 0
  (``losses.discriminator_loss_smoothed``); ``GAN(..., label_smoothing=0.1)``, ``tinygan train
  --label-smoothing 0.1``.
* the R1 penalty (Mescheder et al. 2018, "Which Training Methods for GANs do actually
  Converge?"): D descends Eq. 1 plus gamma / 2 E_x ||grad_x D(x)||^2 on the real batch
  (``wasserstein.r1_penalty``). It penalises D's slope on real data only, so at the
  equilibrium (p_g = p_data, D constant) it is zero and leaves D nothing to push G with; the
  paper proves that this makes the game converge locally where the unregularised one can
  circle. ``GAN(..., r1_gamma=1.0)``, ``tinygan train --r1 1``.
* two time-scale learning rates (TTUR, Heusel et al. 2017): G and D each with its own Adam
  learning rate: ``set_learning_rates(setup, g_lr=1e-4, d_lr=4e-4)`` on a set-up of
  ``models.build``, ``tinygan train --g-lr 1e-4 --d-lr 4e-4``.

``setup.gan()`` turns none of them on: the set-ups of ``tinygan.models`` are the textbook GANs.
The *default runs* of the command line are another matter: ``tinygan train NAME`` takes the
best recipe measured for its budget, ``DEFAULT_RUNS[NAME]`` (steps, PacGAN's packing, the
moving average, the R1 penalty), each overridden by its flag (``--ema 0 --pack 1 --r1 0`` for
the plain GAN).
docs/setups.md ("Recipes") gives what has been measured of each, and on which set-ups.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from typing import Any

from tinygan.nn.module import Module
from tinygan.optim.lr_scheduler import LambdaLR

__all__ = ["DEFAULT_RUNS", "EMA", "LinearDecay", "check_label_smoothing", "check_r1_gamma",
           "decay_learning_rates", "default_run", "raw_generator", "set_learning_rates",
           "with_recipes"]

DEFAULT_RUNS: dict[str, dict[str, Any]] = {
    # what `tinygan train NAME` uses beyond the set-up's own defaults (with loss "gan"); the
    # measurements behind each are in docs/setups.md ("The default runs")
    "mlp-mnist": {"steps": 20_000, "pack": 2, "ema": 0.999, "r1": 1.0},
    "dcgan-mnist": {"steps": 6_000, "pack": 2, "ema": 0.999, "r1": 1.0},
}


def default_run(name: str, loss: str = "gan") -> dict[str, Any]:
    """The options ``tinygan train name`` adds to the set-up's defaults (``DEFAULT_RUNS``);
    none for ``loss="wgan-gp"``, whose runs keep the paper's settings.

    >>> default_run("mlp-mnist")
    {'steps': 20000, 'pack': 2, 'ema': 0.999, 'r1': 1.0}
    >>> default_run("dcgan-mnist")
    {'steps': 6000, 'pack': 2, 'ema': 0.999, 'r1': 1.0}
    >>> default_run("mlp-mnist", loss="wgan-gp"), default_run("gauss1d")
    ({}, {})
    """
    return dict(DEFAULT_RUNS.get(name, {})) if loss == "gan" else {}


class EMA:
    """An exponential moving average of a module's parameters (Yazıcı et al. 2019).

    After each ``update()``, for every parameter theta of ``module`` and its average::

        theta_ema <- beta * theta_ema + (1 - beta) * theta

    starting from a copy of the module as it is when the EMA is made (theta_ema = theta_0), so
    after t updates theta_ema = beta^t theta_0 + (1 - beta) sum_{s=1..t} beta^(t-s) theta_s: the
    weights of about the last 1 / (1 - beta) updates (1,000 for beta = 0.999), the older ones
    fading geometrically. There is no bias correction: theta_0 is a real generator, not zeros.

    Buffers (BatchNorm's running mean and variance, its batch count) are *copied* from the
    module at every update, not averaged. They are not trained by the gradient but are already
    a running average of the batch statistics (momentum 0.1), so averaging them a second time
    would make them the statistics of G as it was about 1 / (1 - beta) steps ago; copied, they
    are those of the recent G's activations. Neither is exactly the statistics of the averaged
    weights' activations (those would need forward passes of the average in train mode, BigGAN's
    "standing statistics"); for set-ups without BatchNorm in G (gauss1d, ring2d, grid2d,
    mlp-mnist, cgan-mnist) the question does not arise.

    ``averaged`` is a separate Module (a deep copy of ``module``), always in eval mode, with
    ``requires_grad`` off: draw samples from it, never train it.

    >>> import tinygan
    >>> g = tinygan.nn.Linear(1, 1, bias=False)
    >>> g.weight.data[...] = 0.0
    >>> ema = EMA(g, beta=0.5)
    >>> for w in (1.0, 2.0):                  # two updates of G, then of the average
    ...     g.weight.data[...] = w
    ...     ema.update()
    >>> ema.averaged.weight.item()            # 0.5 * (0.5 * 0 + 0.5 * 1) + 0.5 * 2
    1.25
    >>> g.weight.item(), ema.updates
    (2.0, 2)
    """

    def __init__(self, module: Module, beta: float) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"EMA: module must be a tinygan.nn.Module, got {type(module).__name__}")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
            raise ValueError(f"EMA: beta, the weight of the old average, must be a number in "
                             f"[0, 1) (0.999 is usual), got {beta!r}")
        self.module, self.beta, self.updates = module, float(beta), 0
        self.averaged = copy.deepcopy(module).eval().requires_grad_(False)

    def __repr__(self) -> str:
        return f"EMA(beta={self.beta}, updates={self.updates})"

    def update(self) -> None:
        """One step of the average: theta_ema <- beta theta_ema + (1 - beta) theta; buffers
        copied (see the class docstring)."""
        live = dict(self.module.named_parameters())
        for name, avg in self.averaged.named_parameters():
            avg.data[...] = self.beta * avg.data + (1.0 - self.beta) * live[name].data
        live_buffers = dict(self.module.named_buffers())
        for name, buf in self.averaged.named_buffers():
            buf.data[...] = live_buffers[name].data
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """beta, the number of updates and the averaged weights (NumPy copies)."""
        return {"beta": self.beta, "updates": self.updates,
                "averaged": self.averaged.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; its beta must be this EMA's."""
        if not isinstance(state, dict) or not {"beta", "updates", "averaged"} <= set(state):
            raise ValueError("EMA.load_state_dict expects a dict with keys 'beta', 'updates' and "
                             "'averaged', as made by state_dict()")
        if float(state["beta"]) != self.beta:
            raise ValueError(f"the checkpoint's EMA has beta {float(state['beta'])}, this one "
                             f"{self.beta}; make the GAN with ema={float(state['beta'])}")
        self.averaged.load_state_dict(state["averaged"])
        self.updates = int(state["updates"])


def check_label_smoothing(alpha: Any, loss: str = "gan") -> float:
    """``alpha`` as a float after checking it: a number in [0, 1), and 0 unless ``loss`` is
    ``"gan"`` (Eq. 1 has labels to smooth; the Wasserstein critic has none)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 1:
        raise ValueError(f"GAN: label_smoothing, alpha in D's real target 1 - alpha, must be a "
                         f"number in [0, 1) (0.1 is usual), got {alpha!r}")
    if alpha and loss != "gan":
        raise ValueError(f"GAN: label_smoothing smooths Eq. 1's real label; loss={loss!r} has no "
                         "labels (use it with loss='gan')")
    return float(alpha)


def check_r1_gamma(gamma: Any, loss: str = "gan") -> float:
    """``gamma`` as a float after checking it: a finite number >= 0, and 0 unless ``loss`` is
    ``"gan"`` (WGAN-GP's critic has a gradient penalty of its own)."""
    if (isinstance(gamma, bool) or not isinstance(gamma, (int, float))
            or not 0 <= gamma < math.inf):
        raise ValueError(f"GAN: r1_gamma, the R1 penalty's weight gamma, must be a finite number "
                         f">= 0 (1 is what the MNIST set-ups were measured with), got {gamma!r}")
    if gamma and loss != "gan":
        raise ValueError(f"GAN: r1_gamma penalises Eq. 1's D; loss={loss!r} has its own gradient "
                         "penalty (use r1_gamma with loss='gan')")
    return float(gamma)


def set_learning_rates(setup: Any, g_lr: float | None = None, d_lr: float | None = None) -> None:
    """Give G and D their own learning rates, the two time-scale update rule (Heusel et al.
    2017, TTUR): e.g. D 4e-4 and G 1e-4, so D tracks the current G more closely.

    Sets every parameter group of ``setup.g_optimizer`` (``g_lr``) and ``setup.d_optimizer``
    (``d_lr``); None leaves that one as the set-up made it. A set-up's schedule (gauss1d's decay
    of G's rate) then runs from the new rate.
    """
    for who, lr, optimizer, scheduler in (
            ("g_lr", g_lr, setup.g_optimizer, getattr(setup, "g_scheduler", None)),
            ("d_lr", d_lr, setup.d_optimizer, getattr(setup, "d_scheduler", None))):
        if lr is None:
            continue
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
                0 < lr and math.isfinite(lr)):
            raise ValueError(f"{who} must be a finite learning rate > 0, got {lr!r}")
        if optimizer is None:
            raise ValueError(f"{who}: the set-up {setup.name} has no optimizer for it")
        if scheduler is not None:
            scheduler.base_lrs = [float(lr)] * len(optimizer.param_groups)
        for group in optimizer.param_groups:
            group["lr"] = float(lr) * (scheduler.factor() if scheduler is not None else 1.0)


class LinearDecay:
    """The factor of a late linear decay, as a function of the step t::

        factor(t) = 1                          t <= start
                    (end - t) / (end - start)  start < t < end
                    0                          t >= end

    >>> f = LinearDecay(start=6, end=10)
    >>> [f(t) for t in (0, 6, 7, 9, 10, 12)]
    [1.0, 1.0, 0.75, 0.25, 0.0, 0.0]
    """

    def __init__(self, start: int, end: int) -> None:
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"LinearDecay: {name} must be a step number >= 0, got {value!r}")
        if start >= end:
            raise ValueError(f"LinearDecay: the decay starts at step {start}, which is not "
                             f"before the run's last step {end}; start it earlier")
        self.start, self.end = start, end

    def __call__(self, t: int) -> float:
        return min(1.0, max(0.0, (self.end - t) / (self.end - self.start)))

    def __repr__(self) -> str:
        return f"LinearDecay(start={self.start}, end={self.end})"


def decay_learning_rates(gan: Any, start: int, steps: int) -> Any:
    """Both learning rates constant until step ``start``, then falling linearly to 0 at step
    ``steps`` (the run's last): ``lr_t = lr * LinearDecay(start, steps)(t)``, t the GAN's
    step count (so it may be called on a GAN part-way through its run; ``lr`` is the rate of
    its optimizers now, which must be before ``start``). Sets ``gan.g_scheduler`` and
    ``gan.d_scheduler`` (``LambdaLR``); returns the GAN. Refused for a GAN that already has a
    schedule (gauss1d's and the toys' decay of G's rate).

    >>> import tinygan
    >>> gan = decay_learning_rates(tinygan.models.build("mlp-mnist").gan(), 6, 10)
    >>> gan.g_scheduler.lr_lambda, gan.d_optimizer.param_groups[0]["lr"]
    (LinearDecay(start=6, end=10), 0.0002)
    """
    if gan.g_scheduler is not None or gan.d_scheduler is not None:
        raise ValueError("decay_learning_rates: this GAN already has a learning-rate schedule "
                         "(the toy set-ups decay G's rate over the run); the late decay is for "
                         "set-ups with constant rates (the MNIST set-ups)")
    factor = LinearDecay(start, steps)
    if gan.global_step > start:
        raise ValueError(f"decay_learning_rates: the GAN is at step {gan.global_step}, past the "
                         f"decay's start {start}; its rates now are not the rates to decay from")
    for name, optimizer in (("g_scheduler", gan.g_optimizer), ("d_scheduler", gan.d_optimizer)):
        scheduler = LambdaLR(optimizer, factor)
        scheduler.last_epoch = gan.global_step  # the steps already taken, at factor 1
        setattr(gan, name, scheduler)
    return gan


def with_recipes(gan: Any, ema: float | None = None, label_smoothing: float = 0.0,
                 r1_gamma: float = 0.0) -> Any:
    """``gan`` (e.g. made by ``setup.gan()``) with G's moving average, D's label smoothing and
    D's R1 penalty switched on as ``GAN(..., ema=, label_smoothing=, r1_gamma=)`` does; returns
    the same GAN.

    Call it before training: the average starts from G as it is now.

    >>> import tinygan
    >>> tinygan.manual_seed(0)
    >>> gan = with_recipes(tinygan.models.build("gauss1d").gan(), ema=0.99, label_smoothing=0.1)
    >>> gan.ema, gan.label_smoothing, gan.sampling_generator is gan.ema.averaged
    (EMA(beta=0.99, updates=0), 0.1, True)
    """
    alpha = check_label_smoothing(label_smoothing, gan.loss)
    gan.r1_gamma = check_r1_gamma(r1_gamma, gan.loss)
    gan.label_smoothing = alpha
    gan.ema = None if ema is None else EMA(gan.generator, ema)
    return gan


@contextlib.contextmanager
def raw_generator(gan: Any) -> Iterator[Any]:
    """Within the block ``gan.sample`` (so the pictures and ``evaluate``) draws from the raw G,
    not its moving average; afterwards the average is back, untouched. For measuring both from
    one run (the average does not change training); do not train inside the block, since the
    average would miss those updates.

    >>> import tinygan
    >>> tinygan.manual_seed(0)
    >>> gan = with_recipes(tinygan.models.build("gauss1d").gan(), ema=0.99)
    >>> with raw_generator(gan):
    ...     gan.sampling_generator is gan.generator
    True
    >>> gan.sampling_generator is gan.ema.averaged
    True
    """
    ema, gan.ema = gan.ema, None
    try:
        yield gan
    finally:
        gan.ema = ema
