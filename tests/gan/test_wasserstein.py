"""The Wasserstein losses and the gradient penalties: gradients checked (first and second
derivatives, float64) and every value and parameter gradient against PyTorch in float64."""

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.gan import wasserstein as W

RTOL = 1e-10
F64 = np.float64


def _critic_pair(torch, kind):
    tg.manual_seed(0)
    T = torch.nn
    if kind == "mlp":
        ours = nn.Sequential(nn.Linear(3, 8, dtype=F64), nn.LeakyReLU(0.2),
                             nn.Linear(8, 8, dtype=F64), nn.LayerNorm(8, dtype=F64), nn.Tanh(),
                             nn.Linear(8, 1, dtype=F64))
        theirs = T.Sequential(T.Linear(3, 8), T.LeakyReLU(0.2), T.Linear(8, 8), T.LayerNorm(8),
                              T.Tanh(), T.Linear(8, 1)).double()
        shape = (6, 3)
    else:
        ours = nn.Sequential(nn.Conv2d(1, 3, 4, 2, 1, dtype=F64), nn.LeakyReLU(0.2),
                             nn.Flatten(), nn.Linear(48, 1, dtype=F64))
        theirs = T.Sequential(T.Conv2d(1, 3, 4, 2, 1), T.LeakyReLU(0.2), T.Flatten(),
                              T.Linear(48, 1)).double()
        shape = (4, 1, 8, 8)
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.numpy()))
    return ours, theirs, shape


def _torch_norms(torch, critic, x):
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return g.pow(2).reshape(len(g), -1).sum(dim=1).sqrt()


def _assert_same_grads(ours, theirs):
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        expected = np.zeros(p.shape) if q.grad is None else q.grad.numpy()
        got = np.zeros(p.shape) if p.grad is None else tg.backend.to_numpy(p.grad)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-13, err_msg=name)


# -- the losses ----------------------------------------------------------------------------------


def test_critic_and_generator_losses_match_torch_and_their_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((5, 1)), rng.standard_normal((7, 1))
    r, f = tg.tensor(real, requires_grad=True), tg.tensor(fake, requires_grad=True)
    tr, tf = torch.tensor(real, requires_grad=True), torch.tensor(fake, requires_grad=True)
    loss = W.critic_loss(r, f) + 0.3 * W.generator_loss_wasserstein(f)
    tloss = (tf.mean() - tr.mean()) + 0.3 * (-tf.mean())
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=RTOL)
    np.testing.assert_allclose(r.grad, tr.grad.numpy(), rtol=RTOL)
    np.testing.assert_allclose(f.grad, tf.grad.numpy(), rtol=RTOL)
    assert W.wasserstein_estimate(r, f).item() == pytest.approx(-W.critic_loss(r, f).item())
    assert tg.losses.critic_loss is W.critic_loss  # re-exported with Eq. 1-5


def test_losses_pass_gradcheck():
    rng = np.random.default_rng(1)
    r = tg.tensor(rng.standard_normal((4, 1)), requires_grad=True)
    f = tg.tensor(rng.standard_normal((3,)), requires_grad=True)
    assert tg.gradcheck(W.critic_loss, r, f)
    assert tg.gradcheck(W.generator_loss_wasserstein, f)


@pytest.mark.parametrize("bad, what", [
    (np.zeros((3, 1)), "tinygan Tensor"),
    (tg.zeros(3, 2), "shape (N, 1) or (N,)"),
    (tg.zeros(0, 1), "non-empty"),
])
def test_losses_name_what_was_wrong(bad, what):
    with pytest.raises((TypeError, ValueError), match=what.replace("(", r"\(").replace(")", r"\)")):
        W.critic_loss(bad, tg.zeros(3, 1))


# -- the interpolates and the penalties ----------------------------------------------------------


def test_interpolates_lie_between_real_and_fake():
    rng = np.random.default_rng(2)
    real = tg.tensor(rng.standard_normal((4, 2, 3)))
    fake = tg.tensor(rng.standard_normal((4, 2, 3)))
    eps = np.array([0.0, 1.0, 0.25, 0.5])
    x_hat = W.interpolates(real, fake, eps)
    assert x_hat.requires_grad and x_hat.grad_fn is None  # a leaf, cut from G's graph
    expected = eps[:, None, None] * real.numpy() + (1 - eps[:, None, None]) * fake.numpy()
    np.testing.assert_allclose(x_hat.numpy(), expected, rtol=RTOL)
    tg.manual_seed(3)
    drawn = W.interpolates(real, fake).numpy()
    t = (drawn - fake.numpy()) / (real.numpy() - fake.numpy())  # the same eps along a sample
    assert np.allclose(t, t[:, :1, :1], atol=1e-9) and ((t >= 0) & (t <= 1)).all()
    with pytest.raises(ValueError, match="same shape"):
        W.interpolates(real, fake[:3])
    with pytest.raises(ValueError, match="one value per sample"):
        W.interpolates(real, fake, np.ones(3))


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_gradient_penalty_matches_torch_on_the_interpolates(kind):
    torch = pytest.importorskip("torch")
    ours, theirs, shape = _critic_pair(torch, kind)
    rng = np.random.default_rng(4)
    real, fake, eps = rng.standard_normal(shape), rng.standard_normal(shape), rng.uniform(
        size=shape[0])
    gp, norms = W.gradient_penalty_terms(ours, tg.tensor(real), tg.tensor(fake), weight=10.0,
                                         epsilon=eps)
    gp.backward()
    e = torch.tensor(eps).reshape((-1,) + (1,) * (len(shape) - 1))
    x_hat = (e * torch.tensor(real) + (1 - e) * torch.tensor(fake)).requires_grad_()
    t_norms = _torch_norms(torch, theirs, x_hat)
    t_gp = 10.0 * ((t_norms - 1.0) ** 2).mean()
    t_gp.backward()
    np.testing.assert_allclose(norms.numpy(), t_norms.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(gp.item(), t_gp.item(), rtol=RTOL)
    _assert_same_grads(ours, theirs)
    same = W.gradient_penalty(ours, tg.tensor(real), tg.tensor(fake), epsilon=eps)
    assert same.item() == gp.item()


def test_r1_penalty_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs, shape = _critic_pair(torch, "mlp")
    real = np.random.default_rng(5).standard_normal(shape)
    r1 = W.r1_penalty(ours, tg.tensor(real), gamma=3.0)
    r1.backward()
    x = torch.tensor(real, requires_grad=True)
    (g,) = torch.autograd.grad(theirs(x).sum(), x, create_graph=True)
    t_r1 = 1.5 * g.pow(2).sum(dim=1).mean()
    t_r1.backward()
    np.testing.assert_allclose(r1.item(), t_r1.item(), rtol=RTOL)
    _assert_same_grads(ours, theirs)


def test_penalties_pass_gradcheck_and_gradgradcheck_in_the_points():
    """The penalty as a function of the points themselves: its gradient is a second derivative
    of D, its second derivative a third."""
    tg.manual_seed(6)
    critic = nn.Sequential(nn.Linear(2, 5, dtype=F64), nn.Tanh(), nn.Linear(5, 1, dtype=F64))
    rng = np.random.default_rng(6)
    x = tg.tensor(rng.standard_normal((3, 2)), requires_grad=True)

    def input_grad(points):  # gradcheck evaluates fn under no_grad for its differences
        with tg.enable_grad():
            if not points.requires_grad:
                points = points.detach().requires_grad_()
            return tg.autograd.grad(critic(points).sum(), points, create_graph=True)

    def gp_at(points):
        (g,) = input_grad(points)
        return 10.0 * (((g * g).sum(axis=1).sqrt() - 1.0) ** 2).mean()

    def r1_at(points):
        (g,) = input_grad(points)
        return 5.0 * (g * g).sum(axis=1).mean()

    for fn in (gp_at, r1_at):
        assert tg.gradcheck(fn, x)
        assert tg.gradgradcheck(fn, x)


def test_penalty_gradient_in_the_weights_passes_gradcheck():
    """d GP / d theta, through the recorded first backward, against central differences in the
    critic's weight."""
    tg.manual_seed(7)
    critic = nn.Sequential(nn.Linear(2, 4, dtype=F64), nn.LeakyReLU(0.2),
                           nn.Linear(4, 1, dtype=F64))
    rng = np.random.default_rng(7)
    real, fake, eps = (tg.tensor(rng.standard_normal((5, 2))),
                       tg.tensor(rng.standard_normal((5, 2))), rng.uniform(size=5))
    w = critic[0].weight

    def gp_of_w(weight):
        saved = w.data
        w.data = weight.data
        try:
            return W.gradient_penalty(critic, real, fake, epsilon=eps)
        finally:
            w.data = saved

    gp = W.gradient_penalty(critic, real, fake, epsilon=eps)
    gp.backward()
    analytic = tg.backend.to_numpy(w.grad).copy()
    numeric = np.zeros_like(analytic)
    h = 1e-6
    for idx in np.ndindex(analytic.shape):
        for sign in (1, -1):
            bumped = w.numpy().copy()
            bumped[idx] += sign * h
            numeric[idx] += sign * gp_of_w(tg.tensor(bumped)).item() / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_a_unit_norm_linear_critic_has_no_penalty_and_r1_is_its_squared_norm():
    critic = nn.Linear(3, 1, dtype=F64)
    with tg.no_grad():
        critic.weight.data[...] = [[2.0, 0.0, 0.0]]
    x, fake = tg.randn(4, 3, dtype=F64), tg.randn(4, 3, dtype=F64)
    assert W.gradient_penalty(critic, x, fake, weight=10.0).item() == pytest.approx(10.0)
    assert W.r1_penalty(critic, x, gamma=1.0).item() == pytest.approx(2.0)
    norms = W.critic_gradient_norms(critic, x)
    np.testing.assert_allclose(norms.numpy(), 2.0)
