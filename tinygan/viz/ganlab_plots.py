"""GAN Lab's views drawn: one view's panel (``plot_ganlab_view``) and a grid of views over
training (``plot_ganlab``), from the ``GanLabView`` arrays that ``ganlab.py`` computes.

Headless: every picture is a ``matplotlib.figure.Figure`` made without ``pyplot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tinygan.viz.ganlab import LAYERS, SURFACE_CMAP, GanLabView

__all__ = ["plot_ganlab", "plot_ganlab_view"]


def plot_ganlab_view(
    view: GanLabView,
    ax: Axes | None = None,
    *,
    layers: Sequence[str] = ("surface", "real", "fake", "gradients"),
    modes: Any = None,
    n_arrows: int = 100,
    title: str | None = None,
    colorbar: bool = False,
) -> Figure:
    """One panel: the chosen ``layers`` of a ``GanLabView``, bottom to top.

    Layers: ``"surface"`` (D's heat map), ``"real"`` (black dots), ``"fake"`` (green dots),
    ``"gradients"`` (arrows -∂L_G/∂x on the first ``n_arrows`` fakes, rescaled: the 90th
    percentile of their lengths is drawn at 8% of the view, longer ones clipped at 1.5 times
    that; directions and relative lengths are what they show),
    ``"latent_grid"`` (G's warped grid, lines of constant u in green, of constant v in orange).
    ``modes`` (K, 2), if given, are marked with red crosses under the samples.
    """
    unknown = [name for name in layers if name not in LAYERS]
    if unknown:
        raise ValueError(f"plot_ganlab_view: unknown layers {unknown}; choose from {LAYERS}")
    if ax is None:
        fig = Figure(figsize=(4.2, 4.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    lim = view.limit
    if "surface" in layers:
        image = ax.imshow(view.surface, origin="lower", cmap=SURFACE_CMAP, vmin=0.0, vmax=1.0,
                          extent=(view.xs[0], view.xs[-1], view.ys[0], view.ys[-1]),
                          interpolation="bilinear", alpha=0.85)
        if colorbar:
            fig.colorbar(image, ax=ax, label="D(x)", shrink=0.8)
    if modes is not None:  # under the samples, so the data's tight clusters stay visible
        m = np.asarray(modes, dtype=np.float64).reshape(-1, 2)
        ax.scatter(m[:, 0], m[:, 1], s=60, marker="+", color="red", linewidths=0.8)
    if "real" in layers:
        ax.scatter(view.real[:, 0], view.real[:, 1], s=4, color="black", alpha=0.6, label="data")
    if "latent_grid" in layers:
        half = len(view.grid) // 2
        for k, curve in enumerate(view.grid):
            ax.plot(curve[:, 0], curve[:, 1], color="tab:green" if k < half else "tab:orange",
                    linewidth=0.7, alpha=0.9)
    if "fake" in layers:
        ax.scatter(view.fake[:, 0], view.fake[:, 1], s=4, color="green", alpha=0.6, label="G(z)")
    if "gradients" in layers:
        g = view.gradients[:n_arrows]
        x = view.fake[:n_arrows]
        length = np.sqrt((g**2).sum(axis=1))
        typical = float(np.percentile(length, 90)) if len(g) else 0.0
        if typical > 0:  # the 90th percentile drawn at 8% of the view, the few longer clipped
            shown = np.minimum(length / typical, 1.5) * (0.08 * 2 * lim)
            g = g * (shown / np.maximum(length, 1e-300))[:, None]
            ax.quiver(x[:, 0], x[:, 1], g[:, 0], g[:, 1], angles="xy", scale_units="xy",
                      scale=1.0, width=0.003, color="darkgreen", alpha=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title if title is not None else f"step {view.step}", fontsize=9)
    ax.tick_params(labelsize=7)
    return fig


def plot_ganlab(
    views: Sequence[GanLabView],
    *,
    modes: Any = None,
    rows: Sequence[Sequence[str]] = (("surface", "real", "fake", "gradients"),
                                     ("real", "latent_grid")),
    row_titles: Sequence[str] = ("D(x) under the samples, arrows -dL_G/dx",
                                 "G's image of a latent grid"),
    label: str = "",
    panel_size: float = 3.0,
) -> Figure:
    """GAN Lab's views over training: one column per view (a moment), one row per set of
    ``rows`` layers (default: D's surface with the samples and G's arrows, then G's warped latent
    grid over the data). Returns the Figure (len(rows) × len(views) panels, one colour bar)."""
    if not views:
        raise ValueError("plot_ganlab: no views to draw")
    fig = Figure(figsize=(panel_size * len(views) + 0.8, panel_size * len(rows) + 0.3),
                 layout="constrained")
    axes = fig.subplots(len(rows), len(views), squeeze=False)
    for r, layers in enumerate(rows):
        for c, view in enumerate(views):
            title = f"{label + ', ' if label else ''}step {view.step}" if r == 0 else ""
            plot_ganlab_view(view, axes[r, c], layers=layers, modes=modes, title=title)
        name = row_titles[r] if r < len(row_titles) else ""
        axes[r, 0].set_ylabel(name, fontsize=8)
    if any("surface" in layers for layers in rows):
        mappable = next(im for ax in axes.ravel() for im in ax.get_images())
        fig.colorbar(mappable, ax=axes.ravel().tolist(), label="D(x)", shrink=0.6)
    return fig
