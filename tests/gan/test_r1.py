"""The R1 recipe (gan/recipes.py): D descends Eq. 1 + gamma / 2 E ||grad_x D(x)||^2 on the real
batch, in the GAN's D step, its record, its checks, and through a BatchNorm D against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import losses, models, nn
from tinygan.autograd import grad
from tinygan.data import Gaussian1D
from tinygan.gan import GAN, recipes, wasserstein
from tinygan.optim import SGD, Adam

DATA = Gaussian1D(4.0, 1.25)
F64 = np.float64


def tiny_gan(seed=0, d_optimizer=None, **options):
    tinygan.manual_seed(seed)
    g = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    d = nn.Sequential(nn.Linear(1, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return GAN(g, d, Adam(g.parameters(), lr=1e-2, betas=(0.5, 0.999)),
               (d_optimizer or Adam)(d.parameters(), lr=1e-2), latent_dim=4, **options)


def test_the_d_step_descends_eq_1_plus_r1_and_records_both():
    gan = tiny_gan(r1_gamma=2.0, d_optimizer=SGD)
    real = DATA.sample(16)
    fake = tinygan.tensor(np.linspace(-1.0, 1.0, 16, dtype=np.float32).reshape(16, 1))
    gan.sample_fakes = lambda n: (fake, ())  # fixed fakes, so the loss can be rebuilt here
    d = gan.discriminator
    params = list(d.parameters())
    eq1 = losses.discriminator_loss(d(real), d(fake))
    r1 = wasserstein.r1_penalty(d, real, gamma=2.0)
    expected = grad(eq1 + r1, params, retain_graph=True)
    terms = gan.d_step(real)
    assert terms["r1_penalty"] == pytest.approx(r1.item(), rel=1e-6) and r1.item() > 0
    assert terms["loss_d"] == pytest.approx(eq1.item() + r1.item(), rel=1e-6)
    for p, g in zip(params, expected):
        np.testing.assert_allclose(p.grad, g.numpy(), rtol=1e-5, atol=1e-7)
    # the penalty changes the weights' gradients; D's slope in x, w2 diag(LeakyReLU') w1, does
    # not depend on the biases (the slope pattern is piecewise constant in them)
    r1_only = grad(r1, params, allow_unused=True)
    assert r1_only[1] is None and r1_only[3] is None
    assert min(float(np.abs(r1_only[k].numpy()).max()) for k in (0, 2)) > 1e-4


def test_the_step_record_keeps_v_as_minus_eq_1():
    record = tiny_gan(r1_gamma=5.0).step(DATA.sample(32))
    assert record.r1_penalty > 0 and "r1_penalty" in record.keys()
    assert record.value == pytest.approx(-(record.loss_d - record.r1_penalty), rel=1e-6)
    plain = tiny_gan().step(DATA.sample(32))
    assert "r1_penalty" not in plain.keys() and plain.value == -plain.loss_d


def test_zero_is_the_default_and_the_same_run_and_a_gamma_changes_it():
    runs = []
    for options in ({}, {"r1_gamma": 0.0}, {"r1_gamma": 1.0}):
        runs.append(tiny_gan(**options))
        runs[-1].fit(DATA, steps=4, batch_size=16, progress=False)
    default, zero, penalised = runs
    assert default.r1_gamma == 0.0
    np.testing.assert_array_equal(default.history["loss_d"], zero.history["loss_d"])
    assert not np.allclose(default.history["d_real"], penalised.history["d_real"])
    assert penalised.state_dict()["config"]["r1_gamma"] == 1.0
    assert recipes.with_recipes(tiny_gan(), r1_gamma=0.5).r1_gamma == 0.5


@pytest.mark.parametrize("gamma", [-1.0, float("inf"), float("nan"), True, "1"])
def test_a_bad_gamma_is_a_clear_error(gamma):
    with pytest.raises(ValueError, match="r1_gamma, the R1 penalty's weight gamma, must be a "
                                         "finite number >= 0"):
        tiny_gan(r1_gamma=gamma)


def test_r1_is_refused_for_the_wasserstein_critic():
    tinygan.manual_seed(0)
    setup = models.build("ring2d", loss="wgan-gp")
    with pytest.raises(ValueError, match="loss='wgan-gp' has its own gradient penalty"):
        recipes.with_recipes(setup.gan(), r1_gamma=1.0)


def test_r1_in_a_conditional_gan_judges_the_labelled_real_batch():
    tinygan.manual_seed(0)
    setup = models.build("cgan-mnist", batch_size=8)
    gan = recipes.with_recipes(setup.gan(), r1_gamma=1.0)
    x = tinygan.tensor(np.random.default_rng(0).uniform(-1, 1, (8, 1, 28, 28)).astype("f4"))
    record = gan.step((x, np.arange(8) % 10))
    assert np.isfinite(record.r1_penalty) and record.r1_penalty > 0


def test_r1_through_the_packed_dcgan_discriminator_with_batchnorm():
    tinygan.manual_seed(0)
    setup = models.build("dcgan-mnist", batch_size=8, pack=2)
    gan = recipes.with_recipes(setup.gan(), r1_gamma=1.0)
    x = tinygan.tensor(np.random.default_rng(1).uniform(-1, 1, (8, 1, 28, 28)).astype("f4"))
    record = gan.step(x)
    assert np.isfinite(record.r1_penalty) and record.r1_penalty > 0


def test_r1_through_a_train_mode_batchnorm_discriminator_matches_torch():
    """The penalty and D's gradient of it in float64, where the input gradient passes through
    BatchNorm's batch statistics (the DCGAN's D), against torch.autograd.grad."""
    torch = pytest.importorskip("torch")
    tinygan.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(2, 4, 4, 2, 1, dtype=F64), nn.BatchNorm2d(4, dtype=F64),
                         nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(64, 1, dtype=F64))
    T = torch.nn
    theirs = T.Sequential(T.Conv2d(2, 4, 4, 2, 1), T.BatchNorm2d(4), T.LeakyReLU(0.2),
                          T.Flatten(), T.Linear(64, 1)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.numpy()))
    real = np.random.default_rng(2).standard_normal((5, 2, 8, 8))
    r1 = wasserstein.r1_penalty(ours, tinygan.tensor(real), gamma=3.0)
    r1.backward()
    x = torch.tensor(real, requires_grad=True)
    (g,) = torch.autograd.grad(theirs(x).sum(), x, create_graph=True)
    t_r1 = 1.5 * g.pow(2).reshape(5, -1).sum(dim=1).mean()
    t_r1.backward()
    np.testing.assert_allclose(r1.item(), t_r1.item(), rtol=1e-10)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        # the conv's bias cancels in BatchNorm and the last bias leaves D's slope alone: no
        # gradient (None) or a zero one, depending on the library
        mine = np.zeros(p.shape) if p.grad is None else p.grad
        other = np.zeros(p.shape) if q.grad is None else q.grad.numpy()
        np.testing.assert_allclose(mine, other, rtol=1e-8, atol=1e-12, err_msg=name)
    assert np.abs(ours[0].weight.grad).max() > 1e-3
