"""Algorithm 1 (tinygan.GAN): gradients through G∘D, each phase touching only its own network, k,
the chapter's saturation argument measured, reproducibility, exact resume, NaN and Ctrl-C."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import tinygan
from tinygan import losses, models, nn
from tinygan.data import Gaussian1D
from tinygan.gan import GAN, frozen
from tinygan.gan.training import TrainingInterrupted
from tinygan.optim import Adam

DATA = Gaussian1D(4.0, 1.25)


def tiny_gan(seed=0, bn=False, k=1, generator_loss="non_saturating", lr=1e-3, dtype=None):
    """A small 1-D GAN; with ``bn`` both networks hold BatchNorm1d (running statistics)."""
    tinygan.manual_seed(seed)
    g_layers = [nn.Linear(4, 16, dtype=dtype)]
    d_layers = [nn.Linear(1, 16, dtype=dtype)]
    if bn:
        g_layers.append(nn.BatchNorm1d(16, dtype=dtype))
        d_layers.append(nn.BatchNorm1d(16, dtype=dtype))
    g = nn.Sequential(*g_layers, nn.LeakyReLU(0.2), nn.Linear(16, 1, dtype=dtype))
    d = nn.Sequential(*d_layers, nn.LeakyReLU(0.2), nn.Linear(16, 1, dtype=dtype))
    return GAN(g, d, Adam(g.parameters(), lr=lr, betas=(0.5, 0.999)),
               Adam(d.parameters(), lr=lr, betas=(0.5, 0.999)), latent_dim=4, k=k,
               generator_loss=generator_loss)


def snapshot(module):
    """Copies of every parameter, gradient and buffer of a module, by name."""
    params = {n: p.data.copy() for n, p in module.named_parameters()}
    grads = {n: None if p.grad is None else p.grad.copy() for n, p in module.named_parameters()}
    buffers = {n: b.data.copy() for n, b in module.named_buffers()}
    return params, grads, buffers


def assert_same(a, b):
    for part_a, part_b in zip(a, b):
        assert part_a.keys() == part_b.keys()
        for key in part_a:
            if part_a[key] is None or part_b[key] is None:
                assert part_a[key] is None and part_b[key] is None, key
            else:
                np.testing.assert_array_equal(part_a[key], part_b[key], err_msg=key)


def differs(a, b):
    return any(not np.array_equal(a[0][k], b[0][k]) for k in a[0])


# -- gradients -----------------------------------------------------------------------------------


def test_gradcheck_through_generator_and_discriminator():
    """d(Eq. 5)/d(theta_G) through G∘D (BatchNorm in both) agrees with finite differences."""
    gan = tiny_gan(bn=True, dtype=np.float64)
    g, d = gan.generator, gan.discriminator
    z = tinygan.tensor(np.random.default_rng(0).normal(size=(6, 4)), requires_grad=True)
    x = tinygan.tensor(np.random.default_rng(1).normal(4, 1, size=(6, 1)))

    def eq5_of(z, w_g, w_d):
        g[0].weight, d[0].weight = w_g, w_d  # the checked copies become the weights
        return losses.generator_loss_non_saturating(d(g(z)))

    def eq1_of(w_d):
        d[0].weight = w_d
        with tinygan.no_grad():
            fake = g(z.detach())
        return losses.discriminator_loss(d(x), d(fake))

    w_g = tinygan.tensor(g[0].weight.numpy(), requires_grad=True)
    w_d = tinygan.tensor(d[0].weight.numpy(), requires_grad=True)
    assert tinygan.gradcheck(eq5_of, z, w_g, w_d)
    assert tinygan.gradcheck(eq1_of, w_d)


# -- each phase changes only its own network ------------------------------------------------------


def test_g_step_leaves_discriminator_bit_identical():
    gan = tiny_gan(bn=True)
    gan.d_step(DATA.sample(32))  # D now has gradients and moved running statistics
    before_d, before_g = snapshot(gan.discriminator), snapshot(gan.generator)
    assert any(v is not None for v in before_d[1].values())
    gan.g_step(32)
    assert_same(before_d, snapshot(gan.discriminator))  # weights, grads, BN statistics
    after_g = snapshot(gan.generator)
    assert differs(before_g, after_g)  # ...while G did move
    assert not np.array_equal(before_g[2]["1.running_mean"], after_g[2]["1.running_mean"])
    assert all(p.requires_grad for p in gan.discriminator.parameters())  # unfrozen after


def test_d_step_leaves_generator_bit_identical():
    gan = tiny_gan(bn=True)
    gan.g_step(32)  # G now has gradients
    before_g, before_d = snapshot(gan.generator), snapshot(gan.discriminator)
    gan.d_step(DATA.sample(32))
    assert_same(before_g, snapshot(gan.generator))
    after_d = snapshot(gan.discriminator)
    assert differs(before_d, after_d)
    assert not np.array_equal(before_d[2]["1.running_mean"], after_d[2]["1.running_mean"])


def test_frozen_restores_flags_even_on_error():
    gan = tiny_gan(bn=True)
    d = gan.discriminator
    d[0].weight.requires_grad = False  # a parameter the user froze stays frozen
    with pytest.raises(RuntimeError), frozen(d):
        assert not any(p.requires_grad for p in d.parameters())
        d(tinygan.randn(8, 1))  # moves the running statistics...
        raise RuntimeError
    assert [p.requires_grad for p in d.parameters()] == [False] + [True] * 5
    np.testing.assert_array_equal(d[1].running_mean.data, np.zeros(16, np.float32))


# -- k ---------------------------------------------------------------------------------------------


def count_steps(optimizer):
    calls = []
    original = optimizer.step
    optimizer.step = lambda *a, **kw: (calls.append(1), original(*a, **kw))[1]
    return calls


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_per_generator_update(k):
    gan = tiny_gan(k=k)
    d_calls, g_calls = count_steps(gan.d_optimizer), count_steps(gan.g_optimizer)
    batches = [DATA.sample(16) for _ in range(k)]
    gan.step(batches[0] if k == 1 else batches)
    assert (len(d_calls), len(g_calls)) == (k, 1)
    drawn = []

    class Counting:
        def sample(self, n, device=None):
            drawn.append(n)
            return DATA.sample(n, device=device)

    gan.fit(Counting(), steps=4, batch_size=16, progress=False)
    assert (len(d_calls), len(g_calls)) == (5 * k, 5)
    assert drawn == [16] * (4 * k)  # a fresh real batch for every D step


def test_one_batch_with_k_above_one_is_an_error():
    gan = tiny_gan(k=2)
    with pytest.raises(ValueError, match="k=2 discriminator steps need 2 real batches"):
        gan.step(DATA.sample(16))
    with pytest.raises(ValueError, match="needs 2 real batches, got 3"):
        gan.step([DATA.sample(16)] * 3)


# -- the chapter's argument: Eq. 2 saturates, Eq. 5 does not -----------------------------------


def test_zero_sum_generator_gradient_vanishes_as_d_rejects_fakes():
    """Shift D's output bias down so D(G(z)) -> 0 and measure G's gradient norm under each loss."""
    norms = {"zero_sum": [], "non_saturating": []}
    d_fake = []
    for shift in (0.0, -4.0, -8.0, -12.0):
        for loss in norms:
            gan = tiny_gan(generator_loss=loss)
            gan.discriminator[2].bias.data += shift
            gan.d_step(DATA.sample(64))  # for the record's real batch; lr 1e-3 barely moves D
            terms = gan.g_step(64)
            norms[loss].append(terms["grad_norm_g"])
        d_fake.append(float(gan.discriminate(gan.sample(64).numpy()).mean()))
    zs, ns = np.array(norms["zero_sum"]), np.array(norms["non_saturating"])
    assert d_fake[-1] < 1e-4 < 0.1 < d_fake[0]
    assert np.all(np.diff(zs) < 0)  # shrinks with D(G(z))...
    assert zs[-1] < 1e-4 * zs[0]
    assert ns[-1] > 0.5 * ns[0]  # ...while Eq. 5's stays as strong (it grows)
    assert zs[-1] < 1e-4 * ns[-1]


# -- records, reproducibility and resume --------------------------------------------------------


def test_step_record_has_every_term():
    gan = tiny_gan()
    record = gan.step(DATA.sample(32))
    expected = {"step", "loss_d", "loss_g_zero_sum", "value", "loss_g_non_saturating", "d_real",
                "d_fake", "grad_norm_g", "grad_norm_d"}
    assert set(record.keys()) == expected
    assert all(type(v) is float for k, v in record.items() if k != "step")
    assert record["value"] == -record.loss_d and record.step == 1
    assert 0 < record.d_real < 1 and 0 < record.d_fake < 1
    with pytest.raises(KeyError, match="no term 'loss'"):
        record["loss"]


def test_same_seed_same_history_bit_for_bit():
    runs = []
    for seed in (3, 3, 4):
        gan = tiny_gan(seed=seed, bn=True)
        runs.append(gan.fit(DATA, steps=15, batch_size=32, progress=False))
    assert set(runs[0]) >= {"loss_d", "d_fake", "grad_norm_g"}
    for key in runs[0]:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
    assert not np.array_equal(runs[0]["loss_d"], runs[2]["loss_d"])


def test_sampling_with_a_seed_leaves_the_training_stream_alone():
    plain = tiny_gan(seed=5).fit(DATA, steps=6, batch_size=32, progress=False)
    gan = tiny_gan(seed=5)
    looked = gan.fit(DATA, steps=6, batch_size=32, progress=False,
                     callbacks=[lambda g, r: g.sample(10, seed=0)])
    np.testing.assert_array_equal(plain["loss_d"], looked["loss_d"])


def test_resume_equals_uninterrupted(tmp_path):
    tinygan.manual_seed(11)
    setup = models.build("gauss1d", steps=20)  # with its learning-rate schedule
    full = setup.gan()
    full.fit(setup.target, steps=20, batch_size=64, progress=False)

    tinygan.manual_seed(11)
    setup = models.build("gauss1d", steps=20)
    first = setup.gan()
    first.fit(setup.target, steps=8, batch_size=64, progress=False)
    tinygan.save(first.state_dict(), tmp_path / "ckpt.npz")
    tinygan.manual_seed(999)  # a fresh process: other weights, another random stream
    setup = models.build("gauss1d", steps=20)
    resumed = setup.gan()
    resumed.load_state_dict(tinygan.load(tmp_path / "ckpt.npz"))
    assert resumed.global_step == 8
    resumed.fit(setup.target, steps=12, batch_size=64, progress=False)

    for key, values in full.history.items():
        np.testing.assert_array_equal(values, resumed.history[key], err_msg=key)
    for (name, p), q in zip(full.generator.named_parameters(), resumed.generator.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


# -- failures --------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_loss_stops_before_any_update():
    gan = tiny_gan(bn=True)
    gan.fit(DATA, steps=3, batch_size=16, progress=False)
    before_g, before_d = snapshot(gan.generator), snapshot(gan.discriminator)
    poisoned = DATA.sample(16)
    poisoned.data[3, 0] = np.nan
    with pytest.raises(tinygan.NonFiniteLossError, match=r"at step 4: the discriminator loss "
                       r"\(Eq. 1\) is not finite \(loss_d=nan") as info:
        gan.step(poisoned)
    assert info.value.step == 4 and np.isnan(info.value.terms["loss_d"])
    assert gan.global_step == 3 and len(gan.history["loss_d"]) == 3
    assert_same(before_d[:1] + before_d[2:], snapshot(gan.discriminator)[:1]
                + snapshot(gan.discriminator)[2:])
    assert_same(before_g, snapshot(gan.generator))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_fit_names_the_step():
    gan = tiny_gan()
    calls = []

    def data():
        calls.append(1)
        x = DATA.sample(16)
        if len(calls) == 5:
            x.data[0, 0] = np.inf
        return x

    with pytest.raises(tinygan.NonFiniteLossError, match="at step 5"):
        gan.fit(data, steps=10, progress=False)
    assert gan.global_step == 4


def test_ctrl_c_stops_at_a_step_boundary():
    gan = tiny_gan()

    def press_ctrl_c(g, record):
        if record.step == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted) as info:
        gan.fit(DATA, steps=10, batch_size=16, progress=False, callbacks=[press_ctrl_c])
    assert info.value.step == 3 and gan.global_step == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_callback_returning_true_stops_and_iterators_feed_fit():
    gan = tiny_gan()
    stream = iter([DATA.sample(16) for _ in range(5)])
    gan.fit(stream, steps=10, progress=False, callbacks=[lambda g, r: r.step == 2])
    assert gan.global_step == 2
    with pytest.raises(ValueError, match="ran out at step 6"):
        gan.fit(stream, steps=10, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        gan.fit(DATA, steps=1, progress=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        tiny_gan(generator_loss="wasserstein")
    with pytest.raises(ValueError, match="k .* must be an integer >= 1"):
        tiny_gan(k=0)
    with pytest.raises(TypeError, match="must be a tinygan.nn.Module"):
        GAN(lambda z: z, nn.Linear(1, 1), None, None, latent_dim=2)


# -- the conditional variant ------------------------------------------------------------------


class Labelled(nn.Module):
    """net(cat(x, embedding(y))): a network told the label."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.embed = nn.Embedding(3, 2)
        self.net = nn.Sequential(nn.Linear(n_in + 2, 8), nn.LeakyReLU(0.2), nn.Linear(8, n_out))
        self.seen = []

    def forward(self, x, y):
        self.seen.append(y.numpy())
        return self.net(tinygan.cat([x, self.embed(y)], axis=1))


def test_conditional_gan_gives_labels_to_both_networks():
    tinygan.manual_seed(0)
    g, d = Labelled(4, 1), Labelled(1, 1)
    gan = tinygan.ConditionalGAN(g, d, Adam(g.parameters()), Adam(d.parameters()), latent_dim=4,
                                 num_classes=3)
    y = np.array([0, 1, 2, 2, 1, 0, 0, 1])
    record = gan.step((DATA.sample(8), y))
    assert record.step == 1
    np.testing.assert_array_equal(d.seen[0], y)  # D judged the real batch with its labels
    assert len(g.seen) == 2 and len(d.seen) >= 3  # fakes made and judged with labels
    samples = gan.sample(6, labels=[2] * 6)
    assert samples.shape == (6, 1)
    np.testing.assert_array_equal(g.seen[-1], [2] * 6)
    np.testing.assert_array_equal(gan.sample(4).shape, (4, 1))
    np.testing.assert_array_equal(g.seen[-1], [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        gan.sample(2, labels=[0, 3])
    with pytest.raises(TypeError, match=r"an \(x, labels\) pair"):
        gan.step(DATA.sample(8))


# -- nothing lost, nothing silent (issue 11) -------------------------------------------------------


def finite(module):
    return all(np.isfinite(p.data).all() for p in module.parameters())


def adam_arrays(optimizer):
    return [v for s in optimizer.state.values() for v in s.values() if hasattr(v, "shape")]


def test_an_update_that_overflows_the_parameters_is_undone():
    """lr 1e39: the loss and gradient are finite, the parameters after the update are not."""
    gan = tiny_gan()
    gan.fit(DATA, steps=2, batch_size=16, progress=False)
    before_g, before_d = snapshot(gan.generator), snapshot(gan.discriminator)
    state = [a.copy() for a in adam_arrays(gan.g_optimizer)]
    gan.g_optimizer.param_groups[0]["lr"] = 1e39
    with pytest.raises(tinygan.NonFiniteLossError,
                       match=r"at step 3: the generator's parameters after the update is not "
                             r"finite.*undone") as info:
        gan.step(DATA.sample(16))
    assert np.isfinite(info.value.terms["grad_norm_g"])
    assert finite(gan.generator) and gan.global_step == 2
    assert_same(before_g[:1] + before_g[2:], snapshot(gan.generator)[:1]
                + snapshot(gan.generator)[2:])
    for a, b in zip(state, adam_arrays(gan.g_optimizer)):
        np.testing.assert_array_equal(a, b)
    assert differs(before_d, snapshot(gan.discriminator))  # D's update of step 3 is kept
    assert np.isfinite(gan.sample(8).numpy()).all()


def test_an_optimizer_state_gone_infinite_is_caught_though_the_weights_are_finite():
    """Gradients of ~1e22: Adam's v = g^2 overflows float32 to inf, while its step m/sqrt(v)
    is 0, so every weight and loss stays finite: only the optimizer's state shows it."""
    gan = tiny_gan()
    gan.discriminator[2].weight.data[...] = 1e22
    with pytest.raises(tinygan.NonFiniteLossError,
                       match="the discriminator's optimizer state after the update"):
        gan.d_step(DATA.sample(16))
    assert adam_arrays(gan.d_optimizer) == []  # as before the step: no state yet
    assert finite(gan.discriminator)


def test_load_state_dict_refuses_integer_bool_and_string_values_naming_the_key():
    gan = tiny_gan()
    state = gan.state_dict()
    for bad in (np.zeros((16, 4), np.int64), np.zeros((16, 4), np.uint8),
                np.zeros((16, 4), bool), np.full((16, 4), "x")):
        broken = {**state, "generator": {**state["generator"], "0.weight": bad}}
        with pytest.raises(ValueError, match=r"generator\['0.weight'\] holds values of dtype "
                                             f"{bad.dtype}.*floating-point"):
            gan.load_state_dict(broken)
    gan.fit(DATA, steps=1, batch_size=16, progress=False)
    state = gan.state_dict()
    moments = {**state["g_optimizer"]["state"],
               0: {**state["g_optimizer"]["state"][0], "exp_avg": np.zeros((16, 4), np.int64)}}
    broken = {**state, "g_optimizer": {**state["g_optimizer"], "state": moments}}
    with pytest.raises(ValueError, match=r"g_optimizer\['state'\]\[0\]\['exp_avg'\] holds "
                                         "values of dtype int64"):
        gan.load_state_dict(broken)
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        gan.load_state_dict({**state, "step": "12"})


def test_load_state_dict_is_all_or_nothing():
    gan = tiny_gan(seed=1)
    gan.fit(DATA, steps=3, batch_size=16, progress=False)
    other = tiny_gan(seed=2)
    other.fit(DATA, steps=5, batch_size=16, progress=False)
    state = other.state_dict()
    before = gan.state_dict()
    broken = {**state, "discriminator": {**state["discriminator"],
                                         "2.weight": np.zeros((1, 99), np.float32)}}
    with pytest.raises(ValueError, match="size mismatch for 2.weight"):
        gan.load_state_dict(broken)  # D fails after G's part would have loaded
    after = gan.state_dict()
    for part in ("generator", "discriminator"):
        for key, value in before[part].items():
            np.testing.assert_array_equal(value, after[part][key], err_msg=f"{part}.{key}")
    assert after["step"] == 3 and len(gan.history["loss_d"]) == 3
    broken = {**state, "d_optimizer": {"state": {}, "param_groups": []}}
    with pytest.raises(ValueError, match="parameter groups"):
        gan.load_state_dict(broken)  # fails in the last part: all of G and D put back
    np.testing.assert_array_equal(gan.generator[0].weight.numpy(), before["generator"]["0.weight"])
    gan.load_state_dict(state)  # and a good one still loads, in full
    np.testing.assert_array_equal(gan.generator[0].weight.numpy(), state["generator"]["0.weight"])
    assert gan.global_step == 5


def test_losses_refuse_two_logits_per_sample():
    two = tinygan.tensor(np.zeros((8, 2), np.float32))
    one = tinygan.tensor(np.zeros((8, 1), np.float32))
    with pytest.raises(ValueError, match=r"shape \(N, 1\) or \(N,\).*got shape \(8, 2\)"):
        losses.discriminator_loss(two, one)
    with pytest.raises(ValueError, match=r"fake_logits must have shape \(N, 1\)"):
        losses.generator_loss_non_saturating(tinygan.tensor(np.zeros((4, 1, 1), np.float32)))
    assert losses.discriminator_loss(one, one.reshape(8)).item() > 0


def test_sigterm_stops_fit_at_a_step_boundary_as_ctrl_c_does():
    gan = tiny_gan()

    def send_sigterm(g, record):
        if record.step == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted) as info:
        gan.fit(DATA, steps=10, batch_size=16, progress=False, callbacks=[send_sigterm])
    assert info.value.step == 2 and info.value.signal == signal.SIGTERM
    assert gan.global_step == 2
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
