"""The super-resolution set-ups (issue 15): the networks' shapes and gradients, the content and
perceptual losses by hand, the training step (SRResNet leaves D alone, SRGAN's first
``pixel_steps`` too), and short smoke runs of ``tinygan train`` / ``tinygan eval`` with resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinygan as tg
from tinygan import cli, models, nn
from tinygan.evaluation.classifier import load_classifier
from tinygan.gan import losses, superres_setups
from tinygan.gan.superres import (
    ResidualBlock,
    SRDiscriminator,
    SRResNet,
    SuperResolution,
    content_features,
    content_loss,
    degrade,
    perceptual_loss,
)
from tinygan.optim.optimizers import Adam


@pytest.fixture(scope="module")
def hr_images(mnist_files):
    images, _ = tg.data.load_mnist(mnist_files, "test")
    return images[:64]


def test_shapes_and_the_sub_pixel_stages():
    tg.manual_seed(0)
    g = SRResNet(channels=8, blocks=2)
    assert g(tg.zeros(3, 1, 7, 7)).shape == (3, 1, 28, 28)
    shuffles = [m for m in g.modules() if isinstance(m, nn.PixelShuffle)]
    assert [m.upscale_factor for m in shuffles] == [2, 2]
    assert sum(isinstance(m, ResidualBlock) for m in g.modules()) == 2
    assert SRDiscriminator()(tg.zeros(2, 1, 28, 28)).shape == (2, 1)


def test_residual_block_and_srresnet_gradcheck():
    tg.manual_seed(1)
    block = ResidualBlock(2).double()
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 2, 3, 3)), dtype="float64",
                  requires_grad=True)
    assert tg.gradcheck(block, x)
    g = SRResNet(channels=2, blocks=1).double()
    lr = tg.tensor(np.random.default_rng(1).uniform(-1, 1, (2, 1, 2, 2)), dtype="float64",
                   requires_grad=True)
    assert tg.gradcheck(g, lr)


def test_content_and_perceptual_loss_by_hand(hr_images):
    classifier = load_classifier().requires_grad_(False)
    hr = tg.tensor(hr_images[:8])
    assert content_loss(classifier, hr, hr).item() == 0.0
    sr = tg.tensor(np.clip(hr_images[:8] + 0.3, -1, 1), requires_grad=True)
    phi_sr = content_features(classifier, sr).numpy()
    phi_hr = content_features(classifier, hr).numpy()
    assert phi_sr.shape == (8, 32, 7, 7)
    by_hand = ((phi_sr - phi_hr) ** 2).mean()
    assert content_loss(classifier, sr, hr).item() == pytest.approx(by_hand, rel=1e-5)
    logits = tg.tensor([[0.3], [-1.2]])
    eq5 = -np.log(1 / (1 + np.exp(-np.array([0.3, -1.2])))).mean()
    total = perceptual_loss(classifier, sr, hr, logits)
    assert total.item() == pytest.approx(by_hand + 1e-3 * eq5, rel=1e-5)
    total.backward()
    assert np.abs(np.asarray(sr.grad)).sum() > 0
    assert all(p.grad is None for p in classifier.parameters())


def _trainer(adversarial_weight, pixel_steps=0):
    tg.manual_seed(0)
    g, d = SRResNet(channels=8, blocks=1), SRDiscriminator()
    classifier = load_classifier() if adversarial_weight else None
    return SuperResolution(g, d, Adam(g.parameters(), lr=2e-3), Adam(d.parameters(), lr=1e-4),
                           classifier, adversarial_weight, pixel_steps)


def test_srresnet_learns_the_pixel_loss_and_leaves_d_alone(hr_images):
    sr = _trainer(0.0)
    before = {k: v.copy() for k, v in sr.discriminator.state_dict().items()}
    batch = tg.tensor(hr_images[:16])
    first = sr.step(batch).loss_pixel
    for _ in range(15):
        record = sr.step(batch)
    assert record.loss_pixel < 0.7 * first
    assert np.isnan(record.loss_d) and np.isnan(record.loss_content)
    assert record.loss_g == record.loss_pixel
    for k, v in sr.discriminator.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    up = sr.upscale(degrade(hr_images[:5]))
    assert up.shape == (5, 1, 28, 28) and up.dtype == np.float32 and np.abs(up).max() <= 1


def test_srgan_starts_on_the_pixel_loss_then_adds_d(hr_images):
    sr = _trainer(1e-3, pixel_steps=2)
    stream = tg.data.infinite_batches(hr_images, 8, seed=0)
    history = sr.fit(stream, 4, progress=False)
    assert np.isnan(history["loss_d"][:2]).all() and np.isfinite(history["loss_d"][2:]).all()
    g = history["loss_content"][2:] + 1e-3 * history["loss_adversarial"][2:]
    np.testing.assert_allclose(history["loss_g"][2:], g, rtol=1e-5)
    assert all(p.grad is None for p in sr.classifier.parameters())
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        sr.step(tg.zeros(4, 1, 7, 7))


def test_set_ups_are_registered_with_their_defaults():
    tg.manual_seed(0)
    for name in ("srresnet-mnist", "srgan-mnist"):
        setup = models.build(name, steps=10)
        assert isinstance(setup, superres_setups.SRSetup) and setup.data == "mnist"
        assert setup.batch_size == 32
        assert isinstance(setup.generator, SRResNet)
    assert models.build("srgan-mnist", steps=10).pixel_steps == 3000
    assert models.build("srgan-mnist").steps == 4000
    assert "srgan-mnist" not in models.SETUPS  # the GANs that sample(n): not these
    assert models.build("srresnet-mnist").adversarial_weight == 0.0
    with pytest.raises(ValueError, match="wgan-gp"):
        models.build("srgan-mnist", loss="wgan-gp")
    with pytest.raises(ValueError, match="k=1"):
        models.build("srresnet-mnist").gan(k=5)
    with pytest.raises(ValueError, match="no gradient penalty"):
        models.build("srgan-mnist").gan(gp_weight=10.0)


def test_train_resume_and_eval_smoke(tmp_path, monkeypatch, capsys, mnist_data):
    monkeypatch.setattr(superres_setups, "EVAL_IMAGES", 200)
    monkeypatch.setattr(superres_setups, "PIXEL_STEPS", 2)  # then 2 steps with D
    common = ["--batch-size", "8", "--quiet"]
    assert cli.main(["train", "srgan-mnist", "--steps", "4", "--out", str(tmp_path / "a"),
                     *common]) == 0
    assert "PSNR" in capsys.readouterr().out
    for f in ("checkpoint.npz", "history.npz", "metrics.json", "losses.png", "samples.png"):
        assert (tmp_path / "a" / f).exists()
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["n_images"] == 200 and set(metrics["baselines"]) == {"nearest", "bicubic"}
    assert {"psnr", "ssim", "accuracy", "frechet_distance"} <= set(metrics)
    # 2 steps, then resumed to 4: the same G as the uninterrupted run
    assert cli.main(["train", "srgan-mnist", "--steps", "2", "--out", str(tmp_path / "b"),
                     *common]) == 0
    assert cli.main(["train", "srgan-mnist", "--steps", "4", "--out", str(tmp_path / "b"),
                     "--resume", *common]) == 0
    a, b = tg.load(tmp_path / "a" / "checkpoint.npz"), tg.load(tmp_path / "b" /
                                                                "checkpoint.npz")
    for key, value in a["generator"].items():
        np.testing.assert_array_equal(value, b["generator"][key])
    np.testing.assert_array_equal(a["history"]["loss_d"], b["history"]["loss_d"])
    loss_d = a["history"]["loss_d"]
    assert np.isnan(loss_d[:2]).all() and np.isfinite(loss_d[2:]).all()
    assert cli.main(["sample", str(tmp_path / "a" / "checkpoint.npz"), "--out",
                     str(tmp_path / "x.png")]) == 2
    assert "tinygan upscale" in capsys.readouterr().err
    capsys.readouterr()
    assert cli.main(["eval", str(tmp_path / "a" / "checkpoint.npz"), "-n", "100",
                     "--no-parzen"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["setup"] == "srgan-mnist" and printed["n_images"] == 100
    assert printed["baselines"]["bicubic"]["psnr"] > printed["baselines"]["nearest"]["psnr"]


def test_losses_keep_eq5(hr_images):
    # the adversarial term is the library's Eq. 5, not a copy of it
    logits = tg.tensor([[2.0], [-0.5]])
    assert losses.generator_loss_non_saturating(logits).item() == pytest.approx(
        float(np.mean(np.log1p(np.exp(-np.array([2.0, -0.5]))))), rel=1e-6)
