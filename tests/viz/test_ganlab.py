"""tinygan.viz.ganlab: GAN Lab's views against closed forms and finite differences, headless, and
leaving the networks and the training stream as they were."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import tinygan
from tinygan import backend, losses, models, nn, viz
from tinygan.gan.models import Pack
from tinygan.viz.ganlab import _generator_loss, pack_size

pytestmark = pytest.mark.lesson03


def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


@pytest.fixture
def float64():
    with backend.default_dtype(np.float64):
        yield


def linear_d(w=(1.5, -0.5), b=0.25):
    """A D with logit(x) = w·x + b, the case every view has in closed form."""
    d = nn.Linear(2, 1)
    d.weight.data = np.array([w], dtype=d.weight.data.dtype)
    d.bias.data = np.array([b], dtype=d.bias.data.dtype)
    return d


def test_surface_of_a_linear_d_is_its_sigmoid_on_the_grid(float64):
    xs, ys, p = viz.decision_surface(linear_d(), limit=2.0, resolution=5, center=(1.0, 0.0))
    np.testing.assert_allclose(xs, [-1.0, 0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(ys, [-2.0, -1.0, 0.0, 1.0, 2.0])
    expected = sigmoid(1.5 * xs[None, :] - 0.5 * ys[:, None] + 0.25)  # rows are y
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_surface_of_a_packed_d_is_the_mean_over_slots(float64):
    tinygan.manual_seed(0)
    lin = nn.Linear(6, 1)  # packs of 3 samples of 2 coordinates
    d = nn.Sequential(Pack(3), lin)
    assert pack_size(d) == 3 and pack_size(lin) == 1
    context = np.array([[0.3, -0.2], [1.0, 0.5], [9.0, 9.0]])  # only the first 2 are used
    xs, ys, p = viz.decision_surface(d, limit=1.0, resolution=3, context=context)
    w, b = lin.weight.data.reshape(3, 2), lin.bias.data[0]
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            slots = []
            for slot in range(3):
                pack = np.insert(context[:2], slot, [x, y], axis=0)
                slots.append(sigmoid(np.sum(w * pack) + b))
            assert p[i, j] == pytest.approx(np.mean(slots), rel=1e-12)
    with pytest.raises(ValueError, match="packs of 3 samples; pass context="):
        viz.decision_surface(d, 1.0, 3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        viz.decision_surface(d, 1.0, 3, context=context[:1])


@pytest.mark.parametrize("loss", ["non_saturating", "zero_sum"])
def test_generator_gradients_of_a_linear_d_in_closed_form(float64, loss):
    d = linear_d()
    fake = np.random.default_rng(0).normal(size=(6, 2))
    arrows = viz.generator_gradients(d, fake, loss)
    s = sigmoid(fake @ np.array([1.5, -0.5]) + 0.25)
    # Eq. 5: L = -mean log s, -dL/dx_i = (1 - s_i) w / N;  Eq. 2: L = mean log(1 - s),
    # -dL/dx_i = s_i w / N.
    weight = (1.0 - s) if loss == "non_saturating" else s
    expected = weight[:, None] * np.array([[1.5, -0.5]]) / len(fake)
    np.testing.assert_allclose(arrows, expected, rtol=1e-10)


def test_generator_gradients_match_finite_differences_through_a_packed_mlp(float64):
    tinygan.manual_seed(1)
    d = nn.Sequential(Pack(2), nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    fake = np.random.default_rng(1).normal(size=(4, 2))
    arrows = viz.generator_gradients(d, fake)

    def loss(x):
        logits = d(tinygan.tensor(x)).numpy().reshape(-1)
        return -np.mean(np.log(sigmoid(logits)))

    eps = 1e-6
    numeric = np.zeros_like(fake)
    for i in range(fake.shape[0]):
        for j in range(2):
            up, down = fake.copy(), fake.copy()
            up[i, j] += eps
            down[i, j] -= eps
            numeric[i, j] = -(loss(up) - loss(down)) / (2 * eps)
    np.testing.assert_allclose(arrows, numeric, rtol=1e-6, atol=1e-10)


def test_the_generator_losses_are_tinygan_losses_own(float64):
    logits = tinygan.tensor(np.linspace(-30.0, 30.0, 13).reshape(-1, 1))
    np.testing.assert_allclose(_generator_loss(logits, "non_saturating").numpy(),
                               losses.generator_loss_non_saturating(logits).numpy(), rtol=1e-15)
    np.testing.assert_allclose(_generator_loss(logits, "zero_sum").numpy(),
                               losses.log_one_minus_d(logits).mean().numpy(), rtol=1e-15)


def test_views_leave_d_exactly_as_it_was():
    tinygan.manual_seed(2)
    d = models.build("ring2d", pack=1).discriminator
    d.train()
    params = list(d.parameters())
    for p in params:
        p.grad = np.full_like(p.data, 0.5)
    before = [(p.data.copy(), p.grad.copy(), p.requires_grad) for p in params]
    fake = np.random.default_rng(0).normal(size=(8, 2))
    viz.generator_gradients(d, fake)
    viz.decision_surface(d, 2.0, 7)
    assert d.training
    for p, (data, grad, flag) in zip(params, before):
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, grad)
        assert p.requires_grad == flag


def test_bad_fakes_get_a_clear_error():
    d = nn.Sequential(Pack(4), nn.Linear(8, 1))
    with pytest.raises(ValueError, match="positive multiple of 4, got 6"):
        viz.generator_gradients(d, np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(6, 3\)"):
        viz.generator_gradients(d, np.zeros((6, 3)))
    with pytest.raises(ValueError, match="generator_loss must be"):
        viz.generator_gradients(d, np.zeros((4, 2)), "wasserstein")


def test_latent_grid_of_an_affine_g_is_the_affine_image_of_the_grid(float64):
    tinygan.manual_seed(3)
    g = nn.Linear(5, 2)
    curves = viz.latent_grid(g, 5, n_lines=3, n_points=4, span=1.5)
    assert curves.shape == (6, 4, 2)
    w, b = g.weight.data, g.bias.data
    lines, run = np.linspace(-1.5, 1.5, 3), np.linspace(-1.5, 1.5, 4)
    for k, u in enumerate(lines):  # u = const, v runs: z = (u, v, 0, 0, 0)
        z = np.zeros((4, 5))
        z[:, 0], z[:, 1] = u, run
        np.testing.assert_allclose(curves[k], z @ w.T + b, rtol=1e-12)
    for k, v in enumerate(lines):  # v = const, u runs
        z = np.zeros((4, 5))
        z[:, 0], z[:, 1] = run, v
        np.testing.assert_allclose(curves[3 + k], z @ w.T + b, rtol=1e-12)
    a, c = np.eye(5)[2], np.eye(5)[4]
    other = viz.latent_grid(g, 5, n_lines=3, n_points=4, span=1.5, plane=(a, c))
    np.testing.assert_allclose(other[0, 0], (-1.5 * a - 1.5 * c) @ w.T + b, rtol=1e-12)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        viz.latent_grid(g, 5, plane=(np.ones(4), np.ones(4)))


def test_ganlab_view_and_its_pictures_leave_training_alone(tmp_path):
    tinygan.manual_seed(0)
    setup = models.build("ring2d", steps=20)
    gan = setup.gan()
    gan.fit(setup.target, 3, batch_size=64, progress=False)
    state = backend.get_rng_state(backend.generator("cpu"))
    views = [viz.ganlab_view(gan, setup.target, n=64, resolution=9, n_lines=4)]
    # The view draws its noise and data from private generators: the training stream is as it
    # was, so training on after a view is the same run as without it.
    assert backend.get_rng_state(backend.generator("cpu")) == state
    gan.fit(setup.target, 1, batch_size=64, progress=False)
    views.append(viz.ganlab_view(gan, setup.target, n=64, resolution=9, n_lines=4))
    v = views[0]
    assert (v.step, views[1].step) == (3, 4)
    assert v.surface.shape == (9, 9) and v.xs.shape == (9,) and v.ys.shape == (9,)
    assert v.real.shape == v.fake.shape == v.gradients.shape == (64, 2)
    assert v.grid.shape == (8, 101, 2)
    assert v.limit == pytest.approx(1.25 * 2.0 + 0.5)
    assert np.all((v.surface >= 0) & (v.surface <= 1))
    fig = viz.plot_ganlab(views, modes=setup.target.modes, label="PacGAN")
    assert isinstance(fig, Figure)
    assert len([ax for ax in fig.axes if ax.get_images()]) == 2  # the top row's heat maps
    assert len(fig.axes) == 2 * 2 + 1  # 2 rows x 2 moments, one colour bar
    fig.savefig(tmp_path / "ganlab.png")
    one = viz.plot_ganlab_view(v, layers=("surface", "fake", "latent_grid"), colorbar=True)
    assert isinstance(one, Figure)
    with pytest.raises(ValueError, match="unknown layers"):
        viz.plot_ganlab_view(v, layers=("contours",))
