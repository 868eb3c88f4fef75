"""The least-squares GAN losses (Mao et al., 2017, 0-1 coding: a=0 fake, b=1 real, c=1) in
tinygan.losses: the formula by hand, gradients in float64, PyTorch's float64 as an oracle, and
the property they were introduced for (no vanishing gradient where D rejects the fakes)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import losses

RNG = np.random.default_rng(2017)
SHAPES = [((16, 1), (16, 1)), ((7,), (5,)), ((3, 1), (9, 1))]


def t64(a, requires_grad=False):
    return tinygan.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("shape_real,shape_fake", SHAPES)
def test_each_loss_matches_its_formula(shape_real, shape_fake):
    real = RNG.normal(0.7, 1.5, size=shape_real)
    fake = RNG.normal(0.2, 1.5, size=shape_fake)
    expected_d = 0.5 * np.mean((real - 1.0) ** 2) + 0.5 * np.mean(fake**2)
    expected_g = 0.5 * np.mean((fake - 1.0) ** 2)
    got_d = losses.discriminator_loss_least_squares(t64(real), t64(fake)).item()
    got_g = losses.generator_loss_least_squares(t64(fake)).item()
    np.testing.assert_allclose(got_d, expected_d, rtol=1e-12)
    np.testing.assert_allclose(got_g, expected_g, rtol=1e-12)


def test_minimum_and_equilibrium_values():
    ones, zeros = tinygan.ones(6, 1, dtype=np.float64), tinygan.zeros(4, 1, dtype=np.float64)
    # D right and sure (real scored 1, fake 0): L_D = 0; G's loss on fakes scored 0 is 1/2.
    assert losses.discriminator_loss_least_squares(ones, zeros).item() == 0.0
    assert losses.generator_loss_least_squares(zeros).item() == 0.5
    # D wrong and sure: L_D = 1/2 + 1/2 = 1. G's fakes scored as real: L_G = 0.
    assert losses.discriminator_loss_least_squares(zeros, ones).item() == 1.0
    assert losses.generator_loss_least_squares(ones).item() == 0.0
    # D undecided (1/2 on everything, as at p_g = p_data with a=0, b=1): L_D = 1/4.
    half = tinygan.full((5, 1), 0.5, dtype=np.float64)
    assert losses.discriminator_loss_least_squares(half, half).item() == 0.25


def test_gradchecks():
    real = t64(RNG.normal(size=(6, 1)), requires_grad=True)
    fake = t64(RNG.normal(size=(5, 1)), requires_grad=True)
    tinygan.gradcheck(losses.discriminator_loss_least_squares, real, fake)
    tinygan.gradcheck(losses.generator_loss_least_squares, fake)
    tinygan.gradcheck(losses.discriminator_loss_least_squares,
                      t64(RNG.normal(size=(8,)), requires_grad=True),
                      t64(RNG.normal(size=(3,)), requires_grad=True))


def test_gradients_with_respect_to_the_scores_are_the_formulas():
    real = RNG.normal(size=(4, 1))
    fake = RNG.normal(size=(6, 1))
    r, f = t64(real, requires_grad=True), t64(fake, requires_grad=True)
    losses.discriminator_loss_least_squares(r, f).backward()
    np.testing.assert_allclose(r.grad, (real - 1.0) / real.size, rtol=1e-12)
    np.testing.assert_allclose(f.grad, fake / fake.size, rtol=1e-12)
    f.grad = None
    losses.generator_loss_least_squares(f).backward()
    np.testing.assert_allclose(f.grad, (fake - 1.0) / fake.size, rtol=1e-12)


def test_no_vanishing_gradient_where_eq2_saturates():
    """A fake D rejects: logit -10 for the sigmoid losses (D(G(z)) = 4.5e-5), score 0 (the fake
    label) for LSGAN. Eq. 2's gradient on it is ~4.5e-5; LSGAN's and Eq. 5's are about 1."""
    m = 1
    a = t64([[-10.0]], requires_grad=True)
    losses.generator_loss_zero_sum(t64([[0.0]]), a).backward()
    eq2 = abs(float(a.grad[0, 0]))
    a.grad = None
    losses.generator_loss_non_saturating(a).backward()
    eq5 = abs(float(a.grad[0, 0]))
    s = t64([[0.0]], requires_grad=True)
    losses.generator_loss_least_squares(s).backward()
    ls = abs(float(s.grad[0, 0]))
    assert eq2 == pytest.approx(1 / (1 + np.exp(10.0)) / m, rel=1e-12)
    assert ls == pytest.approx(1.0 / m) and eq5 == pytest.approx(1.0, rel=1e-4)
    assert ls > 1e4 * eq2
    # A fake scored below the fake label pulls G harder still: gradient (s - 1) = -3 at s = -2.
    s = t64([[-2.0]], requires_grad=True)
    losses.generator_loss_least_squares(s).backward()
    assert float(s.grad[0, 0]) == pytest.approx(-3.0)


def test_float32_in_float32_out():
    real, fake = tinygan.randn(8, 1), tinygan.randn(8, 1)
    for out in (losses.discriminator_loss_least_squares(real, fake),
                losses.generator_loss_least_squares(fake)):
        assert out.dtype == np.float32 and out.shape == ()


def test_against_pytorch_float64():
    torch = pytest.importorskip("torch")
    real = RNG.normal(size=(9, 1)) * 3
    fake = RNG.normal(size=(7, 1)) * 3
    tr = torch.tensor(real, requires_grad=True)
    tf = torch.tensor(fake, requires_grad=True)
    mse = torch.nn.functional.mse_loss  # mean((input - target)^2)
    loss_d = 0.5 * mse(tr, torch.ones_like(tr)) + 0.5 * mse(tf, torch.zeros_like(tf))
    loss_d.backward()
    r, f = t64(real, requires_grad=True), t64(fake, requires_grad=True)
    ours_d = losses.discriminator_loss_least_squares(r, f)
    ours_d.backward()
    np.testing.assert_allclose(ours_d.item(), loss_d.item(), rtol=1e-13)
    np.testing.assert_allclose(r.grad, tr.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(f.grad, tf.grad.numpy(), rtol=1e-12)

    tf.grad = None
    f.grad = None
    loss_g = 0.5 * mse(tf, torch.ones_like(tf))
    loss_g.backward()
    ours_g = losses.generator_loss_least_squares(f)
    ours_g.backward()
    np.testing.assert_allclose(ours_g.item(), loss_g.item(), rtol=1e-13)
    np.testing.assert_allclose(f.grad, tf.grad.numpy(), rtol=1e-12)


def test_bad_input_is_a_clear_error():
    good = tinygan.randn(4, 1)
    with pytest.raises(TypeError, match="discriminator_loss_least_squares: real_scores must be"):
        losses.discriminator_loss_least_squares(np.zeros((4, 1)), good)
    with pytest.raises(TypeError, match="floating-point"):
        losses.generator_loss_least_squares(tinygan.tensor([1, 2]))
    with pytest.raises(ValueError, match="generator_loss_least_squares: fake_scores is empty"):
        losses.generator_loss_least_squares(tinygan.zeros(0, 1))
