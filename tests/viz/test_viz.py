"""tinygan.viz and tinygan.drawgraph: the pictures are headless, correct in what they compute, and
leave the training state alone."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import tinygan
from tinygan import models, viz
from tinygan.viz.drawgraph import graph_nodes


def test_gaussian_kde_is_a_density():
    samples = np.random.default_rng(0).normal(4.0, 1.25, 2000)
    x = np.linspace(-4, 12, 801)
    p = viz.gaussian_kde(samples, x)
    assert np.trapezoid(p, x) == pytest.approx(1.0, abs=1e-3)
    assert x[np.argmax(p)] == pytest.approx(4.0, abs=0.3)


def test_image_grid_tiles_and_scales():
    images = np.stack([np.full((1, 28, 28), v) for v in (-1.0, 0.0, 1.0, 0.5, -0.5)])
    grid = viz.image_grid(images, nrow=3, padding=2)
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2)
    assert grid[2, 2] == 0.0 and grid[2, 32] == 0.5 and grid[2, 62] == 1.0  # [-1, 1] -> [0, 1]
    assert grid[32, 32] == 0.25 and grid[0, 0] == 1.0  # padding is white
    np.testing.assert_array_equal(viz.image_grid(images.reshape(5, 784), nrow=3), grid)
    with pytest.raises(ValueError, match="not square"):
        viz.image_grid(np.zeros((2, 10)))


def test_figure1_leaves_the_training_stream_alone(tmp_path):
    tinygan.manual_seed(0)
    setup = models.build("gauss1d")
    gan = setup.gan()
    gan.fit(setup.target, steps=3, batch_size=32, progress=False)
    state = tinygan.backend.get_rng_state(tinygan.backend.generator("cpu"))
    fig = viz.figure1(gan, setup.target.pdf, (-2.0, 10.0), n=500)
    assert isinstance(fig, Figure)
    assert tinygan.backend.get_rng_state(tinygan.backend.generator("cpu")) == state
    assert gan.generator.training and gan.discriminator.training
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    assert {"p_data", "p_g", "D(x)"} <= set(labels)
    assert any(label.startswith("D*(x)") for label in labels)
    viz.save_figure(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_history_and_scatter_plots():
    history = {"step": np.arange(1, 51), "loss_d": np.linspace(1.0, 1.4, 50),
               "loss_g_non_saturating": np.full(50, 0.7), "d_real": np.full(50, 0.5),
               "d_fake": np.full(50, 0.5), "grad_norm_g": np.full(50, 0.1),
               "grad_norm_d": np.full(50, 0.2)}
    assert len(viz.plot_history(history).axes) == 3
    ring = tinygan.data.Ring2D()
    fig = viz.plot_samples_2d(ring.sample(100), ring.modes)
    assert fig.axes[0].get_xlim() == pytest.approx((-3.0, 3.0))


def test_draw_graph_walks_the_recorded_graph():
    x = tinygan.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = tinygan.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = ((w * x).sum() + 1.0).sigmoid()
    nodes, edges = graph_nodes(y)
    ops = sorted(obj.fn.__name__ for key, obj in nodes.items() if key[0] == "op")
    assert ops == ["Add", "Mul", "Sigmoid", "Sum"]
    assert sum(key[0] == "t" for key in nodes) == 7  # x, w, w*x, sum, the constant 1, +, y
    assert len(edges) == 10  # 2 into Mul, 1 into Sum, 2 into Add, 1 into Sigmoid, 4 op outputs
    fig = viz.draw_graph(y, names={"x": x, "w": w})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Mul" in texts and any(t.startswith("w\n") for t in texts)
    with pytest.raises(ValueError, match="more than max_nodes=3"):
        viz.draw_graph(y, max_nodes=3)
    with pytest.raises(TypeError, match="expected a tinygan Tensor"):
        viz.draw_graph(np.zeros(3))
