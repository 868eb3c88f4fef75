"""tinygan.data: the toy targets (1-D Gaussian, ring, grid) and seeded mini-batches.

The MNIST loader has its own file, tests/test_mnist.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygan
from tinygan import backend
from tinygan.data import (
    Gaussian1D,
    GaussianMixture2D,
    Grid2D,
    Ring2D,
    batches,
    infinite_batches,
    validation_split,
)

# ----------------------------------------------------------------------------------------------
# Toy distributions
# ----------------------------------------------------------------------------------------------


def _distinct_count(points: np.ndarray, tol: float = 1e-6) -> int:
    d = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)
    return int(np.sum(np.all((d > tol) | np.eye(len(points), dtype=bool), axis=1)))


def test_ring_has_eight_distinct_modes_on_the_circle():
    ring = Ring2D()
    assert ring.modes.shape == (8, 2) and ring.std == 0.02
    assert _distinct_count(ring.modes) == 8
    np.testing.assert_allclose(np.linalg.norm(ring.modes, axis=1), 2.0, rtol=1e-12)
    angles = np.sort(np.mod(np.arctan2(ring.modes[:, 1], ring.modes[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)


def test_grid_has_twenty_five_distinct_modes():
    grid = Grid2D()
    assert grid.modes.shape == (25, 2) and grid.std == 0.02
    assert _distinct_count(grid.modes) == 25
    values = [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert {tuple(m) for m in grid.modes.tolist()} == {(a, b) for a in values for b in values}


@pytest.mark.parametrize("target", [Ring2D(), Grid2D()], ids=["ring", "grid"])
def test_mixture_samples_have_the_right_moments(target):
    tinygan.manual_seed(0)
    n = 40_000
    x = target.sample(n)
    assert isinstance(x, tinygan.Tensor) and x.shape == (n, 2) and x.dtype == np.float32
    x = x.numpy().astype(np.float64)
    # Every sample lies near a mode (6 std: the chance of a miss is ~1e-8 per sample) ...
    d = np.linalg.norm(x[:, None, :] - target.modes[None], axis=-1)
    assert d.min(axis=1).max() < 6 * target.std
    # ... the modes are equally likely (each count within 5 binomial standard deviations) ...
    k = target.n_modes
    counts = np.bincount(d.argmin(axis=1), minlength=k)
    assert np.all(np.abs(counts - n / k) < 5 * math.sqrt(n * (1 / k) * (1 - 1 / k)))
    # ... and the covariance is that of the mixture: the modes' spread plus std².
    expected_cov = np.cov(target.modes, rowvar=False, ddof=0) + target.std**2 * np.eye(2)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=0.05)
    np.testing.assert_allclose(np.cov(x, rowvar=False), expected_cov, atol=0.1)
    # Within a mode the spread is std.
    offsets = x - target.modes[d.argmin(axis=1)]
    np.testing.assert_allclose(offsets.std(axis=0), target.std, rtol=0.03)


def test_gaussian1d_samples_have_the_right_moments():
    tinygan.manual_seed(1)
    g = Gaussian1D()
    assert (g.mean, g.std) == (4.0, 1.25)
    x = g.sample(100_000)
    assert x.shape == (100_000, 1) and x.dtype == np.float32
    x = x.numpy()[:, 0].astype(np.float64)
    assert abs(x.mean() - 4.0) < 4 * 1.25 / math.sqrt(len(x))
    assert abs(x.std() - 1.25) < 0.01
    assert g.sample(3, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("target", [Gaussian1D(), Ring2D(), Grid2D()], ids=["1d", "ring", "grid"])
def test_samples_are_reproducible_by_seed(target):
    tinygan.manual_seed(7)
    a = target.sample(500).numpy()
    tinygan.manual_seed(7)
    b = target.sample(500).numpy()
    tinygan.manual_seed(8)
    c = target.sample(500).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_gaussian1d_pdf_cdf_ppf_are_exact():
    g = Gaussian1D(4.0, 1.25)
    assert g.cdf(4.0) == 0.5
    np.testing.assert_allclose(g.cdf([4.0 + 1.25, 4.0 - 2.5]), [0.8413447460685429,
                                                                0.022750131948179195], rtol=1e-14)
    np.testing.assert_allclose(g.pdf(4.0), 1 / (1.25 * math.sqrt(2 * math.pi)), rtol=1e-15)
    x = np.linspace(-4, 12, 3201)
    np.testing.assert_allclose(np.trapezoid(g.pdf(x), x), 1.0, rtol=1e-9)
    np.testing.assert_allclose(np.gradient(g.cdf(x), x), g.pdf(x), atol=1e-5)
    q = np.array([1e-9, 0.01, 0.3, 0.5, 0.9, 1 - 1e-9])
    np.testing.assert_allclose(g.cdf(g.ppf(q)), q, rtol=1e-9)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        g.ppf([0.0, 0.5])


def test_mixture_pdf_integrates_to_one():
    wide = GaussianMixture2D(Ring2D().modes, std=0.3)
    t = np.linspace(-4, 4, 401)
    gx, gy = np.meshgrid(t, t, indexing="ij")
    p = wide.pdf(np.stack([gx, gy], axis=-1))
    assert p.shape == (401, 401)
    np.testing.assert_allclose(np.trapezoid(np.trapezoid(p, t), t), 1.0, rtol=1e-6)


def test_toy_distributions_reject_bad_arguments():
    with pytest.raises(ValueError, match="std must be positive"):
        Gaussian1D(std=0.0)
    with pytest.raises(ValueError, match=r"shape \(K, 2\)"):
        GaussianMixture2D(np.zeros((3, 3)), std=0.1)
    with pytest.raises(ValueError, match="non-negative integer"):
        Ring2D().sample(-1)
    with pytest.raises(ValueError, match="last axis of size 2"):
        Ring2D().pdf(np.zeros((4, 3)))


# ----------------------------------------------------------------------------------------------
# Mini-batches
# ----------------------------------------------------------------------------------------------


def _rows(data_batches):
    return np.concatenate([b.numpy() for b in data_batches])


def test_batches_cover_the_epoch_once_in_a_seeded_order():
    x = np.arange(103, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    full = list(batches(x, 10, drop_last=False, seed=0))
    assert [len(b) for b in full] == [10] * 10 + [3]
    rows = _rows(full)[:, 0]
    assert sorted(rows.tolist()) == list(range(103))  # every sample exactly once
    assert not np.array_equal(rows, np.arange(103))  # and shuffled
    np.testing.assert_array_equal(_rows(batches(x, 10, drop_last=False, seed=0))[:, 0], rows)
    assert not np.array_equal(_rows(batches(x, 10, drop_last=False, seed=1))[:, 0], rows)
    dropped = list(batches(x, 10, seed=0))
    assert [len(b) for b in dropped] == [10] * 10
    assert len(set(_rows(dropped)[:, 0].tolist())) == 100
    ordered = _rows(batches(x, 10, shuffle=False, drop_last=False))
    np.testing.assert_array_equal(ordered, x)


def test_batches_default_order_follows_manual_seed_and_keeps_pairs():
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25, dtype=np.int64)
    tinygan.manual_seed(5)
    first = list(batches((x, y), 5))
    tinygan.manual_seed(5)
    again = list(batches([x, y], 5))
    for (xa, ya), (xb, yb) in zip(first, again):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    for xb, yb in first:
        assert isinstance(xb, tinygan.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        assert xb.device == yb.device == backend.get_default_device()
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])  # rows stay with their labels


def test_batches_are_copies_and_accept_tensors():
    x = np.zeros((8, 2), np.float32)
    batch = next(batches(x, 4, shuffle=False))
    batch.data += 1.0
    assert np.all(x == 0.0)  # the data set is untouched
    t = tinygan.tensor(np.arange(8.0, dtype=np.float32))
    assert sorted(_rows(batches(t, 4, seed=3)).tolist()) == list(range(8))


def test_infinite_batches_reshuffle_every_epoch():
    x = np.arange(12, dtype=np.float32)
    stream = infinite_batches(x, 4, seed=0)
    epochs = [_rows([next(stream) for _ in range(3)]) for _ in range(4)]
    for e in epochs:
        assert sorted(e.tolist()) == list(range(12))
    assert len({tuple(e.tolist()) for e in epochs}) > 1
    again = infinite_batches(x, 4, seed=0)
    np.testing.assert_array_equal(_rows([next(again) for _ in range(3)]), epochs[0])


def test_batches_reject_bad_arguments():
    with pytest.raises(ValueError, match="same number of samples"):
        batches((np.zeros(4), np.zeros(5)), 2)
    with pytest.raises(ValueError, match="at least 1"):
        batches(np.zeros(4), 0)
    with pytest.raises(TypeError, match="integer"):
        batches(np.zeros(4), 2.0)
    with pytest.raises(ValueError, match="no batch of 8"):
        infinite_batches(np.zeros(4), 8)
    with pytest.raises(ValueError, match="not both"):
        batches(np.zeros(4), 2, seed=1, generator=np.random.default_rng(1))


def test_validation_split_takes_the_last_samples():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (xt, yt), (xv, yv) = validation_split(x, y, n_val=3)
    np.testing.assert_array_equal(yt, np.arange(7))
    np.testing.assert_array_equal(yv, [7, 8, 9])
    np.testing.assert_array_equal(xv, x[7:])
    a, b = validation_split(y, n_val=4)
    assert len(a) == 6 and len(b) == 4
    with pytest.raises(ValueError, match="n_val"):
        validation_split(y, n_val=10)


# ----------------------------------------------------------------------------------------------
# On a device (the CuPy double of tests/fake_cupy.py, which refuses hidden host transfers)
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [Gaussian1D(), Ring2D()], ids=["1d", "ring"])
def test_samples_are_drawn_on_the_device(fake_cuda, target):
    tinygan.manual_seed(0)
    x = target.sample(64, device="cuda")
    assert isinstance(x.data, fake_cuda.ndarray) and x.dtype == np.float32
    assert x.shape == (64, target.dim)
    tinygan.manual_seed(0)
    np.testing.assert_array_equal(target.sample(64, device="cuda").numpy(), x.numpy())


def test_batches_move_to_the_device_one_at_a_time(fake_cuda):
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20, dtype=np.int64)
    for xb, yb in batches((x, y), 5, seed=0, device="cuda"):
        assert isinstance(xb.data, fake_cuda.ndarray) and isinstance(yb.data, fake_cuda.ndarray)
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    on_device = tinygan.tensor(x, device="cuda")  # data already on the device stays there
    rows = _rows(batches(on_device, 5, seed=0, device="cuda"))
    assert sorted(rows[:, 0].tolist()) == list(range(0, 40, 2))
    host = next(infinite_batches(on_device, 4, device="cpu"))
    assert isinstance(host.data, np.ndarray)
