"""Pictures: Goodfellow et al.'s Figure 1, 2-D scatters, sample grids, curves, the graph drawn.

* ``plots.py``: ``figure1``, ``plot_samples_2d``, ``image_grid``, ``plot_history`` ...;
* ``drawgraph.py``: ``draw_graph``, a recorded computation graph as a picture;
* ``ganlab.py``: GAN Lab's views of a 2-D GAN: D's decision surface, G's gradient arrows, G's
  image of a latent grid (``ganlab_view``); ``ganlab_plots.py`` draws them (``plot_ganlab``).
"""

from tinygan.viz.drawgraph import draw_graph
from tinygan.viz.ganlab import (
    GanLabView,
    decision_surface,
    ganlab_view,
    generator_gradients,
    latent_grid,
)
from tinygan.viz.ganlab_plots import plot_ganlab, plot_ganlab_view
from tinygan.viz.plots import (
    D_STYLE,
    DATA_STYLE,
    DSTAR_STYLE,
    GEN_STYLE,
    LEGEND_BELOW,
    figure1,
    gaussian_kde,
    image_grid,
    plot_figure1,
    plot_history,
    plot_images,
    plot_samples_2d,
    save_figure,
    save_images,
)

__all__ = [
    "DATA_STYLE",
    "DSTAR_STYLE",
    "GanLabView",
    "D_STYLE",
    "GEN_STYLE",
    "LEGEND_BELOW",
    "decision_surface",
    "draw_graph",
    "figure1",
    "ganlab_view",
    "gaussian_kde",
    "generator_gradients",
    "image_grid",
    "latent_grid",
    "plot_figure1",
    "plot_ganlab",
    "plot_ganlab_view",
    "plot_history",
    "plot_images",
    "plot_samples_2d",
    "save_figure",
    "save_images",
]
