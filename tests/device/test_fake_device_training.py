"""Layers, optimizers, checkpoints, data, metrics and a GAN training step on the CuPy double.

Same idea as tests/test_fake_device.py (read fake_cupy's docstring for what the double proves and
what it cannot): each piece runs on the device "cuda" backed by arrays that refuse implicit host
transfers, must give the CPU's numbers, and must leave its parameters, gradients, buffers and
optimizer state on the device. The transfer counters of the double check the issue's rules: data
moves to the device one batch at a time, random numbers are drawn there, and results come back to
the host only through ``.numpy()`` (or ``backend.to_numpy``).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import tinygan.losses as L

import tinygan as tg
import tinygan.nn as nn
import tinygan.optim as optim
from tinygan import backend, cli, metrics, models
from tinygan.data import Gaussian1D, Ring2D, batches, infinite_batches
from tinygan.evaluation import classifier


@pytest.fixture
def cuda(fake_cuda):
    backend.set_default_device("cuda")
    return fake_cuda


def _on_device(arrays, fake):
    return all(isinstance(a, fake.ndarray) for a in arrays)


LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (5, 4)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 4, stride=2, padding=1), (2, 2, 8, 8)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 4, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (6, 4)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    "Embedding": (lambda: nn.Embedding(10, 3), None),
    "activations": (lambda: nn.Sequential(nn.Linear(4, 6), nn.LeakyReLU(0.2), nn.ReLU(),
                                          nn.Linear(6, 2), nn.Tanh(), nn.Sigmoid()), (5, 4)),
    "Flatten/Unflatten": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 4),
                                                nn.Unflatten(1, (2, 2))), (3, 3, 4)),
}


def _layer_input(name, shape, device):
    if shape is None:  # Embedding takes indices, repeated so that gradients add up
        return tg.tensor(np.array([[1, 2, 2], [9, 1, 2]]), device=device)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return tg.tensor(x, device=device)


def _forward_backward(model, x):
    out = model(x)
    (out * out).sum().backward()
    return out


@pytest.mark.parametrize("name", LAYERS)
def test_layer_on_the_device_matches_the_cpu(name, fake_cuda):
    make, shape = LAYERS[name]
    tg.manual_seed(0)
    model = make()
    out_cpu = _forward_backward(model, _layer_input(name, shape, "cpu"))
    grads_cpu = {k: p.grad.copy() for k, p in model.named_parameters()}
    buffers_cpu = {k: b.numpy() for k, b in model.named_buffers()}
    params = list(model.parameters())

    tg.manual_seed(0)
    model = make()
    assert model.to("cuda") is model and list(model.parameters())[0] is not params[0]
    out = _forward_backward(model, _layer_input(name, shape, "cuda"))
    assert isinstance(out.data, fake_cuda.ndarray)
    np.testing.assert_allclose(out.numpy(), out_cpu.numpy(), rtol=1e-5, atol=1e-6)
    for k, p in model.named_parameters():
        assert _on_device([p.data, p.grad], fake_cuda), f"{k} or its gradient left the device"
        np.testing.assert_allclose(backend.to_numpy(p.grad), grads_cpu[k], rtol=1e-4, atol=1e-5)
    for k, b in model.named_buffers():
        assert isinstance(b.data, fake_cuda.ndarray), f"buffer {k} left the device"
        np.testing.assert_allclose(b.numpy(), buffers_cpu[k], rtol=1e-5, atol=1e-6)
    model.eval()
    assert isinstance(model(_layer_input(name, shape, "cuda")).data, fake_cuda.ndarray)


def test_module_to_moves_in_place_and_state_dict_comes_back_to_the_host(fake_cuda):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    params = list(model.parameters())
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.to("cuda")
    assert list(model.parameters()) == params  # same Parameters: the optimizer still holds them
    state = model.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    _forward_backward(model, tg.randn(8, 3, device="cuda"))
    opt.step()
    assert _on_device([p.data for p in params], fake_cuda)
    cpu_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    cpu_model.load_state_dict(model.state_dict())  # saved on the GPU, loaded on the CPU
    model.to("cpu").to("cuda").load_state_dict(cpu_model.state_dict())  # and back
    for (k, a), b in zip(model.state_dict().items(), cpu_model.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_dropout_draws_its_mask_on_the_device(cuda):
    x = tg.ones(4, 5, requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    assert _on_device([y.data, x.grad], cuda)
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}
    assert cuda.transfers["h2d"] == 0


OPTIMIZERS = {
    "SGD": (optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    "Adam": (optim.Adam, {"lr": 1e-2, "betas": (0.5, 0.999), "weight_decay": 0.01}),
}


def _train(model, opt, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        _forward_backward(model, x)
        opt.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_and_checkpoints_on_the_device(name, fake_cuda, tmp_path):
    cls, kw = OPTIMIZERS[name]
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    tg.manual_seed(0)
    cpu_model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model.load_state_dict(cpu_model.state_dict())
    model.to("cuda")
    cpu_opt, opt = cls(cpu_model.parameters(), **kw), cls(model.parameters(), **kw)
    _train(cpu_model, cpu_opt, tg.tensor(x), 3)
    _train(model, opt, tg.tensor(x, device="cuda"), 3)
    for p, q in zip(model.parameters(), cpu_model.parameters()):
        assert isinstance(p.data, fake_cuda.ndarray)
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)
    for state in opt.state.values():
        assert _on_device([v for v in state.values() if hasattr(v, "ndim") and v.ndim], fake_cuda)

    # Saved from the GPU, resumed on the CPU, and back on the GPU: the same next step.
    path = tmp_path / "checkpoint.npz"
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    checkpoint = tg.load(path)
    resumed = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = cls(resumed.parameters(), **kw)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    _train(resumed, resumed_opt, tg.tensor(x), 1)
    _train(cpu_model, cpu_opt, tg.tensor(x), 1)
    resumed.to("cuda")
    back = cls(resumed.parameters(), **kw)
    back.load_state_dict(resumed_opt.state_dict())
    _train(resumed, back, tg.tensor(x, device="cuda"), 1)
    _train(cpu_model, cpu_opt, tg.tensor(x), 1)
    for p, q in zip(resumed.parameters(), cpu_model.parameters()):
        assert isinstance(p.data, fake_cuda.ndarray)
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_of_device_tensors_holds_host_arrays(fake_cuda, tmp_path):
    w = tg.randn(3, 2, device="cuda")
    tg.save({"tensor": w, "array": w.data, "scalar": w.data.sum()}, tmp_path / "c.npz")
    loaded = tg.load(tmp_path / "c.npz")
    assert all(isinstance(v, np.ndarray) for v in loaded.values())
    np.testing.assert_array_equal(loaded["tensor"], w.numpy())
    assert loaded["scalar"].shape == ()


def test_batches_move_to_the_device_one_batch_at_a_time(cuda):
    images = np.arange(40, dtype=np.float32).reshape(10, 2, 2)
    labels = np.arange(10)
    seen = []
    for n, (x, y) in enumerate(batches((images, labels), batch_size=4, seed=0), start=1):
        assert _on_device([x.data, y.data], cuda) and x.shape == (4, 2, 2)
        assert cuda.transfers["h2d"] == 2 * n  # this batch's images and labels, nothing more
        seen.append(y.numpy())
    assert len(seen) == 2 and len(set(np.concatenate(seen))) == 8
    x = next(infinite_batches(images, 5, device="cuda"))
    assert isinstance(x.data, cuda.ndarray)


def test_toy_targets_sample_on_the_device(cuda):
    for target in (Gaussian1D(), Ring2D()):
        sample = target.sample(64)
        assert isinstance(sample.data, cuda.ndarray) and sample.dtype == np.float32
    assert cuda.transfers["h2d"] <= 1  # the ring's 8 means, once


def test_metrics_take_device_samples_through_numpy_only(cuda):
    target = Gaussian1D()
    samples = target.sample(500)
    assert metrics.wasserstein1(samples.numpy(), target) >= 0.0
    assert metrics.wasserstein1(samples, target) >= 0.0  # a Tensor: its explicit .numpy()
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        metrics.wasserstein1(samples.data, target)  # a raw device array is refused


def test_loss_terms_on_the_device(cuda):
    real = tg.randn(6, 1, requires_grad=True)
    fake = tg.randn(6, 1, requires_grad=True)
    for loss in (L.discriminator_loss(real, fake), L.generator_loss_zero_sum(real, fake),
                 L.value_function(real, fake), L.generator_loss_non_saturating(fake)):
        loss.backward()
        assert isinstance(loss.data, cuda.ndarray) and np.isfinite(float(loss))
    assert _on_device([real.grad, fake.grad], cuda)


def test_a_gan_training_step_moves_nothing_between_host_and_device(cuda):
    """Algorithm 1 written out by hand (D step, then G step through a frozen D) on the gauss1d
    set-up: z and the real batch are drawn on the device, so no array crosses, either way, and
    the host never waits for the device until a loss is read."""
    tg.manual_seed(0)
    G = nn.Sequential(nn.Linear(8, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    D = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    cuda.transfers.clear()
    for _ in range(3):
        real = Gaussian1D().sample(64)
        with tg.no_grad():
            fake = G(tg.randn(64, 8))
        opt_d.zero_grad()
        loss_d = L.discriminator_loss(D(real), D(fake))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        D.requires_grad_(False)
        loss_g = L.generator_loss_non_saturating(D(G(tg.randn(64, 8))))
        loss_g.backward()
        D.requires_grad_(True)
        opt_g.step()
    # Not even an implicit synchronisation (float(), .item(), bool()): the GPU is never waited on.
    assert not cuda.transfers, dict(cuda.transfers)
    assert _on_device([p.data for p in [*G.parameters(), *D.parameters()]], cuda)
    assert np.isfinite(loss_d.item()) and np.isfinite(loss_g.item())


@pytest.mark.parametrize("name", list(models.SETUPS))
def test_reference_setup_trains_on_the_device_and_resumes_on_the_cpu(name, cuda, tmp_path):
    """tinygan.GAN on each reference set-up: z, fake labels and real batches on the device, no
    array crossing to the host during a step (only the logged terms are read, as numbers), and a
    checkpoint saved there that loads on the CPU and goes back."""
    tg.manual_seed(0)
    setup = models.build(name, batch_size=8)
    gan = setup.gan()
    rng = np.random.default_rng(0)
    images = tg.tensor(rng.uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32))  # host -> device
    labels = tg.tensor(rng.integers(0, 10, 8))
    cuda.transfers.clear()
    for _ in range(2):
        if setup.data == "toy":
            real = setup.target.sample(8)
        else:
            real = (images, labels) if setup.num_classes else images
        record = gan.step(real)
        assert np.isfinite(record["loss_d"]) and np.isfinite(record["loss_g_non_saturating"])
    # Ring2D/Grid2D copy their table of means (8 or 25 points) to the device per sample() call.
    mode_tables = 2 if name in ("ring2d", "grid2d") else 0
    assert cuda.transfers["h2d"] == mode_tables and cuda.transfers["d2h"] == 0, dict(cuda.transfers)
    assert isinstance(gan.sample(4).data, cuda.ndarray)
    tg.save(gan.state_dict(), tmp_path / "gan.npz")

    backend.set_default_device("cpu")
    on_cpu = models.build(name, batch_size=8).gan()
    on_cpu.load_state_dict(tg.load(tmp_path / "gan.npz"))
    assert on_cpu.global_step == 2
    for p, q in zip(on_cpu.discriminator.parameters(), gan.discriminator.parameters()):
        assert isinstance(p.data, np.ndarray)
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    back = models.build(name, batch_size=8, device="cuda").gan()
    back.load_state_dict(on_cpu.state_dict())
    assert isinstance(back.sample(2).data, cuda.ndarray) and back.global_step == 2


def test_gan_fit_on_the_device(cuda):
    setup = models.build("gauss1d", batch_size=16)
    history = setup.gan().fit(setup.target, steps=3, batch_size=16, progress=False)
    assert len(history["loss_d"]) == 3 and np.isfinite(history["loss_d"]).all()


def test_command_line_trains_on_the_device_and_samples_on_the_cpu(fake_cuda, tmp_path):
    out = tmp_path / "run"
    common = ["--out", str(out), "--device", "cuda", "--quiet", "--checkpoint-every", "2"]
    assert cli.main(["train", "gauss1d", "--steps", "4", *common]) == 0
    assert tg.load(out / "checkpoint.npz")["step"] == 4
    assert cli.main(["train", "gauss1d", "--steps", "6", "--resume", *common]) == 0
    samples = tmp_path / "samples.npy"
    checkpoint = str(out / "checkpoint.npz")
    assert cli.main(["sample", checkpoint, "-n", "8", "--out", str(samples)]) == 0
    assert np.load(samples).shape == (8, 1)
    assert cli.main(["eval", checkpoint, "-n", "200", "--device", "cuda"]) == 0


def test_command_line_without_cupy_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(backend, "_default_device", backend.CPU)
    monkeypatch.delitem(backend._devices, "cuda", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", None)
    status = cli.main(["train", "gauss1d", "--steps", "1", "--out", str(tmp_path), "--device",
                       "cuda", "--quiet"])
    assert status == 2
    assert 'pip install "tinygan[cuda12]"' in capsys.readouterr().err


def test_mnist_classifier_scores_on_the_device(fake_cuda):
    images = np.random.default_rng(0).uniform(-1, 1, (40, 1, 28, 28)).astype(np.float32)
    on_cpu = classifier.predict(images, classifier.load_classifier(device="cpu"), batch_size=16)
    model = classifier.load_classifier(device="cuda")
    assert _on_device([p.data for p in model.parameters()], fake_cuda)
    on_device = classifier.predict(tg.tensor(images, device="cuda"), model, batch_size=16)
    for a, b in zip(on_device, on_cpu):
        assert isinstance(a, np.ndarray)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    score = classifier.classifier_score(images, images[::-1], classifier=model, batch_size=16)
    assert score["n_samples"] == 40 and np.isfinite(score["frechet_distance"])
