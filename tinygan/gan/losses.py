"""The GAN chapter's loss terms, Eq. 1-5 (the book's 4.1.1-4.1.5), one function each.

D(x) is the probability the discriminator gives to "x is real"; real samples are labelled 1.0
and generated ones 0.0; z is the generator's noise. Expectations are means over a mini-batch.

    Eq. 1 (4.1.1)  L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]       discriminator_loss
                   with real targets 1 - alpha (one-sided smoothing)  discriminator_loss_smoothed
    Eq. 2 (4.1.2)  L_G = -L_D                                         generator_loss_zero_sum
    Eq. 3 (4.1.3)  V(G, D) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]    value_function
    Eq. 4 (4.1.4)  theta_G* = argmin_{theta_G} max_{theta_D} V(G, D)   (the training loop below)
    Eq. 5 (4.1.5)  L_G = -E_z[log D(G(z))]                            generator_loss_non_saturating

Eq. 4, the minimax criterion, is not a function you can call: it is the game itself, and in
tinygan it is ``tinygan.GAN(..., generator_loss="zero_sum")`` run for many steps. Each step, D
descends Eq. 1 (so it ascends V) and then G descends Eq. 2 (so it descends V). With
``generator_loss="non_saturating"`` (the default) G descends Eq. 5 instead: no longer a zero-sum
game, but G's gradient is strong exactly where Eq. 2's vanishes (D(G(z)) -> 0).

Numerics. Every function takes D's *logits* a (the number before the sigmoid, D = sigma(a)), and
never takes the log of a probability. With softplus(a) = log(1 + e^a):

    log D       = log sigma(a)     = -softplus(-a)      (log_d)
    log(1 - D)  = log sigma(-a)    = -softplus(a)       (log_one_minus_d)

When D is sure a fake is fake, a = -40 say, sigma(a) rounds to 0 in float32 and log(sigma(a)) is
-inf; -softplus(-a) = -40 is exact. The book's formulas are the definition; these are how they
are evaluated.

    >>> real, fake = tinygan.tensor([[2.0], [3.0]]), tinygan.tensor([[-1.0], [0.0]])  # logits
    >>> round(discriminator_loss(real, fake).item(), 4), round(value_function(real, fake).item(), 4)
    (0.591, -0.591)
    >>> half = tinygan.zeros(4, 1)                 # D says 1/2 everywhere: L_D = 2 log 2
    >>> round(discriminator_loss(half, half).item(), 4), round(2 * float(np.log(2)), 4)
    (1.3863, 1.3863)

Saturation, seen in the gradient on a fake that D rejects with confidence (a = -10):

    >>> a = tinygan.tensor([[-10.0]], requires_grad=True)
    >>> generator_loss_zero_sum(half, a).backward()          # Eq. 2: -D(G(z)), vanishing
    >>> f"{a.grad.item():.2e}"
    '-4.54e-05'
    >>> a.grad = None
    >>> generator_loss_non_saturating(a).backward()          # Eq. 5: -(1 - D(G(z)))
    >>> f"{a.grad.item():.5f}"
    '-0.99995'

docs/equations.md writes the equations out, with D*, the Jensen-Shannon identity and Algorithm 1.
"""

from __future__ import annotations

from tinygan import ops
from tinygan.autograd.tensor import Tensor

__all__ = [
    "discriminator_loss",
    "discriminator_loss_least_squares",
    "discriminator_loss_smoothed",
    "generator_loss_least_squares",
    "generator_loss_non_saturating",
    "generator_loss_zero_sum",
    "log_d",
    "log_one_minus_d",
    "value_function",
]


def _check_logits(logits: object, name: str, fn: str) -> Tensor:
    """The logits as given, after checking they are a non-empty floating Tensor of shape (N, 1)
    or (N,)."""
    if not isinstance(logits, Tensor):
        raise TypeError(
            f"{fn}: {name} must be a tinygan Tensor of D's logits (the output of the "
            f"discriminator, before any sigmoid), got {type(logits).__name__}"
        )
    if logits.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be floating-point logits, got dtype {logits.dtype}")
    if logits.size == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {logits.shape}); a batch needs samples")
    if logits.ndim not in (1, 2) or logits.shape[1:] not in ((), (1,)):
        raise ValueError(f"{fn}: {name} must have shape (N, 1) or (N,), one logit per sample, "
                         f"got shape {tuple(logits.shape)}")
    return logits


def log_d(logits: Tensor) -> Tensor:
    """log D = log sigma(a) = -softplus(-a), elementwise, from D's logits a.

    Stays finite for any a: at a = -100 it is -100, where log(sigmoid(a)) would be -inf.
    """
    return ops.log_sigmoid(logits)


def log_one_minus_d(logits: Tensor) -> Tensor:
    """log(1 - D) = log sigma(-a) = -softplus(a), elementwise, from D's logits a.

    (1 - sigma(a) = sigma(-a): the probability of "fake" is the sigmoid of the negated logit.)
    """
    return ops.log_sigmoid(-logits)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Eq. 1 (book 4.1.1): the discriminator loss, binary cross-entropy on two batches.

        L_D = -E_{x~p_data}[log D(x)] - E_z[log(1 - D(G(z)))]
            = mean(softplus(-a_real)) + mean(softplus(a_fake))

    Meaning: how badly D tells real (label 1.0) from fake (label 0.0); D is trained to make it
    small. It is 2 log 2 ~= 1.386 when D says 1/2 everywhere (the game's equilibrium), 0 when D
    is always right and sure.

    Args:
        real_logits: D's logits on a batch of real samples x, shape (N, 1) or (N,).
        fake_logits: D's logits on a batch of generated samples G(z), shape (M, 1) or (M,).

    Returns:
        A scalar Tensor. The two means are taken separately, so N and M may differ.
    """
    real_logits = _check_logits(real_logits, "real_logits", "discriminator_loss")
    fake_logits = _check_logits(fake_logits, "fake_logits", "discriminator_loss")
    return -log_d(real_logits).mean() - log_one_minus_d(fake_logits).mean()


def discriminator_loss_smoothed(real_logits: Tensor, fake_logits: Tensor,
                                alpha: float = 0.1) -> Tensor:
    """Eq. 1 with one-sided label smoothing (Salimans et al. 2016): real targets 1 - alpha.

        L_D = -E_x[(1 - alpha) log D(x) + alpha log(1 - D(x))] - E_z[log(1 - D(G(z)))]
            = mean((1 - alpha) softplus(-a_real) + alpha softplus(a_real)) + mean(softplus(a_fake))

    The binary cross-entropy of Eq. 1 with the target of a real sample lowered from 1 to
    1 - alpha (0.9 for alpha = 0.1); a fake's target stays 0 ("one-sided": smoothing it too
    would reward fakes that sit where D is unsure). D can then no longer gain by pushing its
    logits on real samples to +infinity: for a real x the loss is smallest at D(x) = 1 - alpha,
    a_real = log((1 - alpha) / alpha), so D stays less confident and its gradient to G less
    extreme. alpha = 0 is Eq. 1 exactly (``discriminator_loss``).

    >>> real, fake = tinygan.tensor([[2.0], [3.0]]), tinygan.tensor([[-1.0], [0.0]])
    >>> round(discriminator_loss_smoothed(real, fake, alpha=0.1).item(), 4)  # Eq. 1's: 0.591
    0.841
    >>> smoothed = discriminator_loss_smoothed(real, fake, alpha=0.0)
    >>> smoothed.item() == discriminator_loss(real, fake).item()
    True

    Args:
        real_logits: D's logits on real samples x, shape (N, 1) or (N,).
        fake_logits: D's logits on generated samples G(z), shape (M, 1) or (M,).
        alpha: how far the real target moves from 1, in [0, 1).

    Returns:
        A scalar Tensor; the two means are taken separately, so N and M may differ.
    """
    real_logits = _check_logits(real_logits, "real_logits", "discriminator_loss_smoothed")
    fake_logits = _check_logits(fake_logits, "fake_logits", "discriminator_loss_smoothed")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 1:
        raise ValueError(f"discriminator_loss_smoothed: alpha must be a number in [0, 1), got "
                         f"{alpha!r}")
    target = 1.0 - alpha  # the real samples' label; the fakes' is 0
    real_term = target * log_d(real_logits) + alpha * log_one_minus_d(real_logits)
    return -real_term.mean() - log_one_minus_d(fake_logits).mean()


def generator_loss_zero_sum(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Eq. 2 (book 4.1.2): the zero-sum generator loss, L_G = -L_D.

        L_G = E_{x~p_data}[log D(x)] + E_z[log(1 - D(G(z)))]

    Meaning: whatever D gains, G loses; G is trained to make D's loss as large as possible.
    Only the second term depends on G. Its gradient with respect to D's logit on a fake is
    -sigma(a_fake) = -D(G(z)), which goes to 0 as D(G(z)) -> 0: once D confidently rejects the
    fakes, G stops learning (saturation). Eq. 5 is the fix.

    Args:
        real_logits: D's logits on real samples, shape (N, 1) or (N,).
        fake_logits: D's logits on generated samples, shape (M, 1) or (M,).

    Returns:
        A scalar Tensor, equal to ``-discriminator_loss(real_logits, fake_logits)``.
    """
    real_logits = _check_logits(real_logits, "real_logits", "generator_loss_zero_sum")
    fake_logits = _check_logits(fake_logits, "fake_logits", "generator_loss_zero_sum")
    return log_d(real_logits).mean() + log_one_minus_d(fake_logits).mean()


def value_function(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Eq. 3 (book 4.1.3): the value function of the two-player game, V(G, D) = -L_D.

        V(G, D) = E_{x~p_data}[log D(x)] + E_z[log(1 - D(G(z)))]

    Meaning: the score of the game; D tries to raise it, G tries to lower it (Eq. 4). For the
    best D against a fixed G, V = -2 log 2 + 2 JSD(p_data || p_g), so at the equilibrium
    p_g = p_data it is -2 log 2 ~= -1.386. (It is numerically the same as Eq. 2; the book gives
    it its own name because it is the quantity both players argue over.)

    Args:
        real_logits: D's logits on real samples, shape (N, 1) or (N,).
        fake_logits: D's logits on generated samples, shape (M, 1) or (M,).

    Returns:
        A scalar Tensor.
    """
    real_logits = _check_logits(real_logits, "real_logits", "value_function")
    fake_logits = _check_logits(fake_logits, "fake_logits", "value_function")
    return log_d(real_logits).mean() + log_one_minus_d(fake_logits).mean()


def generator_loss_non_saturating(fake_logits: Tensor) -> Tensor:
    """Eq. 5 (book 4.1.5): the non-saturating generator loss.

        L_G = -E_z[log D(G(z))] = mean(softplus(-a_fake))

    Meaning: G is trained as if its samples were real (label 1.0), through a frozen D. Its
    gradient with respect to D's logit on a fake is -(1 - D(G(z))), close to -1 exactly where
    Eq. 2's gradient vanishes. A heuristic, not a zero-sum game, and what GANs use in practice.

    Args:
        fake_logits: D's logits on generated samples G(z), shape (M, 1) or (M,).

    Returns:
        A scalar Tensor.
    """
    fake_logits = _check_logits(fake_logits, "fake_logits", "generator_loss_non_saturating")
    return -log_d(fake_logits).mean()


# -- A second loss family: least squares (Mao et al., 2017) --------------------------------------


def discriminator_loss_least_squares(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The least-squares GAN's discriminator loss (Mao et al., 2017), labels a=0, b=1.

        L_D = 1/2 E_{x~p_data}[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2],   a = 0, b = 1
            = 1/2 mean((s_real - 1)^2) + 1/2 mean(s_fake^2)

    Here D(x) is D's *raw output* s, the same number the Eq. 1-5 functions call the logit, with
    no sigmoid: D regresses its score onto the label (b = 1 real, a = 0 fake, the chapter's),
    and the squared error replaces Eq. 1's cross-entropy. Its minimum, 0, is a D that scores
    every real sample exactly 1 and every fake exactly 0.

    >>> real, fake = tinygan.tensor([[1.0], [0.5]]), tinygan.tensor([[0.0], [1.0]])
    >>> round(discriminator_loss_least_squares(real, fake).item(), 4)  # (0 + .25)/4 + (0 + 1)/4
    0.3125

    Args:
        real_scores: D's raw outputs on real samples x, shape (N, 1) or (N,).
        fake_scores: D's raw outputs on generated samples G(z), shape (M, 1) or (M,).

    Returns:
        A scalar Tensor; the two means are taken separately, so N and M may differ.
    """
    real_scores = _check_logits(real_scores, "real_scores", "discriminator_loss_least_squares")
    fake_scores = _check_logits(fake_scores, "fake_scores", "discriminator_loss_least_squares")
    return 0.5 * ((real_scores - 1.0) ** 2).mean() + 0.5 * (fake_scores**2).mean()


def generator_loss_least_squares(fake_scores: Tensor) -> Tensor:
    """The least-squares GAN's generator loss (Mao et al., 2017), target c=1.

        L_G = 1/2 E_z[(D(G(z)) - c)^2],   c = 1 (G wants its fakes scored as real)
            = 1/2 mean((s_fake - 1)^2)

    on D's raw output s (no sigmoid). With a=0, b=1, c=1 this is the paper's 0-1 coding. Its
    gradient with respect to the score of one fake is (s - 1)/M: as D rejects the fakes (s -> 0,
    the fake label) it tends to -1/M and does not vanish, and it grows for a fake D scores
    below 0, so even fakes on the right side of D's boundary but far from the data keep
    pulling G. Compare the sigmoid losses on a logit s, where D rejects a fake as s -> -inf:
    Eq. 2's gradient -sigma(s)/M vanishes there, Eq. 5's -(1 - sigma(s))/M tends to -1/M.

    >>> round(generator_loss_least_squares(tinygan.tensor([[0.0], [1.0]])).item(), 4)
    0.25

    Args:
        fake_scores: D's raw outputs on generated samples G(z), shape (M, 1) or (M,).

    Returns:
        A scalar Tensor.
    """
    fake_scores = _check_logits(fake_scores, "fake_scores", "generator_loss_least_squares")
    return 0.5 * ((fake_scores - 1.0) ** 2).mean()


# -- The Wasserstein GAN and the gradient penalties (WGAN-GP, R1): tinygan/gan/wasserstein.py ----
from tinygan.gan import wasserstein  # noqa: E402, I001
from tinygan.gan.wasserstein import *  # noqa: E402, F403, I001

__all__ += wasserstein.__all__
