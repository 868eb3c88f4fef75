"""The Wasserstein GAN's losses and the penalties on the critic's gradient.

A Wasserstein GAN (Arjovsky, Chintala and Bottou, 2017) replaces D's probability by a *critic*
D(x), a real number with no sigmoid, and Eq. 1's Jensen-Shannon divergence by the earth-mover
(Wasserstein-1) distance, in its dual form over 1-Lipschitz critics:

    W(p_data, p_g) = max_{||D||_L <= 1}  E_{x~p_data}[D(x)] - E_z[D(G(z))]

    critic_loss                  L_D = E_z[D(G(z))] - E_x[D(x)]       (D descends it: ascends W)
    generator_loss_wasserstein   L_G = -E_z[D(G(z))]                  (G descends it: lowers W)
    wasserstein_estimate         E_x[D(x)] - E_z[D(G(z))]             (the critic's estimate of W)

The Lipschitz constraint is what makes W a distance, and Gulrajani et al. (2017, WGAN-GP) ask
for it softly: a 1-Lipschitz function has gradient norm at most 1, and the optimal critic has
norm exactly 1 on the lines between real and generated points, so the critic is penalised where
its gradient norm leaves 1, on random points x_hat of those lines:

    x_hat = eps * x + (1 - eps) * G(z),   eps ~ U[0, 1], one per sample     interpolates
    GP = lambda * E_{x_hat}[(||grad_{x_hat} D(x_hat)||_2 - 1)^2],   lambda = 10   gradient_penalty

Mescheder, Geiger and Nowozin (2018) penalise the gradient on the real data alone instead:

    R1 = gamma / 2 * E_{x~p_data}[||grad_x D(x)||_2^2]                          r1_penalty

Both are functions of a *gradient*, so training D on them needs the derivative of a gradient
with respect to D's parameters: ``tinygan.autograd.grad(..., create_graph=True)`` records the
first backward pass as a graph, and ``backward()`` of the penalty walks it
(docs/autograd_higher_order.md). Norms are per sample, over all of a sample's coordinates.

    >>> critic = tinygan.nn.Linear(2, 1)           # a linear critic: its gradient is its weight
    >>> with tinygan.no_grad():
    ...     critic.weight.data[...] = [[0.6, 0.8]]  # norm 1: no penalty
    >>> x, fake = tinygan.randn(8, 2), tinygan.randn(8, 2)
    >>> round(gradient_penalty(critic, x, fake).item(), 6)
    0.0
    >>> round(r1_penalty(critic, x, gamma=2.0).item(), 6)   # gamma/2 * 1^2
    1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygan import backend
from tinygan.autograd.gradients import grad
from tinygan.autograd.tensor import Tensor

__all__ = [
    "LOSSES",
    "check_objective",
    "critic_gradient_norms",
    "critic_loss",
    "generator_loss_wasserstein",
    "gradient_penalty",
    "gradient_penalty_terms",
    "interpolates",
    "penalised",
    "r1_penalty",
    "wasserstein_estimate",
]


# The objectives ``tinygan.GAN(loss=...)`` trains: Eq. 1 with Eq. 5 or 2, or WGAN-GP.
LOSSES = ("gan", "wgan-gp")


def check_objective(loss: str, generator_loss: str, gp_weight: Any, critic: Any) -> str:
    """The generator loss ``GAN(loss="wgan-gp", ...)`` trains G with ("wasserstein"), after
    checking the options go together; a ValueError says why they do not.

    With WGAN-GP, G descends -E_z[D(G(z))] (``generator_loss`` may be left at its default or
    given as "wasserstein"), ``gp_weight`` (lambda) is a number >= 0, and the critic has no
    BatchNorm: the penalty is a per-sample quantity, and BatchNorm makes each sample's score
    depend on the rest of its batch (Gulrajani et al. use none, or layer normalisation).
    """
    if loss not in LOSSES:
        raise ValueError(f"GAN: loss must be one of {LOSSES}, got {loss!r}")
    if generator_loss not in ("non_saturating", "wasserstein"):
        raise ValueError(f"GAN: with loss='wgan-gp' G descends -E D(G(z)) (generator_loss "
                         f"'wasserstein'); generator_loss={generator_loss!r} belongs to "
                         f"loss='gan'")
    if isinstance(gp_weight, bool) or not isinstance(gp_weight, (int, float)) or not (
            0 <= gp_weight < float("inf")):
        raise ValueError(f"GAN: gp_weight (the penalty's lambda) must be a number >= 0, got "
                         f"{gp_weight!r}")
    for name, m in critic.named_modules():
        if type(m).__name__.startswith("BatchNorm"):
            raise ValueError(f"GAN: a WGAN-GP critic must not use BatchNorm (found "
                             f"{type(m).__name__} at {name!r}): the gradient penalty is per "
                             "sample, and BatchNorm mixes the samples of a batch; use "
                             "nn.LayerNorm or no normalisation")
    return "wasserstein"


def _check_scores(scores: object, name: str, fn: str) -> Tensor:
    """The critic's scores as given, checked to be a non-empty float Tensor of shape (N, 1)/(N,)."""
    if not isinstance(scores, Tensor):
        raise TypeError(f"{fn}: {name} must be a tinygan Tensor of the critic's scores, got "
                        f"{type(scores).__name__}")
    if scores.dtype.kind != "f" or scores.size == 0:
        raise ValueError(f"{fn}: {name} must be a non-empty floating-point Tensor, got dtype "
                         f"{scores.dtype} and shape {tuple(scores.shape)}")
    if scores.ndim not in (1, 2) or scores.shape[1:] not in ((), (1,)):
        raise ValueError(f"{fn}: {name} must have shape (N, 1) or (N,), one score per sample, "
                         f"got shape {tuple(scores.shape)}")
    return scores


def critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The Wasserstein critic's loss, without its penalty (Arjovsky et al. 2017, Algorithm 1).

        L_D = E_z[D(G(z))] - E_{x~p_data}[D(x)] = mean(s_fake) - mean(s_real)

    D's raw scores s, no sigmoid. The critic descends it, so it raises its scores on real data
    and lowers them on fakes; -L_D is its estimate of the Wasserstein distance (if D is
    1-Lipschitz). Unlike Eq. 1 it has no floor: without a constraint on D it runs to -inf.

    Args:
        real_scores: D on real samples, shape (N, 1) or (N,).
        fake_scores: D on generated samples, shape (M, 1) or (M,).

    Returns:
        A scalar Tensor.
    """
    real_scores = _check_scores(real_scores, "real_scores", "critic_loss")
    fake_scores = _check_scores(fake_scores, "fake_scores", "critic_loss")
    return fake_scores.mean() - real_scores.mean()


def generator_loss_wasserstein(fake_scores: Tensor) -> Tensor:
    """The Wasserstein generator loss: L_G = -E_z[D(G(z))] = -mean(s_fake).

    The part of W's estimate that depends on G. Its gradient with respect to a fake's score is
    -1/M whatever the score: it never saturates, the critic's input gradient carries the
    signal (compare Eq. 2's -D(G(z))/M, which vanishes as D rejects the fakes).

    Args:
        fake_scores: D on generated samples, shape (M, 1) or (M,).

    Returns:
        A scalar Tensor.
    """
    fake_scores = _check_scores(fake_scores, "fake_scores", "generator_loss_wasserstein")
    return -fake_scores.mean()


def wasserstein_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The critic's estimate of W(p_data, p_g): E_x[D(x)] - E_z[D(G(z))] = -critic_loss."""
    return -critic_loss(real_scores, fake_scores)


def interpolates(real: Tensor, fake: Tensor, epsilon: Any = None) -> Tensor:
    """WGAN-GP's random points between real and generated samples, cut from the graph.

        x_hat_i = eps_i * x_i + (1 - eps_i) * G(z)_i,   eps_i ~ U[0, 1]

    Args:
        real: real samples x, shape (N, ...).
        fake: generated samples G(z), the same shape (detached: the critic's step does not
            reach G).
        epsilon: the eps_i, shape (N,) or (N, 1, ..., 1) (an array or Tensor); default drawn
            from tinygan's seeded generator.

    Returns:
        x_hat of shape (N, ...), a leaf that requires gradients (the penalty differentiates
        D with respect to it).
    """
    if not isinstance(real, Tensor) or not isinstance(fake, Tensor):
        raise TypeError(f"interpolates: real and fake must be tinygan Tensors, got "
                        f"{type(real).__name__} and {type(fake).__name__}")
    if real.shape != fake.shape:
        raise ValueError(f"interpolates: real and fake must have the same shape (one fake per "
                         f"real sample), got {tuple(real.shape)} and {tuple(fake.shape)}")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    if epsilon is None:
        epsilon = backend.rand(shape, dtype=real.dtype, device=real.device)
    eps = epsilon.data if isinstance(epsilon, Tensor) else backend.as_array(epsilon)
    if eps.size != real.shape[0]:
        raise ValueError(f"interpolates: epsilon needs one value per sample ({real.shape[0]}), "
                         f"got shape {tuple(eps.shape)}")
    eps = eps.reshape(shape).astype(real.dtype, copy=False)
    return Tensor(eps * real.data + (1 - eps) * fake.data, requires_grad=True)


def critic_gradient_norms(critic: Callable[..., Tensor], x: Tensor, *extra: Any) -> Tensor:
    """||grad_x D(x)||_2 for each sample, with the graph kept (so it can be differentiated).

    Args:
        critic: D, mapping x of shape (N, ...) (and ``extra`` inputs, such as labels) to
            scores of shape (N, 1) or (N,).
        x: the points, shape (N, ...); a leaf that requires gradients (``interpolates`` makes
            one; real data is made one here).

    Returns:
        A Tensor of shape (N,): the norm over each sample's coordinates of dD(x_i)/dx_i. As
        D scores each sample on its own, d(sum_i D(x_i))/dx_i = dD(x_i)/dx_i.
    """
    if not x.requires_grad:
        x = x.detach().requires_grad_()
    scores = critic(x, *extra)
    (g,) = grad(scores.sum(), x, create_graph=True)
    return (g * g).reshape(len(g), -1).sum(axis=1).sqrt()


def gradient_penalty_terms(critic: Callable[..., Tensor], real: Tensor, fake: Tensor,
                           *extra: Any, weight: float = 10.0,
                           epsilon: Any = None) -> tuple[Tensor, Tensor]:
    """``gradient_penalty`` and the per-sample gradient norms it is made of, shape (N,)."""
    norms = critic_gradient_norms(critic, interpolates(real, fake, epsilon), *extra)
    return weight * ((norms - 1.0) ** 2).mean(), norms


def gradient_penalty(critic: Callable[..., Tensor], real: Tensor, fake: Tensor, *extra: Any,
                     weight: float = 10.0, epsilon: Any = None) -> Tensor:
    """WGAN-GP's gradient penalty (Gulrajani et al. 2017, Eq. 3), on random interpolates.

        GP = lambda * E_{x_hat}[(||grad_{x_hat} D(x_hat)||_2 - 1)^2],
        x_hat = eps * x + (1 - eps) * G(z),   eps ~ U[0, 1] per sample,   lambda = ``weight``

    The critic's full loss is ``critic_loss(D(x), D(G(z))) + gradient_penalty(D, x, G(z))``.

    Args:
        critic: D (and ``extra`` inputs it takes with x, e.g. labels).
        real, fake: real samples and detached fakes, both of shape (N, ...).
        weight: lambda (the paper's 10).
        epsilon: the interpolation weights, shape (N,) (default: drawn, see ``interpolates``).

    Returns:
        A scalar Tensor whose graph reaches D's parameters through grad_x D.
    """
    return gradient_penalty_terms(critic, real, fake, *extra, weight=weight,
                                  epsilon=epsilon)[0]


def penalised(loss: Tensor, terms: dict[str, Any], critic: Callable[..., Tensor], real: Tensor,
              fake: Tensor, *extra: Any, weight: float = 10.0) -> Tensor:
    """The WGAN-GP critic's full loss, ``loss`` (``critic_loss``) + ``gradient_penalty``, with
    the terms a training step records put in ``terms``: ``wasserstein`` = -loss (the critic's
    estimate of W), ``gradient_penalty``, and ``critic_grad_norm``, the mean over the
    interpolates of ||grad D(x_hat)||_2 (the penalty drives it towards 1)."""
    penalty, norms = gradient_penalty_terms(critic, real, fake, *extra, weight=weight)
    terms.update(wasserstein=-loss, gradient_penalty=penalty, critic_grad_norm=norms.mean())
    return loss + penalty


def r1_penalty(critic: Callable[..., Tensor], real: Tensor, *extra: Any,
               gamma: float = 10.0) -> Tensor:
    """The R1 penalty (Mescheder et al. 2018, Eq. 9) on real data.

        R1 = gamma / 2 * E_{x~p_data}[||grad_x D(x)||_2^2]

    Zero where the critic is flat on the data, so at an equilibrium p_g = p_data with a
    constant D it does not push D away (the point of the paper). Args as
    ``gradient_penalty``; returns a scalar Tensor.
    """
    x = real.detach().requires_grad_()
    scores = critic(x, *extra)
    (g,) = grad(scores.sum(), x, create_graph=True)
    return 0.5 * gamma * (g * g).reshape(len(g), -1).sum(axis=1).mean()
