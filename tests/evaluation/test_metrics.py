"""tinygan.metrics against closed forms and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygan
from tinygan.data import Gaussian1D, Grid2D, Ring2D
from tinygan.evaluation.metrics import (
    frechet_distance,
    gaussian_frechet_distance,
    ks_statistic,
    mode_metrics,
    parzen_log_likelihood,
    parzen_select_sigma,
    parzen_window_estimate,
    wasserstein1,
)

TARGET = Gaussian1D(4.0, 1.25)


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _target_sample(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(TARGET.mean, TARGET.std, size=n)


# ----------------------------------------------------------------------------------------------
# 1-D: Wasserstein-1 and Kolmogorov-Smirnov
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [4.0, 1.0, 6.3, 20.0])
def test_w1_of_one_point_matches_the_closed_form(c):
    # W1(δ_c, N(μ, σ²)) = E|c - X| = σ √(2/π) exp(-z²/2) + (c - μ)(2Φ(z) - 1), z = (c - μ)/σ.
    mu, s = TARGET.mean, TARGET.std
    z = (c - mu) / s
    expected = s * math.sqrt(2 / math.pi) * math.exp(-z * z / 2) + (c - mu) * (2 * _phi(z) - 1)
    assert wasserstein1(np.array([c]), TARGET) == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_w1_of_target_samples_is_small_and_of_a_shift_is_the_shift():
    x = _target_sample(20_000, seed=0)
    w_self = wasserstein1(x, TARGET)
    assert w_self < 0.03  # ~ 1/√n
    for shift in (0.5, -2.0):
        # |W1(x + δ, P) - |δ|| ≤ W1(x, P) by the triangle inequality
        assert abs(wasserstein1(x + shift, TARGET) - abs(shift)) <= w_self + 1e-9


def test_w1_exact_cdf_agrees_with_a_quantile_reference_sample():
    x = _target_sample(3000, seed=1) * 0.8 + 1.0
    reference = TARGET.ppf((np.arange(200_000) + 0.5) / 200_000)  # a near-exact stand-in
    assert wasserstein1(x, TARGET) == pytest.approx(wasserstein1(x, reference), abs=1e-4)


def test_w1_between_samples_is_exact():
    a = np.random.default_rng(2).normal(size=500)
    b = np.random.default_rng(3).exponential(size=500)
    # equal sizes: the distance pairs the sorted samples
    assert wasserstein1(a, b) == pytest.approx(np.mean(np.abs(np.sort(a) - np.sort(b))), 1e-12)
    assert wasserstein1(np.array([0.0]), np.array([0.0, 1.0])) == pytest.approx(0.5)
    assert wasserstein1(a, a) == 0.0


def test_1d_metrics_accept_tensors_and_columns_and_reject_nan():
    x = _target_sample(100, seed=4).astype(np.float32)
    t = tinygan.tensor(x[:, None])
    assert wasserstein1(t, TARGET) == pytest.approx(wasserstein1(x, TARGET), rel=1e-12)
    assert ks_statistic(t, TARGET) == ks_statistic(x, TARGET)
    with pytest.raises(ValueError, match="NaN"):
        wasserstein1(np.array([1.0, np.nan]), TARGET)
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\)"):
        ks_statistic(np.zeros((3, 2)), TARGET)
    with pytest.raises(TypeError, match="NumPy array or a Tensor"):
        ks_statistic({1, 2}, TARGET)


@pytest.mark.parametrize("c", [4.0, 2.0, 7.5])
def test_ks_of_one_point(c):
    f = _phi((c - TARGET.mean) / TARGET.std)
    assert ks_statistic(np.array([c]), TARGET) == pytest.approx(max(f, 1 - f), rel=1e-14)


def test_ks_of_target_samples_is_small_and_of_a_shift_matches_the_shift():
    n = 20_000
    x = _target_sample(n, seed=5)
    d_self = ks_statistic(x, TARGET)
    assert d_self < 1.63 / math.sqrt(n)  # the 99% point of the Kolmogorov distribution
    for shift in (0.5, -1.0):
        expected = 2 * _phi(abs(shift) / (2 * TARGET.std)) - 1  # sup |F(x - δ) - F(x)|
        assert abs(ks_statistic(x + shift, TARGET) - expected) <= d_self + 1e-12


def test_ks_between_samples_by_hand():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5, 4.5])
    assert ks_statistic(x, y) == pytest.approx(2 / 3)  # at t = 2: F_x = 2/3, F_y = 0
    assert ks_statistic(x, x) == 0.0


# ----------------------------------------------------------------------------------------------
# 2-D: the VEEGAN protocol
# ----------------------------------------------------------------------------------------------

RING = Ring2D()


def test_modes_all_captured():
    offsets = np.array([[0.01, 0.0], [0.0, -0.03], [0.04, 0.04]])
    x = (RING.modes[:, None, :] + offsets[None]).reshape(-1, 2)
    m = mode_metrics(x, RING.modes, RING.std)
    assert m["modes_captured"] == 8 and m["modes_fair_share"] == 8
    assert m["high_quality_fraction"] == 1.0 and m["n_high_quality"] == 24
    assert m["mode_counts"] == [3] * 8 and m["n_samples"] == 24 and m["n_modes"] == 8
    assert m["threshold"] == pytest.approx(0.06)


def test_one_mode_collapse():
    x = np.repeat(RING.modes[3:4], 100, axis=0) + 0.001
    m = mode_metrics(x, RING.modes, RING.std)
    assert m["modes_captured"] == 1 and m["modes_fair_share"] == 1
    assert m["high_quality_fraction"] == 1.0
    assert m["mode_counts"] == [0, 0, 0, 100, 0, 0, 0, 0]


def test_noise_between_the_modes_captures_nothing():
    angles = np.linspace(0, 2 * np.pi, 500)
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # radius 1: far from every mode
    m = mode_metrics(x, RING.modes, RING.std)
    assert m["modes_captured"] == 0 and m["modes_fair_share"] == 0
    assert m["high_quality_fraction"] == 0.0 and m["mode_counts"] == [0] * 8


def test_one_stray_sample_captures_a_mode_but_not_a_fair_share():
    strays = RING.modes[1:]  # one sample on each of 7 modes
    crowd = np.repeat(RING.modes[:1], 100, axis=0)
    noise = np.full((93, 2), 10.0)
    m = mode_metrics(np.concatenate([strays, crowd, noise]), RING.modes, RING.std)
    assert m["modes_captured"] == 8
    assert m["modes_fair_share"] == 1  # a fair share is 20% of 200/8 = 5 samples; strays hold 1
    assert m["fair_share_needed"] == pytest.approx(5.0)
    assert m["n_high_quality"] == 107 and m["high_quality_fraction"] == pytest.approx(107 / 200)


def test_uniform_noise_captures_modes_by_luck_but_holds_no_fair_share():
    x = np.random.default_rng(0).uniform(-2.5, 2.5, (2500, 2))
    m = mode_metrics(x, RING.modes, RING.std)
    # 8 discs of radius 0.06 cover 0.36% of the square: about 9 lucky samples, on several modes
    assert m["modes_captured"] >= 3 and m["n_high_quality"] < 20
    assert m["modes_fair_share"] == 0  # a fair share is 62.5 samples: luck gives a handful


def test_fair_share_counts_all_samples_not_only_the_high_quality_ones():
    # 8 sharp samples on every mode and 1,000 samples far away: relative to the 64
    # high-quality samples every mode would hold its share; relative to the 1,064 samples
    # (20% of 1064/8 = 26.6) none does.
    sharp = np.repeat(RING.modes, 8, axis=0)
    far = np.full((1000, 2), 10.0)
    m = mode_metrics(np.concatenate([sharp, far]), RING.modes, RING.std)
    assert m["modes_captured"] == 8 and m["modes_fair_share"] == 0
    m = mode_metrics(np.concatenate([sharp, far[:100]]), RING.modes, RING.std)
    assert m["modes_fair_share"] == 8  # 20% of 164/8 = 4.1 <= 8


def test_high_quality_threshold_is_three_std():
    x = RING.modes[0] + np.array([[0.0, 0.0599], [0.0, 0.0601]])
    m = mode_metrics(x, RING.modes, RING.std)
    assert m["n_high_quality"] == 1 and m["mode_counts"][0] == 1


def test_true_grid_samples_are_high_quality_at_the_expected_rate():
    tinygan.manual_seed(3)
    grid = Grid2D()
    m = mode_metrics(grid.sample(2500), grid.modes, grid.std)
    assert m["modes_captured"] == 25 and m["modes_fair_share"] == 25
    # P(|ε| ≤ 3σ) for a 2-D normal is 1 - exp(-9/2)
    assert m["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)


def test_mode_metrics_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(n, d\) and modes \(K, d\)"):
        mode_metrics(np.zeros((4, 3)), RING.modes, RING.std)
    with pytest.raises(ValueError, match="std must be positive"):
        mode_metrics(np.zeros((4, 2)), RING.modes, 0.0)


# ----------------------------------------------------------------------------------------------
# Parzen window
# ----------------------------------------------------------------------------------------------


def _parzen_by_hand(samples: np.ndarray, x: np.ndarray, sigma: float) -> float:
    """log of (1/n) Σ_i Π_j N(x_j; s_ij, σ²), term by term."""
    total = 0.0
    for s in samples:
        p = 1.0
        for xj, sj in zip(x, s):
            p *= math.exp(-((xj - sj) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
        total += p
    return math.log(total / len(samples))


def test_parzen_matches_the_direct_formula():
    rng = np.random.default_rng(0)
    samples, data = rng.random((5, 3)), rng.random((7, 3))
    expected = [_parzen_by_hand(samples, x, 0.3) for x in data]
    np.testing.assert_allclose(parzen_log_likelihood(samples, data, 0.3), expected, rtol=1e-12)
    # chunked one row at a time: the same numbers
    chunked = parzen_log_likelihood(samples, data, 0.3, memory_mb=1e-9)
    np.testing.assert_allclose(chunked, expected, rtol=1e-12)


def test_parzen_far_points_do_not_underflow():
    # exp(-5000) underflows to 0, but log-sum-exp keeps the exact log density.
    d = 4
    ll = parzen_log_likelihood(np.zeros((1, d)), np.full((1, d), 5.0), 0.1)
    expected = -(25 * d) / (2 * 0.01) - d / 2 * math.log(2 * math.pi * 0.01)
    assert ll[0] == pytest.approx(expected, rel=1e-12)


def test_parzen_sigma_selection_and_estimate():
    rng = np.random.default_rng(1)
    def draw(n):
        return np.clip(0.5 + 0.2 * rng.standard_normal((n, 4)), 0, 1)
    samples, valid, test = draw(300), draw(200), draw(100)
    sigmas = np.logspace(-1, 0, 10)
    best, means = parzen_select_sigma(samples, valid, sigmas)
    direct = [parzen_log_likelihood(samples, valid, s).mean() for s in sigmas]
    np.testing.assert_allclose(means, direct, rtol=1e-12)
    assert best == sigmas[int(np.argmax(direct))] and 0.1 < best < 1.0
    result = parzen_window_estimate(samples, valid, test)
    ll = parzen_log_likelihood(samples, test, best)
    assert result["sigma"] == best and result["n_test"] == 100
    assert result["mean"] == pytest.approx(ll.mean(), rel=1e-12)
    assert result["stderr"] == pytest.approx(ll.std() / 10.0, rel=1e-12)
    assert result["sigmas"] == pytest.approx(sigmas.tolist())
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\]"):
        parzen_window_estimate(samples * 2 - 1, valid, test)


# ----------------------------------------------------------------------------------------------
# Fréchet distance
# ----------------------------------------------------------------------------------------------


def _correlated(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d))


def test_frechet_of_identical_sets_is_zero():
    a = _correlated(400, 6, 0)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_frechet_of_a_shift_is_the_squared_shift():
    a = _correlated(400, 6, 1)
    delta = np.array([1.0, -2.0, 0.5, 0.0, 3.0, 0.25])
    # same covariance, so d² = ||δ||² exactly
    assert frechet_distance(a, a + delta) == pytest.approx(np.sum(delta**2), rel=1e-9)


def test_gaussian_frechet_closed_forms():
    # 1-D: (μ1 - μ2)² + (σ1 - σ2)²
    assert gaussian_frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal covariances: ||Δμ||² + Σ (√a - √b)²
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu = np.array([0.0, 1.0, 2.0])
    expected = 1.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = gaussian_frechet_distance(mu, np.diag(a), mu + [1.0, 0, 0], np.diag(b))
    assert got == pytest.approx(expected, rel=1e-12)


def test_gaussian_frechet_general_covariances():
    c1 = np.cov(_correlated(50, 5, 2), rowvar=False)
    c2 = np.cov(_correlated(50, 5, 3), rowvar=False)
    # Tr (C1 C2)^½ = Σ √λ over the (real, positive) eigenvalues of C1 C2
    tr_sqrt = np.sum(np.sqrt(np.linalg.eigvals(c1 @ c2).real))
    expected = np.trace(c1) + np.trace(c2) - 2 * tr_sqrt
    zero = np.zeros(5)
    assert gaussian_frechet_distance(zero, c1, zero, c2) == pytest.approx(expected, rel=1e-9)
    assert gaussian_frechet_distance(zero, c2, zero, c1) == pytest.approx(expected, rel=1e-9)


def test_frechet_rejects_bad_shapes():
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"covariances \(d, d\)"):
        gaussian_frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


def test_metrics_take_device_tensors_but_refuse_raw_device_arrays(fake_cuda):
    x = tinygan.tensor(_target_sample(50, seed=9), device="cuda")
    assert wasserstein1(x, TARGET) == pytest.approx(wasserstein1(x.numpy(), TARGET), rel=1e-12)
    with pytest.raises(TypeError, match=r"tensor.numpy\(\) first"):
        ks_statistic(x.data, TARGET)
