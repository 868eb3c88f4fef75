"""Pictures: Goodfellow et al.'s Figure 1, 2-D scatters, sample grids, curves, the graph drawn.

* ``plots.py``: ``figure1``, ``plot_samples_2d``, ``image_grid``, ``plot_history`` ...;
* ``drawgraph.py``: ``draw_graph``, a recorded computation graph as a picture.
"""

from tinygan.viz.drawgraph import draw_graph
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
    "D_STYLE",
    "GEN_STYLE",
    "LEGEND_BELOW",
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
