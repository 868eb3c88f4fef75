"""The recipes of tinygan/gan/recipes.py: G's moving average (EMA), one-sided label smoothing
(its loss beside Eq. 1), two time-scale learning rates and the R1 flag (tests/gan/test_r1.py has
the penalty), in the GAN, its checkpoints and the command line."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

import tinygan
from tinygan import cli, losses, models, nn
from tinygan.data import Gaussian1D
from tinygan.gan import GAN, recipes
from tinygan.gan.recipes import EMA
from tinygan.optim import Adam

DATA = Gaussian1D(4.0, 1.25)


def tiny_gan(seed=0, bn=False, **options):
    """A small 1-D GAN; with ``bn`` G holds a BatchNorm1d (running statistics)."""
    tinygan.manual_seed(seed)
    g_layers = [nn.Linear(4, 8)] + ([nn.BatchNorm1d(8)] if bn else [])
    g = nn.Sequential(*g_layers, nn.LeakyReLU(0.2), nn.Linear(8, 1))
    d = nn.Sequential(nn.Linear(1, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return GAN(g, d, Adam(g.parameters(), lr=1e-2, betas=(0.5, 0.999)),
               Adam(d.parameters(), lr=1e-2, betas=(0.5, 0.999)), latent_dim=4, **options)


def params(module):
    return {n: p.data.copy() for n, p in module.named_parameters()}


# -- EMA ------------------------------------------------------------------------------------------


def test_ema_is_the_hand_computed_average_of_g_after_every_step():
    beta = 0.8
    gan = tiny_gan(ema=beta)
    average = params(gan.generator)  # theta_ema = theta_0
    for _ in range(5):
        gan.fit(DATA, steps=1, batch_size=16, progress=False)
        live = params(gan.generator)
        average = {n: beta * average[n] + (1 - beta) * live[n] for n in live}
        for n, avg in gan.ema.averaged.named_parameters():
            np.testing.assert_allclose(avg.data, average[n], rtol=1e-6, atol=1e-7)
    assert gan.ema.updates == 5
    assert any(not np.allclose(average[n], live[n]) for n in live)  # the average lags G


def test_ema_changes_nothing_in_training_and_sample_draws_from_the_average():
    plain = tiny_gan()  # each built from seed 0 and trained at once: the same random numbers
    plain.fit(DATA, steps=6, batch_size=16, progress=False)
    averaged = tiny_gan(ema=0.9)
    averaged.fit(DATA, steps=6, batch_size=16, progress=False)
    for n, p in plain.generator.named_parameters():  # the raw G trained exactly as without
        np.testing.assert_array_equal(p.data, dict(averaged.generator.named_parameters())[n].data)
    np.testing.assert_array_equal(plain.history["loss_d"], averaged.history["loss_d"])
    assert plain.sampling_generator is plain.generator
    assert averaged.sampling_generator is averaged.ema.averaged
    z = averaged.noise(32, seed=1)
    with tinygan.no_grad():
        from_average = averaged.ema.averaged(z).numpy()
        from_raw = averaged.generator(z).numpy()
    np.testing.assert_array_equal(averaged.sample(32, seed=1).numpy(), from_average)
    assert not np.allclose(from_average, from_raw)
    np.testing.assert_array_equal(plain.sample(32, seed=1).numpy(), from_raw)


def test_raw_generator_samples_g_itself_for_the_block_only():
    gan = tiny_gan(ema=0.9)
    gan.fit(DATA, steps=3, batch_size=16, progress=False)
    z = gan.noise(8, seed=5)
    with tinygan.no_grad():
        raw, average = gan.generator(z).numpy(), gan.ema.averaged(z).numpy()
    with recipes.raw_generator(gan) as same:
        assert same is gan and gan.ema is None
        np.testing.assert_array_equal(gan.sample(8, seed=5).numpy(), raw)
    assert gan.ema.updates == 3
    np.testing.assert_array_equal(gan.sample(8, seed=5).numpy(), average)


def test_ema_copies_batchnorm_statistics_and_stays_in_eval_mode():
    gan = tiny_gan(bn=True, ema=0.9)
    gan.fit(DATA, steps=3, batch_size=16, progress=False)
    live = dict(gan.generator.named_buffers())
    for name, buf in gan.ema.averaged.named_buffers():
        np.testing.assert_array_equal(buf.data, live[name].data)
    assert int(live["1.num_batches_tracked"].item()) > 0
    assert not gan.ema.averaged.training and gan.generator.training
    assert not any(p.requires_grad for p in gan.ema.averaged.parameters())


def test_ema_with_beta_zero_is_g_itself():
    gan = tiny_gan(ema=0.0)
    gan.fit(DATA, steps=2, batch_size=16, progress=False)
    live = params(gan.generator)
    for n, avg in gan.ema.averaged.named_parameters():
        np.testing.assert_array_equal(avg.data, live[n])


def test_ema_state_survives_save_and_resume_exactly(tmp_path):
    straight = tiny_gan(ema=0.9)
    straight.fit(DATA, steps=6, batch_size=16, progress=False)

    first = tiny_gan(ema=0.9)
    first.fit(DATA, steps=3, batch_size=16, progress=False)
    tinygan.save(first.state_dict(), tmp_path / "ck.npz")
    state = tinygan.load(tmp_path / "ck.npz")
    assert state["ema"]["beta"] == 0.9 and state["ema"]["updates"] == 3
    resumed = tiny_gan(seed=7, ema=0.9)  # other weights, other random state: all replaced
    resumed.load_state_dict(state)
    resumed.fit(DATA, steps=3, batch_size=16, progress=False)
    assert resumed.ema.updates == straight.ema.updates == 6
    for (n, a), (_, b) in zip(straight.ema.averaged.named_parameters(),
                              resumed.ema.averaged.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=n)
    np.testing.assert_array_equal(straight.sample(8, seed=3).numpy(),
                                  resumed.sample(8, seed=3).numpy())


def test_an_ema_checkpoint_needs_an_ema_gan_and_its_beta():
    gan = tiny_gan(ema=0.9)
    gan.fit(DATA, steps=2, batch_size=16, progress=False)
    state = gan.state_dict()
    with pytest.raises(ValueError, match="checkpoint has ema .*this GAN has none; make the GAN "
                       "with ema=BETA"):
        tiny_gan().load_state_dict(state)
    with pytest.raises(ValueError, match="checkpoint has no ema .*this GAN has one"):
        tiny_gan(ema=0.9).load_state_dict(tiny_gan().state_dict())
    other = tiny_gan(seed=3, ema=0.5)
    before = params(other.generator)
    with pytest.raises(ValueError, match="EMA has beta 0.9, this one 0.5"):
        other.load_state_dict(state)
    for n, p in other.generator.named_parameters():  # all or nothing: G as it was
        np.testing.assert_array_equal(p.data, before[n])
    state["ema"]["averaged"] = {k: v.astype(np.int64) for k, v in
                                state["ema"]["averaged"].items()}
    with pytest.raises(ValueError, match=r"ema\['averaged'\]\['0.weight'\] holds values of dtype "
                       "int64"):
        tiny_gan(ema=0.9).load_state_dict(state)


@pytest.mark.parametrize("beta", [1.0, -0.1, True, "0.9", float("nan")])
def test_bad_beta_is_a_clear_error(beta):
    with pytest.raises(ValueError, match=r"beta, the weight of the old average, must be a number "
                       r"in \[0, 1\)"):
        EMA(nn.Linear(1, 1), beta)
    with pytest.raises(TypeError, match="module must be a tinygan.nn.Module"):
        EMA([1.0], 0.9)


def test_with_recipes_switches_a_set_ups_gan_as_the_constructor_does():
    tinygan.manual_seed(0)
    setup = models.build("cgan-mnist")
    gan = recipes.with_recipes(setup.gan(), ema=0.99, label_smoothing=0.1)
    assert gan.ema.beta == 0.99 and gan.label_smoothing == 0.1
    labels = np.arange(5)
    z = gan.noise(5, seed=2)
    with tinygan.no_grad():
        expected = gan.ema.averaged(z, tinygan.tensor(labels)).numpy()
    np.testing.assert_array_equal(gan.sample(5, labels=labels, seed=2).numpy(), expected)


# -- one-sided label smoothing ---------------------------------------------------------------------


def softplus(a):
    return np.logaddexp(0.0, a)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def test_label_smoothing_loss_and_gradient_against_the_hand_formula():
    rng = np.random.default_rng(0)
    a_real, a_fake, alpha = rng.normal(size=(7, 1)) * 3, rng.normal(size=(5, 1)) * 3, 0.1
    real = tinygan.tensor(a_real, dtype=np.float64, requires_grad=True)
    fake = tinygan.tensor(a_fake, dtype=np.float64, requires_grad=True)
    loss = losses.discriminator_loss_smoothed(real, fake, alpha)
    expected = (np.mean((1 - alpha) * softplus(-a_real) + alpha * softplus(a_real))
                + np.mean(softplus(a_fake)))
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    loss.backward()
    # dL/da_real = (sigma(a) - (1 - alpha)) / N: zero where D(x) = 1 - alpha; dL/da_fake = sigma/M
    np.testing.assert_allclose(real.grad, (sigmoid(a_real) - (1 - alpha)) / 7, rtol=1e-12)
    np.testing.assert_allclose(fake.grad, sigmoid(a_fake) / 5, rtol=1e-12)


def test_label_smoothing_is_smallest_where_d_says_one_minus_alpha():
    at = tinygan.tensor([[np.log(0.9 / 0.1)]], dtype=np.float64, requires_grad=True)
    losses.discriminator_loss_smoothed(at, tinygan.zeros(1, 1, dtype=np.float64), 0.1).backward()
    assert abs(at.grad.item()) < 1e-15


def test_label_smoothing_against_torch_bce_with_logits_target_0_9():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a_real, a_fake = rng.normal(size=(6, 1)) * 4, rng.normal(size=(4, 1)) * 4
    real = tinygan.tensor(a_real, dtype=np.float64, requires_grad=True)
    fake = tinygan.tensor(a_fake, dtype=np.float64, requires_grad=True)
    loss = losses.discriminator_loss_smoothed(real, fake, 0.1)
    loss.backward()
    t_real = torch.tensor(a_real, dtype=torch.float64, requires_grad=True)
    t_fake = torch.tensor(a_fake, dtype=torch.float64, requires_grad=True)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    t_loss = (bce(t_real, torch.full_like(t_real, 0.9))
              + bce(t_fake, torch.zeros_like(t_fake)))
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(real.grad, t_real.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fake.grad, t_fake.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_alpha_zero_is_eq_1_exactly():
    rng = np.random.default_rng(2)
    a_real, a_fake = rng.normal(size=(9, 1)) * 5, rng.normal(size=(3,)) * 5
    results = []
    for fn in (losses.discriminator_loss,
               lambda r, f: losses.discriminator_loss_smoothed(r, f, alpha=0.0)):
        real = tinygan.tensor(a_real, requires_grad=True)
        fake = tinygan.tensor(a_fake, requires_grad=True)
        loss = fn(real, fake)
        loss.backward()
        results.append((loss.item(), real.grad.copy(), fake.grad.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])


def test_the_gan_descends_the_smoothed_loss_and_zero_is_the_default():
    real, fake = tinygan.tensor([[1.5], [-0.5]]), tinygan.tensor([[0.3], [-2.0]])
    assert tiny_gan(label_smoothing=0.2).d_loss(real, fake).item() == (
        losses.discriminator_loss_smoothed(real, fake, 0.2).item())
    trained = []
    for options in ({"label_smoothing": 0.2}, {}, {"label_smoothing": 0.0}):
        trained.append(tiny_gan(**options))  # seed 0, then trained at once
        trained[-1].fit(DATA, steps=4, batch_size=16, progress=False)
    smoothed, default, zero = trained
    assert default.label_smoothing == 0.0
    np.testing.assert_array_equal(default.history["loss_d"], zero.history["loss_d"])
    assert not np.allclose(default.history["loss_d"], smoothed.history["loss_d"])
    assert smoothed.state_dict()["config"]["label_smoothing"] == 0.2


@pytest.mark.parametrize("alpha", [1.0, -0.1, True, "0.1"])
def test_bad_alpha_is_a_clear_error(alpha):
    with pytest.raises(ValueError, match=r"must be a number in \[0, 1\)"):
        tiny_gan(label_smoothing=alpha)
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\)"):
        losses.discriminator_loss_smoothed(tinygan.zeros(2, 1), tinygan.zeros(2, 1), alpha)


def test_label_smoothing_is_refused_for_the_wasserstein_critic():
    tinygan.manual_seed(0)
    setup = models.build("ring2d", loss="wgan-gp")
    with pytest.raises(ValueError, match="loss='wgan-gp' has no labels"):
        recipes.with_recipes(setup.gan(), label_smoothing=0.1)
    assert recipes.with_recipes(setup.gan(), ema=0.9).ema.beta == 0.9  # EMA works with it


# -- two time-scale learning rates -----------------------------------------------------------------


def test_set_learning_rates_gives_g_and_d_their_own_and_keeps_g_s_schedule():
    tinygan.manual_seed(0)
    setup = models.build("gauss1d", steps=10)  # G's rate decays linearly to 0 over 10 steps
    recipes.set_learning_rates(setup, g_lr=5e-4, d_lr=2e-3)
    assert setup.g_optimizer.param_groups[0]["lr"] == 5e-4
    assert setup.d_optimizer.param_groups[0]["lr"] == 2e-3
    gan = setup.gan()
    gan.fit(setup.target, steps=4, batch_size=16, progress=False)
    np.testing.assert_allclose(setup.g_optimizer.param_groups[0]["lr"], 5e-4 * 0.6)
    assert setup.d_optimizer.param_groups[0]["lr"] == 2e-3
    untouched = models.build("gauss1d")
    recipes.set_learning_rates(untouched)  # None, None: the set-up's own
    assert untouched.g_optimizer.param_groups[0]["lr"] == 1e-3
    for bad in (0.0, -1e-3, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="d_lr must be a finite learning rate > 0"):
            recipes.set_learning_rates(untouched, d_lr=bad)


# -- the command line ------------------------------------------------------------------------------

RECIPE_FLAGS = ["--ema", "0.9", "--label-smoothing", "0.1", "--r1", "0.5", "--g-lr", "5e-4",
                "--d-lr", "2e-3"]


def test_the_recipe_flags_are_recorded_kept_by_resume_and_resume_bit_identical(
        tmp_path, capsys, monkeypatch):
    base = ["train", "gauss1d", "--batch-size", "32", "--quiet", "--checkpoint-every", "2",
            "--steps", "6", *RECIPE_FLAGS]
    assert cli.main([*base, "--out", str(tmp_path / "b")]) == 0  # straight through
    assert ("EMA of G, beta 0.9, label smoothing 0.1, R1 penalty, gamma 0.5, G lr 0.0005, D lr "
            "0.002") in capsys.readouterr().out
    real_draw = cli.train.draw_samples

    def draw_then_press_ctrl_c(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 4:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C now

    monkeypatch.setattr(cli.train, "draw_samples", draw_then_press_ctrl_c)
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 130
    monkeypatch.setattr(cli.train, "draw_samples", real_draw)
    ck = tinygan.load(tmp_path / "a" / "checkpoint.npz")
    run = ck["run"]
    assert (run["ema"], run["label_smoothing"], run["r1"], run["g_lr"], run["d_lr"]) == (
        0.9, 0.1, 0.5, 5e-4, 2e-3)
    assert ck["step"] == ck["ema"]["updates"] == 4
    assert ck["d_optimizer"]["param_groups"][0]["lr"] == 2e-3
    assert cli.main(["train", "gauss1d", "--out", str(tmp_path / "a"), "--resume",
                     "--quiet"]) == 0
    resumed = tinygan.load(tmp_path / "a" / "checkpoint.npz")
    straight = tinygan.load(tmp_path / "b" / "checkpoint.npz")
    assert resumed["ema"]["updates"] == straight["ema"]["updates"] == 6
    for part in ("generator", "discriminator"):
        for key, value in straight[part].items():
            np.testing.assert_array_equal(resumed[part][key], value, err_msg=f"{part}.{key}")
    for key, value in straight["ema"]["averaged"].items():
        np.testing.assert_array_equal(resumed["ema"]["averaged"][key], value, err_msg=key)
    np.testing.assert_array_equal(resumed["history"]["loss_d"], straight["history"]["loss_d"])
    np.testing.assert_array_equal(resumed["history"]["r1_penalty"],
                                  straight["history"]["r1_penalty"])
    assert (json.loads((tmp_path / "a" / "metrics.json").read_text())["w1"]
            == json.loads((tmp_path / "b" / "metrics.json").read_text())["w1"])

    capsys.readouterr()
    for flag, value, was in (("--ema", "0.5", "0.9"), ("--label-smoothing", "0.2", "0.1"),
                             ("--r1", "2", "0.5"), ("--d-lr", "1e-3", "0.002")):
        assert cli.main(["train", "gauss1d", "--out", str(tmp_path / "a"), "--resume",
                         "--steps", "8", flag, value, "--quiet"]) == 2
        assert f"differs from the resumed run's {was}" in capsys.readouterr().err
    assert cli.main(["train", "gauss1d", "--batch-size", "32", "--steps", "2", "--quiet",
                     "--out", str(tmp_path / "plain")]) == 0
    assert cli.main(["train", "gauss1d", "--out", str(tmp_path / "plain"), "--resume",
                     "--steps", "3", "--ema", "0.9", "--quiet"]) == 2
    assert "--ema 0.9 differs from the resumed run's none" in capsys.readouterr().err


def test_sampling_an_ema_checkpoint_draws_from_the_average(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "gauss1d", "--batch-size", "32", "--steps", "5", "--ema", "0.8",
                     "--quiet", "--out", str(out)]) == 0
    assert cli.main(["sample", str(out / "checkpoint.npz"), "-n", "16", "--seed", "4", "--out",
                     str(tmp_path / "s.npy")]) == 0
    drawn = np.load(tmp_path / "s.npy")
    state = tinygan.load(out / "checkpoint.npz")
    tinygan.manual_seed(0)
    gan = recipes.with_recipes(models.build("gauss1d", batch_size=32, steps=5).gan(), ema=0.8)
    gan.load_state_dict(state)
    np.testing.assert_array_equal(drawn.reshape(-1), gan.sample(16, seed=4).numpy().reshape(-1))
    with tinygan.no_grad():
        raw = gan.generator(gan.noise(16, seed=4)).numpy()
    assert not np.allclose(drawn.reshape(-1), raw.reshape(-1))


def test_a_run_without_recipes_records_none_and_trains_as_before(tmp_path):
    assert cli.main(["train", "gauss1d", "--batch-size", "32", "--steps", "3", "--quiet",
                     "--out", str(tmp_path / "run")]) == 0
    ck = tinygan.load(tmp_path / "run" / "checkpoint.npz")
    assert all(ck["run"][k] is None for k in ("ema", "label_smoothing", "r1", "g_lr", "d_lr"))
    assert "ema" not in ck
    tinygan.manual_seed(0)
    setup = models.build("gauss1d", batch_size=32, steps=3)
    gan = setup.gan()
    gan.fit(setup.target, steps=3, batch_size=32, progress=False)
    np.testing.assert_array_equal(ck["history"]["loss_d"], gan.history["loss_d"])


def test_an_older_checkpoint_without_the_recipe_settings_still_resumes(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "gauss1d", "--batch-size", "32", "--steps", "2", "--quiet",
                     "--out", str(out)]) == 0
    state = tinygan.load(out / "checkpoint.npz")
    for key in ("ema", "label_smoothing", "r1", "g_lr", "d_lr"):
        del state["run"][key]
    tinygan.save(state, out / "checkpoint.npz")
    assert cli.main(["train", "gauss1d", "--out", str(out), "--resume", "--steps", "3",
                     "--quiet"]) == 0
    assert tinygan.load(out / "checkpoint.npz")["step"] == 3


@pytest.mark.parametrize("argv, why", [
    (["--ema", "1"], "must be a number in [0, 1), got 1"),
    (["--ema", "-0.5"], "must be a finite number >= 0"),
    (["--label-smoothing", "x"], "expected a number, got 'x'"),
    (["--g-lr", "0"], "must be a learning rate > 0, got 0"),
    (["--d-lr", "nan"], "must be a finite number >= 0"),
    (["--r1", "-1"], "must be a finite number >= 0, got -1"),
])
def test_bad_recipe_flags_are_usage_errors(argv, why, capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "gauss1d", *argv])
    assert why in capsys.readouterr().err


def test_the_recipes_are_refused_where_they_do_not_apply(tmp_path, capsys):
    assert cli.main(["train", "srresnet-mnist", "--ema", "0.9", "--out",
                     str(tmp_path / "sr")]) == 2
    assert "--ema: the recipes of gan/recipes.py are for the GAN set-ups" in (
        capsys.readouterr().err)
    assert cli.main(["train", "ring2d", "--loss", "wgan-gp", "--label-smoothing", "0.1",
                     "--out", str(tmp_path / "w")]) == 2
    assert "loss='wgan-gp' has no labels" in capsys.readouterr().err
    assert cli.main(["train", "ring2d", "--loss", "wgan-gp", "--r1", "1", "--out",
                     str(tmp_path / "w")]) == 2
    assert "has its own gradient penalty" in capsys.readouterr().err
