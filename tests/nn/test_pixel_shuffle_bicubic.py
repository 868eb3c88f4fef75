"""PixelShuffle / PixelUnshuffle and bicubic interpolate (issue 15): the index map written out,
gradcheck and gradgradcheck in float64, and torch float64 as the oracle (rtol 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.nn import functional as F
from tinygan.ops.resample import cubic_weights


def _x(shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype="float64",
                     requires_grad=True)


def test_pixel_shuffle_index_map_written_out():
    r, n, c, h, w = 3, 2, 2, 2, 4
    x = np.random.default_rng(1).standard_normal((n, c * r * r, h, w))
    y = F.pixel_shuffle(tg.tensor(x), r).numpy()
    assert y.shape == (n, c, h * r, w * r)
    for ci in range(c):
        for i in range(r):
            for j in range(r):
                np.testing.assert_array_equal(y[:, ci, i::r, j::r], x[:, ci * r * r + i * r + j])


@pytest.mark.parametrize("r,shape", [(2, (2, 8, 3, 4)), (3, (1, 9, 2, 2)), (1, (1, 2, 3, 3))])
def test_pixel_shuffle_grad_and_inverse(r, shape):
    x = _x(shape)
    assert tg.gradcheck(lambda t: F.pixel_shuffle(t, r), x)
    assert tg.autograd.gradgradcheck(lambda t: F.pixel_shuffle(t, r) ** 2, x)
    y = F.pixel_shuffle(x, r)
    assert tg.gradcheck(lambda t: F.pixel_unshuffle(t, r), y.detach().requires_grad_(True))
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(nn.PixelShuffle(r)(x)).numpy(), x.numpy())


@pytest.mark.parametrize("r,shape", [(2, (2, 8, 3, 4)), (3, (1, 18, 2, 3))])
def test_pixel_shuffle_against_torch(r, shape):
    torch = pytest.importorskip("torch")
    x = _x(shape, 2)
    y = nn.PixelShuffle(r)(x)
    g = np.random.default_rng(3).standard_normal(y.shape)
    (y * tg.tensor(g, dtype="float64")).sum().backward()
    xt = torch.tensor(x.numpy(), requires_grad=True)
    yt = torch.nn.PixelShuffle(r)(xt)
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(np.asarray(x.grad), xt.grad.numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(F.pixel_unshuffle(y, r).numpy(),
                               torch.nn.functional.pixel_unshuffle(yt, r).detach().numpy())


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"divide by r\^2 = 4"):
        F.pixel_shuffle(tg.zeros(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="integer >= 1"):
        nn.PixelShuffle(0)(tg.zeros(1, 4, 2, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H\*2, W\*2\)"):
        F.pixel_unshuffle(tg.zeros(1, 1, 3, 4), 2)


def test_cubic_weights_keys_formula():
    t = np.array([0.0, 0.25, 0.5, 0.9])
    w = cubic_weights(t)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(w[0], [0.0, 1.0, 0.0, 0.0], atol=1e-15)
    a = -0.75  # by hand at t = 0.5: W(1.5) = a(3.375 - 11.25 + 12 - 4) = 0.125 a; W(0.5)
    far, near = 0.125 * a, (a + 2) * 0.125 - (a + 3) * 0.25 + 1
    np.testing.assert_allclose(w[2], [far, near, near, far], rtol=1e-15)


BICUBIC = [
    ({"scale_factor": 4}, (2, 1, 7, 7)),
    ({"scale_factor": 2}, (1, 2, 3, 5)),
    ({"size": (5, 9)}, (1, 2, 4, 3)),
    ({"size": (3, 2)}, (1, 1, 7, 6)),  # downsampling
    ({"scale_factor": 2, "align_corners": True}, (1, 2, 3, 4)),
    ({"size": (6, 5), "align_corners": True}, (2, 1, 3, 3)),
]


@pytest.mark.parametrize("kwargs,shape", BICUBIC)
def test_bicubic_gradcheck(kwargs, shape):
    x = _x(shape, 4)
    assert tg.gradcheck(lambda t: F.interpolate(t, mode="bicubic", **kwargs), x)
    assert tg.autograd.gradgradcheck(lambda t: F.interpolate(t, mode="bicubic", **kwargs) ** 2, x)


@pytest.mark.parametrize("kwargs,shape", BICUBIC)
def test_bicubic_against_torch(kwargs, shape):
    torch = pytest.importorskip("torch")
    x = _x(shape, 5)
    y = nn.Upsample(mode="bicubic", **kwargs)(x)
    g = np.random.default_rng(6).standard_normal(y.shape)
    (y * tg.tensor(g, dtype="float64")).sum().backward()
    xt = torch.tensor(x.numpy(), requires_grad=True)
    yt = torch.nn.functional.interpolate(xt, mode="bicubic", **kwargs)
    (yt * torch.tensor(g)).sum().backward()
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.asarray(x.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_bicubic_keeps_constants_and_overshoots_an_edge():
    # Keys' kernel reproduces a straight line only for a = -0.5; with torch's a = -0.75 it
    # keeps constants (weights sum to 1) and sharpens edges, overshooting past the data's range
    t = np.linspace(0.0, 0.95, 20)
    np.testing.assert_allclose(cubic_weights(t, a=-0.5) @ np.array([-1.0, 0.0, 1.0, 2.0]), t,
                               rtol=0, atol=1e-14)
    assert np.abs(cubic_weights(t) @ np.array([-1.0, 0.0, 1.0, 2.0]) - t).max() > 0.01
    flat = F.interpolate(tg.full((1, 1, 3, 3), 0.7, dtype="float64"), scale_factor=4,
                         mode="bicubic").numpy()
    np.testing.assert_allclose(flat, 0.7, rtol=0, atol=1e-14)
    step = tg.tensor(np.repeat([[0.0] * 4 + [1.0] * 4], 2, axis=0).reshape(1, 1, 2, 8))
    assert F.interpolate(step, scale_factor=2, mode="bicubic").numpy().max() > 1.0
