"""GAN(loss="wgan-gp"): WGAN-GP trained by the same Algorithm 1 loop (n_critic = k), its
set-ups and its command line: the critic's gradient holds the penalty's, D is untouched by G's
step, a resumed run is bit-identical, and bad options are clear errors."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import tinygan
from tinygan import backend, cli, losses, models, nn
from tinygan.gan.algorithm import GAN

WGAN_TERMS = {"wasserstein", "gradient_penalty", "critic_grad_norm", "loss_g_wasserstein"}


def ring(batch_size=64, **options):
    tinygan.manual_seed(0)
    return models.build("ring2d", loss="wgan-gp", batch_size=batch_size, **options)


def test_wgan_gp_set_ups_have_the_papers_defaults_and_the_toys_their_own():
    for name in models.WGAN_SETUPS:
        setup = models.build(name, loss="wgan-gp")
        gan = setup.gan()
        toy = name in ("ring2d", "grid2d")
        lr, gp_weight = (1e-3, 1.0) if toy else (1e-4, 10.0)  # WGAN_TOY, else WGAN_GP
        assert (gan.loss, gan.k, gan.generator_loss, gan.gp_weight) == ("wgan-gp", 5,
                                                                       "wasserstein", gp_weight)
        for opt in (setup.g_optimizer, setup.d_optimizer):
            assert opt.param_groups[0]["lr"] == lr and opt.param_groups[0]["betas"] == (0.5, 0.9)
        if toy:
            assert (setup.batch_size, setup.steps) == (256, models.WGAN_TOY_STEPS)
            for net in (setup.generator, setup.discriminator):
                hidden = {type(m).__name__ for m in net.modules()} & {"ReLU", "LeakyReLU"}
                assert hidden == {"ReLU"}, (name, hidden)
            assert setup.g_scheduler.total_iters == models.WGAN_TOY_STEPS
        kinds = {type(m).__name__ for m in setup.discriminator.modules()}
        assert not any(k.startswith("BatchNorm") for k in kinds) and "Sigmoid" not in kinds
        assert "Pack" not in kinds
    assert models.build("dcgan-mnist").gan().loss == "gan"  # the default is untouched
    assert any(type(m).__name__ == "BatchNorm2d" for m in models.build("dcgan-mnist")
               .discriminator.modules())


def test_a_few_steps_on_ring2d_train_the_critic_and_record_its_terms():
    setup = ring()
    gan = setup.gan()
    history = gan.fit(setup.target, 6, batch_size=setup.batch_size, progress=False)
    assert WGAN_TERMS <= set(history) and len(history["wasserstein"]) == 6
    for key in WGAN_TERMS | {"loss_d", "grad_norm_d", "grad_norm_g"}:
        assert np.isfinite(history[key]).all(), key
    # loss_d is the critic's whole loss: -W estimate + penalty
    np.testing.assert_allclose(history["loss_d"], -history["wasserstein"]
                               + history["gradient_penalty"], rtol=1e-5, atol=1e-6)
    assert (history["critic_grad_norm"] > 0).all() and (history["gradient_penalty"] >= 0).all()
    assert history["wasserstein"][-1] > history["wasserstein"][0]  # the critic learns to tell
    plain = models.build("ring2d").gan().step(tinygan.randn(512, 2))
    assert not WGAN_TERMS & set(plain.keys())  # Eq. 1's GAN records none of them


def test_the_critic_gets_the_penalty_gradient():
    """d_step's gradient in D = that of critic_loss + gradient_penalty on the same fakes and
    the same interpolation weights, and differs from critic_loss's alone."""
    setup = ring(batch_size=16)
    gan = setup.gan()
    for group in gan.d_optimizer.param_groups:  # keep D's weights, to recompute at them
        group["lr"] = 0.0
    real = setup.target.sample(16)
    state = backend.get_rng_state(backend.generator("cpu"))
    gan.d_step(real)
    got = [p.grad.copy() for p in gan.discriminator.parameters()]

    backend.set_rng_state(backend.generator("cpu"), state)
    with tinygan.no_grad():
        fake = gan.generator(gan.noise(16))
    eps = backend.rand((16, 1))
    D = gan.discriminator
    D.zero_grad()
    critic = losses.critic_loss(D(real), D(fake))
    (critic + losses.gradient_penalty(D, real, fake, weight=gan.gp_weight, epsilon=eps)).backward()
    for p, g in zip(D.parameters(), got):
        np.testing.assert_allclose(g, p.grad, rtol=1e-5, atol=1e-7)
    D.zero_grad()
    losses.critic_loss(D(real), D(fake)).backward()
    assert max(float(np.abs(g - p.grad).max()) for p, g in zip(D.parameters(), got)) > 1e-4


def test_d_is_frozen_in_the_g_step_bit_identical():
    setup = ring()
    gan = setup.gan()
    gan.fit(setup.target, 2, batch_size=setup.batch_size, progress=False)
    before = {n: (p.data.copy(), None if p.grad is None else p.grad.copy())
              for n, p in gan.discriminator.named_parameters()}
    moments = gan.d_optimizer.state_dict()
    gan.g_step(64)
    for n, p in gan.discriminator.named_parameters():
        np.testing.assert_array_equal(p.data, before[n][0], err_msg=n)
        np.testing.assert_array_equal(p.grad, before[n][1], err_msg=n)
        assert p.requires_grad
    after = gan.d_optimizer.state_dict()
    for i, entry in moments["state"].items():
        for key, v in entry.items():
            np.testing.assert_array_equal(after["state"][i][key], v)


def test_resume_is_bit_identical():
    setup = ring()
    whole = setup.gan()
    whole.fit(setup.target, 4, batch_size=64, progress=False)

    setup = ring()
    first = setup.gan()
    first.fit(setup.target, 2, batch_size=64, progress=False)
    state = first.state_dict()
    tinygan.manual_seed(123)  # the checkpoint brings its own random state
    again = models.build("ring2d", loss="wgan-gp", batch_size=64)
    resumed = again.gan()
    resumed.load_state_dict(state)
    resumed.fit(again.target, 2, batch_size=64, progress=False)
    for part in ("generator", "discriminator"):
        for (n, p), q in zip(getattr(whole, part).named_parameters(),
                             getattr(resumed, part).parameters()):
            np.testing.assert_array_equal(p.data, q.data, err_msg=f"{part}.{n}")
    for key, v in whole.history.items():
        np.testing.assert_array_equal(v, resumed.history[key], err_msg=key)


def test_the_command_line_trains_resumes_bit_identical_and_records_the_loss(
        tmp_path, monkeypatch, capsys):
    argv = ["train", "ring2d", "--loss", "wgan-gp", "--batch-size", "64", "--steps", "4",
            "--checkpoint-every", "2", "--quiet"]
    assert cli.main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "loss wgan-gp (gradient penalty weight 1), k=5" in capsys.readouterr().out
    run = tinygan.load(tmp_path / "a" / "checkpoint.npz")["run"]
    assert (run["loss"], run["k"], run["generator_loss"]) == ("wgan-gp", 5, "wasserstein")

    real_draw = cli.train.draw_samples

    def draw_then_press_ctrl_c(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    b = str(tmp_path / "b")
    monkeypatch.setattr(cli.train, "draw_samples", draw_then_press_ctrl_c)
    assert cli.main([*argv, "--out", b]) == 130
    monkeypatch.setattr(cli.train, "draw_samples", real_draw)
    assert cli.main(["train", "ring2d", "--out", b, "--resume", "--quiet"]) == 0  # keeps the loss
    ck_a = tinygan.load(tmp_path / "a" / "checkpoint.npz")
    ck_b = tinygan.load(tmp_path / "b" / "checkpoint.npz")
    assert ck_b["run"]["loss"] == "wgan-gp" and ck_b["step"] == 4
    for part in ("generator", "discriminator"):
        for key, v in ck_a[part].items():
            np.testing.assert_array_equal(v, ck_b[part][key], err_msg=f"{part}.{key}")
    for key, v in ck_a["history"].items():
        np.testing.assert_array_equal(v, ck_b["history"][key], err_msg=key)
    capsys.readouterr()
    assert cli.main(["train", "ring2d", "--steps", "6", "--out", b, "--resume", "--loss",
                     "gan", "--quiet"]) == 2
    assert "--loss gan differs from the resumed run's wgan-gp" in capsys.readouterr().err


def test_gp_weight_on_the_command_line_trains_is_recorded_and_kept_by_resume(tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = ["train", "ring2d", "--loss", "wgan-gp", "--batch-size", "32", "--out", out, "--quiet"]
    assert cli.main([*argv, "--steps", "2", "--gp-weight", "0"]) == 0
    assert "(gradient penalty weight 0)" in capsys.readouterr().out
    ck = tinygan.load(tmp_path / "run" / "checkpoint.npz")
    assert ck["run"]["gp_weight"] == 0.0
    assert np.all(ck["history"]["gradient_penalty"] == 0)  # lambda = 0: no penalty at all
    assert cli.main(["train", "ring2d", "--out", out, "--resume", "--steps", "3", "--quiet"]) == 0
    ck = tinygan.load(tmp_path / "run" / "checkpoint.npz")
    assert ck["step"] == 3 and ck["run"]["gp_weight"] == 0.0
    assert np.all(ck["history"]["gradient_penalty"] == 0)  # the resumed steps kept lambda = 0
    capsys.readouterr()
    assert cli.main([*argv, "--steps", "4", "--resume", "--gp-weight", "2"]) == 2
    assert "--gp-weight 2.0 differs from the resumed run's 0.0" in capsys.readouterr().err

    default = str(tmp_path / "default")
    assert cli.main(["train", "ring2d", "--loss", "wgan-gp", "--batch-size", "32", "--steps",
                     "1", "--out", default, "--quiet"]) == 0
    run = tinygan.load(tmp_path / "default" / "checkpoint.npz")["run"]
    assert run["gp_weight"] == models.build("ring2d", loss="wgan-gp").gp_weight
    assert models.build("ring2d", loss="wgan-gp", gp_weight=0.5).gan().gp_weight == 0.5

    capsys.readouterr()
    assert cli.main(["train", "ring2d", "--gp-weight", "1", "--out", str(tmp_path / "x"),
                     "--quiet"]) == 2
    assert "give it with --loss wgan-gp (the run's loss is gan)" in capsys.readouterr().err
    for bad, why in (("-1", "must be a finite number >= 0, got -1"),
                     ("ten", "expected a number, got 'ten'"), ("inf", "finite number")):
        with pytest.raises(SystemExit):
            cli.main([*argv, "--gp-weight", bad])
        assert why in capsys.readouterr().err
    with pytest.raises(ValueError, match="gp_weight is the weight of WGAN-GP's gradient penalty"):
        models.build("ring2d", gp_weight=1.0)


def test_bad_options_are_clear_errors(capsys):
    setup = ring()
    args = (setup.generator, setup.discriminator, setup.g_optimizer, setup.d_optimizer, 16)
    with pytest.raises(ValueError, match=r"loss must be one of \('gan', 'wgan-gp'\), got 'wgan'"):
        GAN(*args, loss="wgan")
    with pytest.raises(ValueError, match="generator_loss='zero_sum' belongs to loss='gan'"):
        GAN(*args, loss="wgan-gp", generator_loss="zero_sum")
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        GAN(*args, generator_loss="wasserstein")
    for bad in (-1.0, float("nan"), "10", True):
        with pytest.raises(ValueError, match="gp_weight"):
            GAN(*args, loss="wgan-gp", gp_weight=bad)
    bn = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    with pytest.raises(ValueError, match=r"must not use BatchNorm \(found BatchNorm1d at '1'\)"):
        GAN(setup.generator, bn, setup.g_optimizer, tinygan.optim.Adam(bn.parameters()), 16,
            loss="wgan-gp")
    with pytest.raises(ValueError, match="gauss1d has no wgan-gp set-up"):
        models.build("gauss1d", loss="wgan-gp")
    with pytest.raises(ValueError, match="loss must be one of"):
        models.build("ring2d", loss="lsgan")
    assert cli.main(["train", "cgan-mnist", "--loss", "wgan-gp", "--quiet"]) == 2
    assert "cgan-mnist has no wgan-gp set-up" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "ring2d", "--loss", "wgan"])
    assert "invalid choice: 'wgan'" in capsys.readouterr().err
