"""The SR metrics (issue 15): the degradation by hand, PSNR by hand, SSIM against a direct
implementation of Wang et al.'s formula (11x11 Gaussian window, sigma 1.5, loops over window
positions) and by hand for flat images, and the classifier's accuracy and Fréchet distance."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan.evaluation import superres as srm
from tinygan.gan.superres import degrade


def test_degrade_is_the_mean_of_each_4x4_block():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 1, 28, 28)).astype(np.float32)
    lr = degrade(x)
    assert lr.shape == (2, 1, 7, 7) and lr.dtype == np.float32
    np.testing.assert_allclose(lr[1, 0, 2, 5], x[1, 0, 8:12, 20:24].mean(), rtol=1e-6)
    t = degrade(tg.tensor(x, requires_grad=True))
    np.testing.assert_allclose(t.numpy(), lr, rtol=0, atol=1e-6)
    t.sum().backward()
    assert tg.gradcheck(degrade, tg.tensor(x[:1, :, :8, :8].astype(np.float64),
                                           requires_grad=True))
    with pytest.raises(ValueError, match="multiples of 4"):
        degrade(np.zeros((1, 1, 27, 28)))


def test_psnr_by_hand():
    ref = np.zeros((2, 1, 28, 28))
    up = ref.copy()
    up[0] += 0.1            # MSE 0.01: 10 log10(4 / 0.01) = 26.0206
    up[1, 0, :14] = 0.2     # MSE 0.02: 10 log10(4 / 0.02) = 23.0103
    expected = (10 * np.log10(4 / 0.01) + 10 * np.log10(4 / 0.02)) / 2
    assert srm.psnr(up, ref) == pytest.approx(expected, rel=1e-12)
    assert srm.psnr(ref, ref) == np.inf
    with pytest.raises(ValueError, match="of one shape"):
        srm.psnr(np.zeros((1, 1, 28, 28)), np.zeros((1, 1, 7, 7)))


def _ssim_wang_direct(x, y, data_range=2.0):
    """Wang et al. 2004, Eq. 13-15 with the weighted statistics of their section III-C, at every
    'valid' position of the 11x11 window, written as loops (slow; the reference)."""
    g = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5 ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            a, b = x[i:i + 11, j:j + 11], y[i:i + 11, j:j + 11]
            mx, my = (w * a).sum(), (w * b).sum()
            vx, vy = (w * (a - mx) ** 2).sum(), (w * (b - my) ** 2).sum()
            cxy = (w * (a - mx) * (b - my)).sum()
            values.append((2 * mx * my + c1) * (2 * cxy + c2)
                          / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
    return np.mean(values)


def test_ssim_against_wangs_formula_written_directly():
    rng = np.random.default_rng(1)
    hr = np.clip(rng.standard_normal((3, 1, 28, 28)), -1, 1)
    up = np.clip(hr + 0.3 * rng.standard_normal(hr.shape), -1, 1)
    direct = np.mean([_ssim_wang_direct(up[n, 0], hr[n, 0]) for n in range(3)])
    assert srm.ssim(up, hr) == pytest.approx(direct, rel=1e-10)
    assert srm.ssim_map(up, hr).shape == (3, 1, 18, 18)
    assert srm.ssim(hr, hr) == pytest.approx(1.0, abs=1e-12)
    assert srm.gaussian_window().sum() == pytest.approx(1.0)


def test_ssim_of_flat_images_by_hand():
    # no variance: SSIM = (2 a b + C1) / (a^2 + b^2 + C1), C1 = (0.01 * 2)^2
    a, b, c1 = 0.5, -0.25, 0.02 ** 2
    x, y = np.full((1, 1, 12, 12), a), np.full((1, 1, 12, 12), b)
    assert srm.ssim(x, y) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-9)


def test_real_images_score_perfectly_and_bicubic_loses_digits(mnist_files):
    images, labels = tg.data.load_mnist(mnist_files, "test")
    hr, labels = images[:1000], labels[:1000]
    real = srm.superres_metrics(hr, hr, labels)
    assert real["psnr"] == np.inf and real["ssim"] == pytest.approx(1.0)
    assert real["accuracy"] > 0.97 and real["frechet_distance"] < 1e-6
    report = srm.superres_report(lambda lr: hr, degrade(hr), hr, labels, name="oracle")
    assert set(report) == {"nearest", "bicubic", "oracle"}
    bic, near = report["bicubic"], report["nearest"]
    assert bic["psnr"] > near["psnr"] and bic["ssim"] > near["ssim"]
    assert bic["accuracy"] < 0.95 and bic["frechet_distance"] > 10 * report["oracle"][
        "frechet_distance"] + 1.0
    with pytest.raises(ValueError, match="expected 1000 labels"):
        srm.superres_metrics(hr, hr, labels[:10])
