"""The super-resolution trainer (issue 15) on the CuPy double (see tests/fake_cupy.py): SRGAN's
pixel-loss steps and perceptual-loss steps (the frozen digit classifier and D on the device too)
keep every parameter, gradient and optimizer state on the device; the HR batches cross to it
one at a time and nothing comes back but the logged numbers; a checkpoint saved there upscales
on the CPU to the device's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import backend, models
from tinygan.data import infinite_batches
from tinygan.gan.superres import degrade


@pytest.fixture
def cuda(fake_cuda):
    backend.set_default_device("cuda")
    return fake_cuda


def _on_device(arrays, fake):
    return all(isinstance(a, fake.ndarray) for a in arrays)


def _setup(device):
    tg.manual_seed(0)
    return models.build("srgan-mnist", device=device, batch_size=4, channels=8, blocks=1,
                        pixel_steps=1)


def test_srgan_trains_on_the_device_and_upscales_on_the_cpu(cuda, tmp_path):
    hr = np.random.default_rng(0).uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32)
    setup = _setup("cuda")
    gan = setup.gan()
    assert _on_device([p.data for p in gan.classifier.parameters()], cuda)
    cuda.transfers.clear()
    history = gan.fit(infinite_batches(hr, 4, seed=0), 3, progress=False)
    assert cuda.transfers["h2d"] == 3 and cuda.transfers["d2h"] == 0, dict(cuda.transfers)
    assert np.isnan(history["loss_d"][0]) and np.isfinite(history["loss_d"][1:]).all()
    assert np.isfinite(history["loss_content"][1:]).all()
    for net, opt in ((gan.generator, gan.g_optimizer), (gan.discriminator, gan.d_optimizer)):
        params = list(net.parameters())
        assert _on_device([p.data for p in params], cuda)
        assert _on_device([p.grad for p in params if p.grad is not None], cuda)
        state = [v for s in opt.state.values() for v in s.values() if getattr(v, "ndim", 0)]
        assert state and _on_device(state, cuda)
    assert all(p.grad is None for p in gan.classifier.parameters())

    lr = degrade(hr[:5])
    on_device = gan.upscale(lr)
    assert isinstance(on_device, np.ndarray) and on_device.shape == (5, 1, 28, 28)
    tg.save(gan.state_dict(), tmp_path / "sr.npz")
    backend.set_default_device("cpu")
    on_cpu = _setup("cpu").gan()
    on_cpu.load_state_dict(tg.load(tmp_path / "sr.npz"))
    assert on_cpu.global_step == 3
    np.testing.assert_allclose(on_cpu.upscale(lr), on_device, rtol=1e-5, atol=1e-6)
