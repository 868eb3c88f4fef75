"""GAN Lab's views of a 2-D GAN (Kahng et al., 2019), computed from tinygan's networks.

Three views of one moment of training, each an array you can inspect, then drawn together:

* ``decision_surface``: D's probability D(x) that a point x of the plane is real, on a grid: the
  heat map under the samples. G's samples are pulled towards where it is high.
* ``generator_gradients``: at each fake sample x = G(z), the direction of steepest descent of
  G's loss, -∂L_G/∂x, computed by tinygan's autograd through D (``tinygan.autograd.grad``, which
  leaves D's parameters and their gradients alone, as D is frozen in G's step): the arrows. G moves
  its samples only through its parameters, so its update follows these arrows as well as its
  weights allow.
* ``latent_grid``: G's image of a square grid of lines in a plane of latent space: how G folds
  and stretches its Gaussian noise onto the data.

``ganlab_view(gan, target)`` takes all three at once (a ``GanLabView``, NumPy arrays on the
host); ``plot_ganlab(views)`` in ``ganlab_plots.py`` draws a row of panels per view kind, one
column per moment. As in
``plots.py``, every picture is a ``matplotlib.figure.Figure`` made without ``pyplot`` (headless,
no open windows); in Jupyter a returned figure shows itself.

The colours follow ``plot_samples_2d``: data grey/black, G(z) green; the heat map runs from
red (D says fake, 0) to blue (D says real, 1), white at 1/2.

A packed discriminator (PacGAN's ``Pack(m)`` first, as in ``ring2d``) judges m samples at once, so
D(x) of one point is not defined. Its surface here is what one fake sample at x meets: the mean
over the m slots of D(a pack with x in that slot and G's own samples in the others).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygan import backend, ops
from tinygan.autograd.function import no_grad
from tinygan.autograd.gradients import grad
from tinygan.autograd.tensor import Tensor
from tinygan.nn.container import Sequential
from tinygan.nn.module import Module

__all__ = [
    "GanLabView",
    "decision_surface",
    "ganlab_view",
    "generator_gradients",
    "latent_grid",
    "pack_size",
]

SURFACE_CMAP = "RdBu"  # 0 (fake) red, 1/2 white, 1 (real) blue
LAYERS = ("surface", "real", "fake", "gradients", "latent_grid")


# -- helpers --------------------------------------------------------------------------------------


def _device(module: Module) -> Any:
    first = next(iter(module.parameters()), None)
    return first.device if first is not None else backend.get_default_device()


def _tensor(x: Any, module: Module, requires_grad: bool = False) -> Tensor:
    """A float Tensor of ``x`` (array or Tensor) on the device of ``module``'s parameters."""
    if isinstance(x, Tensor):
        x = x.numpy()
    array = np.asarray(x, dtype=backend.get_default_dtype())
    return Tensor(backend.to_device(array, _device(module)), requires_grad=requires_grad)


def _points(x: Any, what: str) -> np.ndarray:
    """A host (n, 2) float64 array from an array or a Tensor, or a clear error."""
    a = x.numpy() if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"ganlab: {what} must be 2-D points of shape (n, 2), got {a.shape}")
    return a


@contextlib.contextmanager
def _evaluating(module: Module) -> Iterator[None]:
    """``module`` in eval mode for the block, its mode restored after."""
    mode = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(mode)


def pack_size(discriminator: Module) -> int:
    """m when D starts with PacGAN's ``Pack(m)`` (``tinygan.models.Pack``, as ring2d's D does),
    else 1. (Recognised by its name and its ``m``: viz/ draws the networks of gan/ without
    importing it.)"""
    first = discriminator
    while isinstance(first, Sequential) and len(first):
        first = first[0]
    return int(first.m) if type(first).__name__ == "Pack" and hasattr(first, "m") else 1


def _generator_loss(logits: Tensor, generator_loss: str) -> Tensor:
    """L_G from D's logits a, as ``tinygan.losses`` computes it: Eq. 5, -mean log D(x) =
    -mean log σ(a) (``generator_loss_non_saturating``), or Eq. 2's term in G, mean log(1 - D(x))
    = mean log σ(-a) (``log_one_minus_d(a).mean()``)."""
    if generator_loss == "non_saturating":
        return -ops.log_sigmoid(logits).mean()
    return ops.log_sigmoid(-logits).mean()


def _packs_around(points: np.ndarray, context: np.ndarray, m: int) -> np.ndarray:
    """For each point and each slot j < m, the pack with the point in slot j and the context's
    m - 1 samples in the others: shape (m * P, 2 * m) as m blocks of P packs (slot-major)."""
    p = len(points)
    blocks = []
    for slot in range(m):  # a loop over the m slots, not over the points
        pack = np.empty((p, m, 2))
        pack[:, :, :] = np.insert(context, slot, 0.0, axis=0)[None]
        pack[:, slot, :] = points
        blocks.append(pack.reshape(p * m, 2))
    return np.concatenate(blocks)  # rows of 2-D samples, m consecutive rows per pack


# -- the three views ------------------------------------------------------------------------------


def decision_surface(
    discriminator: Module,
    limit: float,
    resolution: int = 81,
    *,
    context: Any = None,
    center: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D's probability of "real" on a square grid: D(x) = σ(logit(x)) at every grid point x.

    Args:
        discriminator: D, a Module mapping samples (n, 2) to logits (n/m, 1) (m = ``pack_size``).
        limit: half-width of the square, centred on ``center``.
        resolution: R, the number of grid points along each side.
        context: for a packed D (m > 1), at least m - 1 samples (k, 2) to fill the other slots of
            each pack, typically G's own samples; the first m - 1 are used. D(x) is then the mean
            over the m slots of σ(D(pack with x in that slot)).

    Returns:
        ``(xs, ys, p)``: the grid's coordinates xs (R,) and ys (R,), and p (R, R) with
        p[i, j] = D((xs[j], ys[i])) in [0, 1] (rows are y, as ``imshow(origin="lower")`` wants).
        D is run in eval mode without a graph; its parameters and mode are left as they were.
    """
    if not limit > 0 or int(resolution) < 2:
        raise ValueError(f"decision_surface: need limit > 0 and resolution >= 2, got {limit!r} "
                         f"and {resolution!r}")
    xs = np.linspace(center[0] - limit, center[0] + limit, int(resolution))
    ys = np.linspace(center[1] - limit, center[1] + limit, int(resolution))
    gx, gy = np.meshgrid(xs, ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (R*R, 2)
    m = pack_size(discriminator)
    if m > 1:
        if context is None:
            raise ValueError(f"decision_surface: D judges packs of {m} samples; pass context=, "
                             f"at least {m - 1} samples (G's) to fill the other slots")
        ctx = _points(context, "context")
        if len(ctx) < m - 1:
            raise ValueError(f"decision_surface: context needs at least {m - 1} samples for "
                             f"packs of {m}, got {len(ctx)}")
        rows = _packs_around(points, ctx[: m - 1], m)
    else:
        rows = points
    with _evaluating(discriminator), no_grad():
        prob = discriminator(_tensor(rows, discriminator)).sigmoid().numpy().reshape(-1)
    prob = prob.reshape(m, len(points)).mean(axis=0)  # the m slots' mean (m = 1: itself)
    return xs, ys, prob.reshape(len(ys), len(xs)).astype(np.float64)


def generator_gradients(
    discriminator: Module, fake: Any, generator_loss: str = "non_saturating"
) -> np.ndarray:
    """-∂L_G/∂x at each fake sample x: where G's loss wants each sample to move.

    L_G is Eq. 5, -mean log D(x) (``"non_saturating"``), or Eq. 2's term in G, mean log(1 - D(x))
    (``"zero_sum"``), the mean over the N/m packs of the N fakes (m = ``pack_size``, 1 for a plain
    D). The fakes become a leaf Tensor x, and ``tinygan.autograd.grad(L_G, x)`` walks the graph
    back through D to x: D's parameters and their ``.grad`` are left alone, as in Algorithm 1's
    G step, where D is frozen. For
    a plain D, -∂L_G/∂x_i = (1/N) (1 - D(x_i)) ∇_x logit(x_i) under Eq. 5: each arrow points up
    D's logit, longest where D is surest the sample is fake.

    Args:
        discriminator: D, as in ``decision_surface``.
        fake: the N fake samples, shape (N, 2) (N divisible by m).
        generator_loss: ``"non_saturating"`` or ``"zero_sum"``.

    Returns:
        the arrows, shape (N, 2), float64 (they carry the mean's 1/(N/m): compare directions and
        relative lengths, or rescale them).
    """
    if generator_loss not in ("non_saturating", "zero_sum"):
        raise ValueError(f"generator_gradients: generator_loss must be 'non_saturating' or "
                         f"'zero_sum', got {generator_loss!r}")
    f = _points(fake, "fake")
    m = pack_size(discriminator)
    if len(f) == 0 or len(f) % m:
        raise ValueError(f"generator_gradients: D judges packs of {m}; the number of fakes must "
                         f"be a positive multiple of {m}, got {len(f)}")
    x = _tensor(f, discriminator, requires_grad=True)
    with _evaluating(discriminator):
        (dloss_dx,) = grad(_generator_loss(discriminator(x), generator_loss), x)
    return -dloss_dx.numpy().astype(np.float64)


def latent_grid(
    generator: Module,
    latent_dim: int,
    n_lines: int = 11,
    n_points: int = 101,
    span: float = 2.0,
    plane: tuple[Any, Any] | None = None,
) -> np.ndarray:
    """G's image of a square grid of lines in a plane of latent space.

    The plane is z(u, v) = u·a + v·b for u, v in [-span, span], with a, b the first two axes of
    z (the other coordinates 0) unless ``plane=(a, b)`` gives two directions (latent_dim,). The
    grid has ``n_lines`` lines of constant u and as many of constant v; each line is sampled at
    ``n_points`` points and mapped through G (eval mode, no graph).

    Returns:
        the warped curves, shape (2 * n_lines, n_points, 2): first the images of the lines
        u = const (v running), then of the lines v = const (u running). A straight, evenly spaced
        grid would mean G is affine on that plane; folds and bunching show where G squeezes the
        noise onto the modes.
    """
    if int(n_lines) < 2 or int(n_points) < 2 or not span > 0:
        raise ValueError(f"latent_grid: need n_lines >= 2, n_points >= 2 and span > 0, got "
                         f"{n_lines!r}, {n_points!r}, {span!r}")
    if int(latent_dim) < 2:
        raise ValueError(f"latent_grid: a plane needs latent_dim >= 2, got {latent_dim!r}")
    if plane is None:
        a, b = np.eye(int(latent_dim))[:2]
    else:
        a, b = (np.asarray(d, dtype=np.float64).reshape(-1) for d in plane)
        if a.shape != (latent_dim,) or b.shape != (latent_dim,):
            raise ValueError(f"latent_grid: plane directions must have shape ({latent_dim},), "
                             f"got {a.shape} and {b.shape}")
    lines = np.linspace(-span, span, int(n_lines))
    run = np.linspace(-span, span, int(n_points))
    u = np.concatenate([np.repeat(lines, len(run)), np.tile(run, len(lines))])
    v = np.concatenate([np.tile(run, len(lines)), np.repeat(lines, len(run))])
    z = u[:, None] * a[None, :] + v[:, None] * b[None, :]  # (2 * n_lines * n_points, latent_dim)
    with _evaluating(generator), no_grad():
        out = generator(_tensor(z, generator)).numpy()
    if out.ndim != 2 or out.shape[1] != 2:
        raise ValueError(f"latent_grid: G must give 2-D samples (n, 2), got {out.shape}")
    return out.reshape(2 * int(n_lines), int(n_points), 2).astype(np.float64)


# -- one moment of training, all views ------------------------------------------------------------


@dataclass
class GanLabView:
    """GAN Lab's views at one moment (host arrays; R = resolution, N fakes, n real).

    Attributes:
        step: the training step (``gan.global_step``).
        xs, ys, surface: the grid (R,), (R,) and D's probabilities (R, R), see
            ``decision_surface``.
        real: data samples (n, 2); fake: G's samples (N, 2); gradients: -∂L_G/∂x (N, 2).
        grid: G's image of the latent grid (2 L, P, 2), see ``latent_grid``.
        limit: half-width of the square drawn.
    """

    step: int
    xs: np.ndarray
    ys: np.ndarray
    surface: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    gradients: np.ndarray
    grid: np.ndarray
    limit: float


def _real_samples(target: Any, n: int, seed: int) -> np.ndarray:
    """n samples of a Gaussian mixture (``.modes`` (K, 2), ``.std``) from a private generator,
    so taking a view leaves tinygan's training stream of random numbers untouched."""
    rng = np.random.default_rng(seed)
    modes = np.asarray(target.modes, dtype=np.float64)
    return modes[rng.integers(len(modes), size=n)] + target.std * rng.standard_normal((n, 2))


def ganlab_view(
    gan: Any,
    target: Any,
    n: int = 512,
    *,
    limit: float | None = None,
    resolution: int = 81,
    n_lines: int = 11,
    seed: int = 0,
) -> GanLabView:
    """Every GAN Lab view of a 2-D ``tinygan.GAN`` now, leaving its training exactly as it was.

    Args:
        gan: a GAN whose G gives (N, 2) samples (``ring2d``, ``grid2d``).
        target: the data: a mixture with ``.modes`` (K, 2) and ``.std`` (``Ring2D``, ``Grid2D``).
        n: real and fake samples drawn (a multiple of D's pack size).
        limit: half-width of the view; default 1.25 × the largest mode coordinate + 0.5.
        resolution: grid points per side of the decision surface.
        n_lines: lines per direction of the latent grid.
        seed: seeds G's noise (``gan.sample(n, seed=...)``) and the real samples, from private
            generators: the training's random numbers are not consumed.
    """
    modes = np.asarray(target.modes, dtype=np.float64)
    limit = float(limit) if limit is not None else 1.25 * float(np.abs(modes).max()) + 0.5
    fake = gan.sample(n, seed=seed).numpy().astype(np.float64)
    xs, ys, surface = decision_surface(gan.discriminator, limit, resolution, context=fake)
    return GanLabView(
        step=int(gan.global_step), xs=xs, ys=ys, surface=surface,
        real=_real_samples(target, n, seed), fake=fake,
        gradients=generator_gradients(gan.discriminator, fake, gan.generator_loss),
        grid=latent_grid(gan.generator, gan.latent_dim, n_lines=n_lines),
        limit=limit,
    )
