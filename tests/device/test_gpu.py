"""The real-GPU suite: ``pytest -m gpu``. Skipped, with the reason, unless CuPy imports and sees a
GPU (``pip install "tinygan[cuda12]"`` on a machine with an NVIDIA GPU).

What only a GPU can show (the CuPy double of tests/fake_cupy.py proves the rest without one):
that CuPy's kernels give NumPy's numbers for every op, layer and reference set-up, that the
device's random generator state survives a checkpoint, and that a run on the GPU trains.

How parity is compared, given that NumPy and CuPy draw different random streams for one seed
(NumPy's PCG64 on the host, CuPy's XORWOW on the device): everything random is drawn once on the
host and given to both runs, so that any difference left is arithmetic. The weights are
initialised on the CPU and copied into the GPU networks; the noise z, the fake labels of the
conditional GAN and the real batches come from a seeded NumPy generator (the same sequence for
both runs) and are moved to each run's device. MNIST set-ups train on uniform noise images in
[-1, 1] of MNIST's shape: parity of the arithmetic needs no real digits, and the test then needs
no download. Tolerances are float32's: the first step agrees to ~1e-5 relative (only the order of
summation differs: cuBLAS against OpenBLAS, GPU reductions against NumPy's pairwise sums), later
steps to 2e-3, since Adam divides by sqrt(v) and so amplifies round-off in near-zero gradients.
CuPy is not asked for TF32 (CUPY_TF32 unset); with TF32 on, matmuls round to 10 mantissa bits
and these tolerances would not hold.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from op_table import CASE_IDS, CASES, OpCase

import tinygan as tg
from tinygan import backend, models
from tinygan.autograd.tensor import Tensor

pytestmark = pytest.mark.gpu

STEPS = 10


@pytest.fixture
def gpu():
    """Real CuPy as the device "cuda" (even under --device fakecuda), default device "cpu"."""
    import cupy  # noqa: PLC0415  (only with a GPU: the conftest skips this file otherwise)

    saved, saved_default = backend._devices.pop("cuda", None), backend.get_default_device()
    backend._generators.pop("cuda", None)
    backend._load_cuda()
    backend.set_default_device("cpu")
    try:
        yield cupy
    finally:
        backend.unregister_device("cuda")
        if saved is not None:
            backend._devices["cuda"] = saved
        backend.set_default_device(saved_default)


def test_cuda_is_cupy(gpu):
    x = tg.ones(3).to("cuda")
    assert isinstance(x.data, gpu.ndarray) and x.device == "cuda"
    assert backend.cupy_available()
    assert isinstance(tg.randn(2, 2, device="cuda").data, gpu.ndarray)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_op_on_the_gpu_matches_numpy(case: OpCase, gpu):
    """Every op of the op table, forward and backward in float64, CuPy against NumPy."""
    arrays = list(case.make(np.random.default_rng(zlib.crc32(case.name.encode()))))
    needs = case.grads(len(arrays))
    results = []
    for device in ("cpu", "cuda"):
        backend.set_default_device(device)
        xs = [tg.tensor(a, dtype=np.float64, requires_grad=r) for a, r in zip(arrays, needs)]
        try:
            out = case.fn(*xs)
        except RuntimeError as exc:  # a host constant mixed into device math (where's mask)
            assert device == "cuda" and "device" in str(exc)
            return
        out.backward(tg.tensor(np.random.default_rng(1).standard_normal(out.shape),
                               dtype=np.float64))
        results.append((out.numpy(), [backend.to_numpy(x.grad) for x in xs if x.requires_grad]))
    (cpu_out, cpu_grads), (gpu_out, gpu_grads) = results
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-9, atol=1e-11)
    for g, c in zip(gpu_grads, cpu_grads):
        np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-11)

    # CuPy's type promotion is its own: float32 must stay float32 there too, forward and back.
    xs = [tg.tensor(a, dtype=np.float32, requires_grad=r) for a, r in zip(arrays, needs)]
    out = case.fn(*xs)
    out.backward(tg.ones(*out.shape, dtype=out.dtype))
    if case.keeps_dtype:
        assert out.dtype == np.float32
    for x in xs:
        assert x.grad is None or x.grad.dtype == np.float32


def test_random_state_survives_a_checkpoint(gpu, tmp_path):
    gen = backend.generator("cuda")
    state = backend.get_rng_state(gen)
    assert state is not None, "this CuPy version hides its generator state: resume is inexact"
    first = gen.standard_normal(1000, dtype=np.float32).get()
    tg.save({"rng": state}, tmp_path / "rng.npz")
    backend.set_rng_state(gen, tg.load(tmp_path / "rng.npz")["rng"])
    np.testing.assert_array_equal(gen.standard_normal(1000, dtype=np.float32).get(), first)


def _host_random(gan, seed: int):
    """Make ``gan`` take z (and fake labels) from a seeded host generator, moved to its device."""
    rng = np.random.default_rng(seed)

    def noise(n, seed=None):
        z = rng.standard_normal((int(n), gan.latent_dim)).astype(np.float32)
        return Tensor(backend.to_device(z, gan.device))

    gan.noise = noise
    if getattr(gan, "num_classes", None):
        gan._fake_condition = lambda n: Tensor(backend.to_device(
            rng.integers(0, gan.num_classes, int(n)), gan.device))


def _real_batches(setup, batch_size: int) -> list:
    """STEPS real batches as host arrays (images and labels for the conditional set-up)."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(STEPS):
        if setup.data == "toy":
            x = setup.target.sample(batch_size, device="cpu").numpy()
        else:
            x = rng.uniform(-1.0, 1.0, (batch_size, 1, 28, 28)).astype(np.float32)
        out.append((x, rng.integers(0, 10, batch_size)) if setup.num_classes else x)
    return out


def _train(name: str, device: str, weights: dict, batches: list, batch_size: int) -> np.ndarray:
    setup = models.build(name, device=device, batch_size=batch_size)
    setup.generator.load_state_dict(weights["generator"])
    setup.discriminator.load_state_dict(weights["discriminator"])
    gan = setup.gan()
    _host_random(gan, seed=11)
    losses = []
    for batch in batches:
        if isinstance(batch, tuple):
            real = (tg.tensor(batch[0], device=device), tg.tensor(batch[1], device=device))
        else:
            real = tg.tensor(batch, device=device)
        record = gan.step(real)
        losses.append([record["loss_d"], record["loss_g_non_saturating"]])
    for p in gan.generator.parameters():
        assert p.device == device
    return np.array(losses)


@pytest.mark.parametrize("name", list(models.SETUPS))
def test_reference_setup_gives_the_same_losses_on_gpu_and_cpu(name, gpu):
    batch_size = 64
    tg.manual_seed(0)
    cpu_setup = models.build(name, batch_size=batch_size)
    weights = {"generator": cpu_setup.generator.state_dict(),
               "discriminator": cpu_setup.discriminator.state_dict()}
    batches = _real_batches(cpu_setup, batch_size)
    cpu_losses = _train(name, "cpu", weights, batches, batch_size)
    gpu_losses = _train(name, "cuda", weights, batches, batch_size)
    assert np.isfinite(gpu_losses).all()
    np.testing.assert_allclose(gpu_losses[0], cpu_losses[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("name", ["gauss1d", "cgan-mnist"])
def test_gan_trains_on_gpu_and_resumes_on_the_cpu(name, gpu, tmp_path):
    """The device's own random numbers this time; a checkpoint saved on the GPU loads on the
    CPU (networks, optimizers, step) and goes back to the GPU."""
    tg.manual_seed(0)
    setup = models.build(name, device="cuda", batch_size=32)
    gan = setup.gan()
    for batch in _real_batches(setup, 32)[:3]:
        if isinstance(batch, tuple):
            gan.step((tg.tensor(batch[0], device="cuda"), tg.tensor(batch[1], device="cuda")))
        else:
            gan.step(tg.tensor(batch, device="cuda"))
    assert np.isfinite(gan.history["loss_d"]).all()
    tg.save(gan.state_dict(), tmp_path / "gan.npz")
    on_cpu = models.build(name, batch_size=32).gan()
    on_cpu.load_state_dict(tg.load(tmp_path / "gan.npz"))
    assert on_cpu.global_step == 3
    for p, q in zip(on_cpu.generator.parameters(), gan.generator.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    back = models.build(name, device="cuda", batch_size=32).gan()
    back.load_state_dict(on_cpu.state_dict())
    assert isinstance(back.sample(4).data, gpu.ndarray)
