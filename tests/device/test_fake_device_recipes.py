"""The recipes of gan/recipes.py on the CuPy double (see tests/fake_cupy.py): G's moving average
is updated on the device with no array crossing to the host, follows its equation there, and its
checkpoint loads on the CPU; the R1 penalty stays on the device and agrees with the host's."""

from __future__ import annotations

import numpy as np

import tinygan as tg
from tinygan import backend, models
from tinygan.gan import recipes, wasserstein


def dcgan(device):
    """dcgan-mnist (BatchNorm in G) at batch 4 with EMA, label smoothing and its own learning
    rates, on ``device``, and a fixed batch of random images there."""
    backend.set_default_device(device)
    tg.manual_seed(0)
    setup = models.build("dcgan-mnist", batch_size=4)
    recipes.set_learning_rates(setup, g_lr=1e-4, d_lr=4e-4)
    gan = recipes.with_recipes(setup.gan(), ema=0.9, label_smoothing=0.1)
    images = tg.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28)).astype(
        np.float32))
    return gan, images


def host(module, kind="parameters"):
    return {n: t.numpy() for n, t in getattr(module, f"named_{kind}")()}


def test_ema_and_label_smoothing_on_the_device(fake_cuda, tmp_path):
    gan, images = dcgan("cuda")
    fake_cuda.transfers.clear()
    for _ in range(2):
        gan.step(images)
    assert fake_cuda.transfers["d2h"] == 0 and fake_cuda.transfers["h2d"] == 0, dict(
        fake_cuda.transfers)
    assert all(isinstance(p.data, fake_cuda.ndarray) for p in gan.ema.averaged.parameters())
    average = host(gan.ema.averaged)
    for _ in range(2):  # theta_ema <- 0.9 theta_ema + 0.1 theta_G, checked on the host
        gan.step(images)
        live = host(gan.generator)
        average = {n: 0.9 * average[n] + 0.1 * live[n] for n in live}
    for name, value in host(gan.ema.averaged).items():
        np.testing.assert_allclose(value, average[name], rtol=1e-5, atol=1e-7, err_msg=name)
    live_buffers = host(gan.generator, "buffers")
    for name, value in host(gan.ema.averaged, "buffers").items():
        np.testing.assert_array_equal(value, live_buffers[name], err_msg=name)
    assert isinstance(gan.sample(2, seed=0).data, fake_cuda.ndarray)
    tg.save(gan.state_dict(), tmp_path / "gan.npz")

    back, _ = dcgan("cpu")
    back.load_state_dict(tg.load(tmp_path / "gan.npz"))
    assert back.ema.updates == 4
    for name, value in host(back.ema.averaged).items():
        np.testing.assert_array_equal(value, host(gan.ema.averaged)[name], err_msg=name)


def test_the_r1_penalty_on_the_device_keeps_every_array_there_and_matches_the_host(fake_cuda):
    backend.set_default_device("cuda")
    tg.manual_seed(0)
    gan = recipes.with_recipes(models.build("dcgan-mnist", batch_size=4, pack=2).gan(),
                               r1_gamma=1.0)
    first = {k: backend.to_numpy(t).copy() for k, t in gan.discriminator.state_dict().items()}
    images = np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32)
    batch = tg.tensor(images)
    fake_cuda.transfers.clear()
    record = gan.step(batch)
    assert fake_cuda.transfers["d2h"] == 0 and fake_cuda.transfers["h2d"] == 0, dict(
        fake_cuda.transfers)
    assert all(isinstance(p.data, fake_cuda.ndarray) for p in gan.discriminator.parameters())
    backend.set_default_device("cpu")  # the same D, before its update, on the host
    tg.manual_seed(0)
    d = models.build("dcgan-mnist", batch_size=4, pack=2).discriminator
    d.load_state_dict(first)
    want = wasserstein.r1_penalty(d, tg.tensor(images), gamma=1.0).item()
    np.testing.assert_allclose(record.r1_penalty, want, rtol=1e-5)
    assert want > 0
