"""The reference set-ups of docs/setups.md (tinygan.models): shapes, sizes, hyperparameters,
registry."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import models, nn


def n_params(module):
    return sum(p.size for p in module.parameters())


# (name, z shape, sample shape, batch, lr, G parameters, D parameters)
TABLE = [
    ("gauss1d", 8, (1,), 256, 1e-3, 8 * 32 + 32 + 32 * 32 + 32 + 33, 64 + 32 * 32 + 32 + 33),
    ("ring2d", 16, (2,), 512, 1e-3, None, None),
    ("grid2d", 16, (2,), 512, 1e-3, None, None),
    ("mlp-mnist", 64, (1, 28, 28), 128, 2e-4, 550_416, 533_505),
    ("dcgan-mnist", 100, (1, 28, 28), 64, 2e-4, 778_305, 138_817),
    ("cgan-mnist", 64, (1, 28, 28), 128, 2e-4, 550_416 + 10 * 256 + 100, 533_505 + 10 * 512 + 100),
]


@pytest.mark.parametrize("name,latent,shape,batch,lr,g_size,d_size", TABLE)
def test_setup_matches_the_table(name, latent, shape, batch, lr, g_size, d_size):
    tinygan.manual_seed(0)
    setup = models.build(name)
    assert setup.name == name and setup.latent_dim == latent and setup.batch_size == batch
    for opt in (setup.g_optimizer, setup.d_optimizer):
        assert opt.param_groups[0]["lr"] == lr and opt.param_groups[0]["betas"] == (0.5, 0.999)
    if g_size is not None:
        assert (n_params(setup.generator), n_params(setup.discriminator)) == (g_size, d_size)
    gan = setup.gan()
    assert isinstance(gan, tinygan.ConditionalGAN) == (name == "cgan-mnist")
    x = gan.sample(4)
    assert x.shape == (4, *shape) and x.dtype == np.float32
    if setup.data == "mnist":
        assert -1.0 <= x.numpy().min() and x.numpy().max() <= 1.0  # Tanh
        pixels = np.random.default_rng(0).uniform(-1, 1, (4, *shape))
        real = tinygan.tensor(pixels, dtype=np.float32)
        batch = (real, np.array([0, 1, 2, 3])) if setup.num_classes else real
    else:
        batch = setup.target.sample(4)
    record = gan.step(batch)  # one step of Algorithm 1 runs on every set-up
    assert np.isfinite(record.loss_d) and record.step == 1


def test_dcgan_uses_the_dcgan_initialisation():
    tinygan.manual_seed(0)
    setup = models.build("dcgan-mnist")
    conv = setup.discriminator[2]
    assert isinstance(conv, nn.Conv2d)
    assert conv.weight.numpy().std() == pytest.approx(0.02, rel=0.05)
    assert np.all(conv.bias.numpy() == 0)


def test_gauss1d_decays_only_the_generator_learning_rate():
    setup = models.build("gauss1d", steps=10)
    gan = setup.gan()
    gan.fit(setup.target, steps=5, batch_size=16, progress=False)
    assert setup.g_optimizer.param_groups[0]["lr"] == pytest.approx(5e-4)
    assert setup.d_optimizer.param_groups[0]["lr"] == 1e-3
    assert models.build("gauss1d", g_lr_decay=False).g_scheduler is None


def test_pack_makes_d_judge_groups_of_samples():
    tinygan.manual_seed(0)
    setup = models.build("ring2d")
    pack = setup.discriminator[0]
    assert isinstance(pack, models.Pack) and pack.m == 4
    x = setup.target.sample(8)
    np.testing.assert_array_equal(pack(x).numpy(), x.numpy().reshape(2, 8))
    assert setup.discriminator(x).shape == (2, 1)
    with pytest.raises(ValueError, match="batch of 6 samples does not split into packs of 4"):
        setup.discriminator(x[:6])
    assert not isinstance(models.build("ring2d", pack=1).discriminator[0], models.Pack)


def test_ring_modes_are_distinct():
    modes = models.build("ring2d").target.modes
    assert len({tuple(np.round(m, 6)) for m in modes}) == 8


def test_unknown_setup_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown set-up 'mnist'; valid set-ups: gauss1d, "
                       "ring2d, grid2d, mlp-mnist, dcgan-mnist, cgan-mnist"):
        models.build("mnist")
