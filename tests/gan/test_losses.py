"""Eq. 1-5 of the GAN chapter (tinygan.losses): each term against its formula written out by hand,
the identities between them, stability at extreme logits, and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tinygan.functional as F

import tinygan
from tinygan import losses

RNG = np.random.default_rng(1234)


def t64(a, requires_grad=False):
    return tinygan.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def by_hand(real, fake):
    """The book's formulas evaluated naively in float64 (fine for moderate logits)."""
    d_real = 1.0 / (1.0 + np.exp(-real))
    d_fake = 1.0 / (1.0 + np.exp(-fake))
    eq1 = -np.mean(np.log(d_real)) - np.mean(np.log(1.0 - d_fake))
    eq2 = -eq1
    eq3 = np.mean(np.log(d_real)) + np.mean(np.log(1.0 - d_fake))
    eq5 = -np.mean(np.log(d_fake))
    return eq1, eq2, eq3, eq5


SHAPES = [((16, 1), (16, 1)), ((7,), (5,)), ((3, 1), (9, 1))]


@pytest.mark.parametrize("shape_real,shape_fake", SHAPES)
def test_each_term_matches_its_formula(shape_real, shape_fake):
    real = RNG.normal(0.5, 2.0, size=shape_real)
    fake = RNG.normal(-0.5, 2.0, size=shape_fake)
    eq1, eq2, eq3, eq5 = by_hand(real, fake)
    r, f = t64(real), t64(fake)
    np.testing.assert_allclose(losses.discriminator_loss(r, f).item(), eq1, rtol=1e-12)
    np.testing.assert_allclose(losses.generator_loss_zero_sum(r, f).item(), eq2, rtol=1e-12)
    np.testing.assert_allclose(losses.value_function(r, f).item(), eq3, rtol=1e-12)
    np.testing.assert_allclose(losses.generator_loss_non_saturating(f).item(), eq5, rtol=1e-12)


def test_log_d_and_log_one_minus_d_match_the_probabilities():
    a = RNG.normal(size=50)
    d = 1.0 / (1.0 + np.exp(-a))
    np.testing.assert_allclose(losses.log_d(t64(a)).numpy(), np.log(d), rtol=1e-12)
    np.testing.assert_allclose(losses.log_one_minus_d(t64(a)).numpy(), np.log(1 - d), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identities_eq2_and_eq3_are_minus_eq1(dtype):
    real = tinygan.tensor(RNG.normal(size=(32, 1)).astype(dtype))
    fake = tinygan.tensor(RNG.normal(size=(32, 1)).astype(dtype))
    eq1 = losses.discriminator_loss(real, fake).item()
    assert losses.generator_loss_zero_sum(real, fake).item() == -eq1
    assert losses.value_function(real, fake).item() == -eq1


def test_equilibrium_values():
    # D = 1/2 everywhere (logit 0): L_D = 2 log 2, V = -2 log 2, Eq. 5 = log 2.
    zeros = tinygan.zeros(10, 1, dtype=np.float64)
    assert losses.discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))
    assert losses.value_function(zeros, zeros).item() == pytest.approx(-2 * math.log(2))
    assert losses.generator_loss_non_saturating(zeros).item() == pytest.approx(math.log(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extreme_logits(dtype):
    # D sure and right: real logit +1000, fake logit -1000. Naive log(sigmoid) gives log(0).
    big = 1000.0
    real = tinygan.tensor(np.full((4, 1), big, dtype=dtype))
    fake = tinygan.tensor(np.full((4, 1), -big, dtype=dtype))
    assert losses.discriminator_loss(real, fake).item() == pytest.approx(0.0, abs=1e-30)
    # G's non-saturating loss on a confidently rejected fake: -log sigma(-1000) = 1000.
    assert losses.generator_loss_non_saturating(fake).item() == pytest.approx(big)
    # D sure and wrong: L_D = 2000 exactly, not inf.
    assert losses.discriminator_loss(fake, real).item() == pytest.approx(2 * big)
    for fn in (losses.discriminator_loss, losses.generator_loss_zero_sum, losses.value_function):
        for r, f in ((real, fake), (fake, real)):
            out = fn(r, f)
            assert np.isfinite(out.item()) and out.dtype == dtype
    # Gradients stay finite too.
    f = tinygan.tensor(np.array([[-big], [big]], dtype=dtype), requires_grad=True)
    losses.generator_loss_non_saturating(f).backward()
    assert np.all(np.isfinite(f.grad))
    np.testing.assert_allclose(f.grad, np.array([[-0.5], [0.0]]), atol=1e-6)


def test_float32_in_float32_out():
    real = tinygan.randn(8, 1)
    fake = tinygan.randn(8, 1)
    for out in (losses.discriminator_loss(real, fake), losses.generator_loss_zero_sum(real, fake),
                losses.value_function(real, fake), losses.generator_loss_non_saturating(fake)):
        assert out.dtype == np.float32 and out.shape == ()


def test_gradchecks():
    real = t64(RNG.normal(size=(6, 1)), requires_grad=True)
    fake = t64(RNG.normal(size=(5, 1)), requires_grad=True)
    tinygan.gradcheck(losses.discriminator_loss, real, fake)
    tinygan.gradcheck(losses.generator_loss_zero_sum, real, fake)
    tinygan.gradcheck(losses.value_function, real, fake)
    tinygan.gradcheck(losses.generator_loss_non_saturating, fake)
    tinygan.gradcheck(losses.log_d, real)
    tinygan.gradcheck(losses.log_one_minus_d, real)


def test_generator_gradients_with_respect_to_fake_logits():
    """dEq2/da = -sigma(a)/M vanishes as D(G(z)) -> 0; dEq5/da = -(1 - sigma(a))/M does not."""
    a = np.array([-12.0, -6.0, -2.0, 0.0, 2.0])
    m = a.size
    sig = 1.0 / (1.0 + np.exp(-a))
    fake = t64(a, requires_grad=True)
    real = t64(np.zeros(3))
    losses.generator_loss_zero_sum(real, fake).backward()
    np.testing.assert_allclose(fake.grad, -sig / m, rtol=1e-12)
    fake.grad = None
    losses.generator_loss_non_saturating(fake).backward()
    np.testing.assert_allclose(fake.grad, -(1 - sig) / m, rtol=1e-12)
    # At D(G(z)) ~ 6e-6 the zero-sum gradient is ~1e5 times smaller than the non-saturating one.
    zero_sum = -sig[0] / m
    assert abs(zero_sum) < 1e-5 * abs(fake.grad[0])


def test_eq1_matches_binary_cross_entropy_with_labels():
    # Eq. 1 is BCE with label 1.0 for real and 0.0 for fake, each batch averaged on its own.
    real = t64(RNG.normal(size=(8, 1)))
    fake = t64(RNG.normal(size=(8, 1)))
    bce = F.binary_cross_entropy_with_logits
    expected = bce(real, tinygan.ones_like(real)) + bce(fake, tinygan.zeros_like(fake))
    np.testing.assert_allclose(losses.discriminator_loss(real, fake).item(), expected.item(),
                               rtol=1e-12)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    real = RNG.normal(size=(9, 1)) * 5
    fake = RNG.normal(size=(9, 1)) * 5
    tr, tf = torch.tensor(real), torch.tensor(fake)
    ls = torch.nn.functional.logsigmoid
    expected_d = -(ls(tr).mean() + ls(-tf).mean()).item()
    expected_ns = -ls(tf).mean().item()
    np.testing.assert_allclose(losses.discriminator_loss(t64(real), t64(fake)).item(), expected_d,
                               rtol=1e-12)
    np.testing.assert_allclose(losses.generator_loss_non_saturating(t64(fake)).item(), expected_ns,
                               rtol=1e-12)


def test_bad_input_is_a_clear_error():
    good = tinygan.randn(4, 1)
    with pytest.raises(TypeError, match="discriminator_loss: real_logits must be a tinygan Tensor"):
        losses.discriminator_loss(np.zeros((4, 1)), good)
    with pytest.raises(TypeError, match="floating-point"):
        losses.generator_loss_non_saturating(tinygan.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        losses.value_function(good, tinygan.zeros(0, 1))
