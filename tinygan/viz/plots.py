"""Pictures of a GAN at work, with matplotlib: the 1-D view of Goodfellow et al.'s Figure 1, the
2-D scatter over the modes, image grids, and the training curves.

Every function draws on an ``ax`` you pass, or makes its own ``matplotlib.figure.Figure`` (never
through ``pyplot``, so it works headless with no display and leaves no open windows) and returns
the figure. In Jupyter a returned figure shows itself; elsewhere call ``fig.savefig("x.png")``.

Inputs are NumPy arrays or tinygan Tensors (copied to the host with ``.numpy()``, explicitly).
``draw_graph``, the drawing of a recorded computation graph, lives in ``tinygan.drawgraph`` and
is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imsave

from tinygan.viz.drawgraph import draw_graph

__all__ = [
    "draw_graph",
    "figure1",
    "gaussian_kde",
    "image_grid",
    "plot_figure1",
    "plot_history",
    "plot_images",
    "plot_samples_2d",
    "save_figure",
    "save_images",
]

# Goodfellow et al. 2014, Figure 1: data black dotted, generator green solid, D blue dashed.
DATA_STYLE = {"color": "black", "linestyle": ":", "linewidth": 2.0, "label": "p_data"}
GEN_STYLE = {"color": "green", "linestyle": "-", "linewidth": 2.0, "label": "p_g"}
D_STYLE = {"color": "blue", "linestyle": "--", "linewidth": 1.8, "label": "D(x)"}
DSTAR_STYLE = {"color": "purple", "linestyle": "-.", "linewidth": 1.2,
               "label": "D*(x) = p_data / (p_data + p_g)"}
LEGEND_BELOW = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.16), "ncol": 3, "fontsize": 7}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new headless figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _host(x: Any, what: str) -> np.ndarray:
    """A NumPy array from a NumPy array or a tinygan Tensor (explicitly copied to the host)."""
    if hasattr(x, "numpy") and callable(x.numpy):
        return x.numpy()
    if isinstance(x, (np.ndarray, list, tuple)):
        return np.asarray(x)
    raise TypeError(
        f"viz: {what} must be a NumPy array or a tinygan Tensor, got {type(x).__name__}"
    )


def save_figure(fig: Figure, path: Any, dpi: int = 110) -> None:
    """Write ``fig`` to ``path`` (the format from its extension, e.g. .png or .pdf)."""
    fig.savefig(path, dpi=dpi)


# -- 1-D: Goodfellow et al.'s Figure 1 ------------------------------------------------------------


def gaussian_kde(samples: Any, x: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """A smooth estimate of the density of 1-D ``samples`` at the points ``x``.

    p(x) ~= (1/n) sum_i N(x; s_i, h^2), with Scott's rule h = 1.06 std n^(-1/5) unless given.
    """
    s = _host(samples, "samples").reshape(-1).astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    if s.size == 0:
        raise ValueError("gaussian_kde: no samples")
    h = bandwidth or 1.06 * max(float(s.std()), 1e-3) * s.size ** (-0.2)
    u = (x[:, None] - s[None, :]) / h  # (len(x), n): no loop over samples
    return np.exp(-0.5 * u * u).sum(axis=1) / (s.size * h * math.sqrt(2 * math.pi))


def plot_figure1(
    x: np.ndarray,
    p_data: np.ndarray,
    fake_samples: Any,
    d_values: np.ndarray | None = None,
    *,
    show_d_star: bool = True,
    real_samples: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The 1-D GAN picture of Goodfellow et al. (2014), Figure 1, from arrays.

    Args:
        x: the grid of points to draw over, shape (n,).
        p_data: the data density at ``x`` (black dotted), shape (n,).
        fake_samples: samples G(z), any shape with one value each; their density p_g is
            estimated with ``gaussian_kde`` (green) and shown also as a light histogram.
        d_values: D(x) on the grid, probabilities in [0, 1] (blue dashed), or None.
        show_d_star: also draw the best discriminator for this G, D*(x) = p_data/(p_data + p_g).
        real_samples: optional data samples, drawn as a grey histogram under p_data.
    """
    fig, ax = _axes(ax, figsize=(6.0, 4.6))
    x = np.asarray(x, dtype=np.float64)
    p_data = np.asarray(p_data, dtype=np.float64)
    fake = _host(fake_samples, "fake_samples").reshape(-1)
    bins = np.linspace(x[0], x[-1], 61)
    if real_samples is not None:
        real = _host(real_samples, "real_samples").reshape(-1)
        ax.hist(real, bins=bins, density=True, color="0.8", alpha=0.6, label="data samples")
    ax.hist(fake, bins=bins, density=True, color="green", alpha=0.15, label="G(z) samples")
    p_g = gaussian_kde(fake, x)
    ax.plot(x, p_data, **DATA_STYLE)
    ax.plot(x, p_g, **GEN_STYLE)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    top = 1.15 * max(float(p_data.max()), float(p_g.max()), 1e-3)
    ax.set_ylim(0.0, top)
    ax.set_xlim(x[0], x[-1])
    if d_values is not None or show_d_star:
        ax2 = ax.twinx()  # D is a probability: its own axis from 0 to 1
        if d_values is not None:
            ax2.plot(x, _host(d_values, "d_values").reshape(-1), **D_STYLE)
        if show_d_star:
            # D* is 0/0 where neither density has mass: draw it only where one of them does.
            mass = p_data + p_g
            d_star = np.where(mass > 1e-2 * mass.max(), p_data / np.maximum(mass, 1e-300), np.nan)
            ax2.plot(x, d_star, **DSTAR_STYLE)
        ax2.axhline(0.5, color="0.6", linewidth=0.8)
        ax2.set_ylim(0.0, 1.05)
        ax2.set_ylabel("D")
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], **LEGEND_BELOW)
    else:
        ax.legend(**LEGEND_BELOW)
    if title:
        ax.set_title(title)
    return fig


def figure1(
    gan: Any,
    data_pdf: Callable[[np.ndarray], np.ndarray],
    x_range: tuple[float, float],
    n: int = 10_000,
    *,
    seed: int = 0,
    show_d_star: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Figure 1 for a 1-D ``tinygan.GAN``: ``n`` samples of G, and D evaluated on a grid.

    ``data_pdf(x)`` is the data density (for gauss1d, ``Gaussian1D().pdf``); ``x_range`` the
    interval to draw. G's noise comes from a private generator seeded with ``seed``, and D is
    evaluated in eval mode without a graph, so drawing leaves the training exactly as it was.
    """
    x = np.linspace(x_range[0], x_range[1], 400)
    fake = gan.sample(n, seed=seed)
    d = gan.discriminate(x.reshape(-1, 1))
    return plot_figure1(x, data_pdf(x), fake, d, show_d_star=show_d_star, ax=ax, title=title)


# -- 2-D: samples over the modes ------------------------------------------------------------------


def plot_samples_2d(
    samples: Any,
    modes: Any = None,
    *,
    real_samples: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    limit: float | None = None,
) -> Figure:
    """Generated 2-D samples (green dots) over the mixture's modes (red crosses).

    Args:
        samples: G(z), shape (n, 2).
        modes: the mode centres, shape (m, 2), or None.
        real_samples: optional data samples, drawn in light grey underneath.
        limit: half-width of the square view; by default it fits the modes with a margin.
    """
    fig, ax = _axes(ax, figsize=(4.5, 4.5))
    s = _host(samples, "samples").reshape(-1, 2)
    if real_samples is not None:
        r = _host(real_samples, "real_samples").reshape(-1, 2)
        ax.scatter(r[:, 0], r[:, 1], s=2, color="0.75", label="data")
    ax.scatter(s[:, 0], s[:, 1], s=3, color="green", alpha=0.4, label="G(z)")
    if modes is not None:
        m = _host(modes, "modes").reshape(-1, 2)
        ax.scatter(m[:, 0], m[:, 1], s=40, marker="x", color="red", label="modes")
        if limit is None:
            limit = 1.25 * float(np.abs(m).max()) + 0.5
    if limit is not None:
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=2)
    if title:
        ax.set_title(title)
    return fig


# -- images ---------------------------------------------------------------------------------------


def image_grid(images: Any, nrow: int | None = None, padding: int = 2,
               value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Tile images into one picture with values in [0, 1], as ``torchvision.utils.make_grid``.

    Args:
        images: shape (N, 1, H, W), (N, H, W) or (N, H*W) with a square H = W (MNIST's 784).
        nrow: images per row (default: about sqrt(N)).
        value_range: the range of the images' values (tinygan's MNIST is in [-1, 1]).

    Returns:
        An array of shape (rows*(H+padding)+padding, nrow*(W+padding)+padding).
    """
    a = _host(images, "images").astype(np.float64)
    if a.ndim == 2:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1]:
            raise ValueError(f"image_grid: flat images of {a.shape[1]} values are not square")
        a = a.reshape(-1, side, side)
    elif a.ndim == 4:
        if a.shape[1] != 1:
            raise ValueError(f"image_grid: expected one channel, got shape {a.shape}")
        a = a[:, 0]
    elif a.ndim != 3:
        raise ValueError(f"image_grid: expected (N, 1, H, W), (N, H, W) or (N, H*W), got {a.shape}")
    lo, hi = value_range
    a = np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    n, h, w = a.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = np.ones((rows * (h + padding) + padding, nrow * (w + padding) + padding))
    for i in range(n):  # a loop over a few dozen tiles, not over pixels
        r, c = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top:top + h, left:left + w] = a[i]
    return grid


def plot_images(images: Any, nrow: int | None = None, *, ax: Axes | None = None,
                title: str | None = None, labels: Any = None) -> Figure:
    """An image grid (see ``image_grid``) drawn in grey on ``ax``."""
    fig, ax = _axes(ax, figsize=(5.0, 5.0))
    ax.imshow(image_grid(images, nrow), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if labels is not None:
        ax.set_title((title + "\n" if title else "") + " ".join(str(v) for v in labels)[:120],
                     fontsize=8)
    return fig


def save_images(images: Any, path: Any, nrow: int | None = None) -> None:
    """Write an image grid to a PNG file, pixel for pixel."""
    imsave(path, image_grid(images, nrow), cmap="gray", vmin=0.0, vmax=1.0)


# -- training curves ------------------------------------------------------------------------------


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """A running mean over ``window`` steps (shorter at the start): the trend of a noisy curve."""
    if window <= 1 or y.size < 2:
        return y
    c = np.cumsum(np.insert(y.astype(np.float64), 0, 0.0))
    out = np.empty(y.size)
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(idx - window, 0)
    out[:] = (c[idx] - c[lo]) / (idx - lo)
    return out


def plot_history(history: Mapping[str, Any], *, smooth: int | None = None,
                 fig: Figure | None = None) -> Figure:
    """The losses, D(x) / D(G(z)) and gradient norms over training, from ``GAN.history``.

    Left: Eq. 1 (L_D) with its equilibrium value 2 log 2, and Eq. 5 (L_G, non-saturating) with
    its equilibrium log 2. (Eq. 2 is -Eq. 1 and Eq. 3 is -Eq. 1: their curves are the mirror
    image of L_D's, so they are not drawn twice.) Middle: mean D(x) on real and D(G(z)) on fake
    batches, with the equilibrium 1/2. Right (when recorded): the norms of G's and D's
    gradients on a log scale, where a vanishing generator gradient shows. ``smooth`` is a
    running-mean window (default: about 1% of the steps).
    """
    if fig is None:
        fig = Figure(figsize=(13.0, 3.6), layout="constrained")
    panels = 3 if "grad_norm_g" in history else 2
    axes = fig.subplots(1, panels)
    steps = np.asarray(history.get("step", np.arange(1, len(history["loss_d"]) + 1)))
    w = smooth if smooth is not None else max(1, steps.size // 100)

    def curve(ax: Axes, key: str, label: str, color: str) -> None:
        if key in history:
            ax.plot(steps, _smooth(np.asarray(history[key]), w), label=label, color=color, lw=1)

    ax = axes[0]
    curve(ax, "loss_d", "L_D (Eq. 1)", "tab:blue")
    curve(ax, "loss_g_non_saturating", "L_G non-saturating (Eq. 5)", "tab:orange")
    ax.axhline(2 * math.log(2), color="tab:blue", ls=":", lw=1, label="2 log 2")
    ax.axhline(math.log(2), color="tab:orange", ls=":", lw=1, label="log 2")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    ax = axes[1]
    curve(ax, "d_real", "D(x)", "black")
    curve(ax, "d_fake", "D(G(z))", "green")
    ax.axhline(0.5, color="0.5", ls=":", lw=1, label="1/2")
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("step")
    ax.set_ylabel("mean probability of 'real'")
    ax.legend(fontsize=7)
    if panels == 3:
        ax = axes[2]
        curve(ax, "grad_norm_g", "|grad G|", "green")
        curve(ax, "grad_norm_d", "|grad D|", "tab:blue")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("gradient norm")
        ax.legend(fontsize=7)
    return fig
