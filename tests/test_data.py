"""tinygan.data: the toy targets, the MNIST loader (files, checksums, download) and batching.

The MNIST tests read the four IDX files from $TINYGAN_DATA if set, else from ../shared/mnist
beside the repository (CI sets TINYGAN_DATA, so they never skip there). No test touches the
network: downloads are served from the local files by a stand-in for the fetch function.
"""

from __future__ import annotations

import gzip
import math
import os
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import tinygan
from tinygan import backend
from tinygan.data import (
    MIRRORS,
    Gaussian1D,
    GaussianMixture2D,
    Grid2D,
    MNISTError,
    Ring2D,
    batches,
    infinite_batches,
    load_mnist,
    mnist_dir,
    validation_split,
)
from tinygan.data import mnist as mnist_module

REPO = Path(__file__).resolve().parents[1]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


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
# MNIST
# ----------------------------------------------------------------------------------------------


def _shared_mnist() -> Path:
    env = os.environ.get("TINYGAN_DATA")
    return Path(env) if env else REPO.parent / "shared" / "mnist"


@pytest.fixture(scope="module")
def mnist_folder() -> Path:
    folder = _shared_mnist()
    if not all((folder / (n + ".gz")).is_file() or (folder / n).is_file() for n in NAMES.values()):
        pytest.skip(f"the MNIST files are not in {folder} (set TINYGAN_DATA)")
    return folder


@pytest.fixture(scope="module")
def mnist_train(mnist_folder):
    return load_mnist(mnist_folder, "train")  # decoded and verified once for the module


def _raw(folder: Path, key: str) -> bytes:
    """The decompressed bytes of one of the shared files."""
    path = folder / NAMES[key]
    return path.read_bytes() if path.is_file() else gzip.decompress((folder / (path.name + ".gz"))
                                                                     .read_bytes())


@pytest.fixture
def test_split_copy(mnist_folder, tmp_path) -> Path:
    """A private folder holding the test split, uncompressed labels, gzipped images."""
    (tmp_path / NAMES["test_labels"]).write_bytes(_raw(mnist_folder, "test_labels"))
    (tmp_path / (NAMES["test_images"] + ".gz")).write_bytes(
        gzip.compress(_raw(mnist_folder, "test_images"), compresslevel=1)
    )
    return tmp_path


def test_mnist_train_images_and_labels(mnist_train):
    images, labels = mnist_train
    assert images.shape == (60000, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert images.min() == -1.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == TRAIN_COUNTS


def test_mnist_test_split_scale_and_flatten(mnist_folder):
    images, labels = load_mnist(mnist_folder, split="test", scale=(0, 1), flatten=True)
    assert images.shape == (10000, 784) and images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == TEST_COUNTS
    # The same pixels as the default [-1, 1] images.
    default, _ = load_mnist(mnist_folder, split="test")
    np.testing.assert_allclose(images * 2 - 1, default.reshape(10000, 784), atol=1e-6)


def test_mnist_found_through_tinygan_data(mnist_folder, mnist_train, monkeypatch):
    monkeypatch.setenv("TINYGAN_DATA", str(mnist_folder))
    assert mnist_dir() == (mnist_folder, False)
    images, labels = load_mnist()
    np.testing.assert_array_equal(labels, mnist_train[1])
    images[0] = 5.0  # fresh arrays: changing one leaves the next call untouched
    assert load_mnist()[0][0].max() == 1.0


def test_mnist_dir_falls_back_to_the_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYGAN_DATA", raising=False)
    monkeypatch.setenv("TINYGAN_CACHE", str(tmp_path))
    assert mnist_dir() == (tmp_path / "mnist", True)
    assert mnist_dir(tmp_path / "x") == (tmp_path / "x", False)


def test_mnist_reads_uncompressed_files(test_split_copy, mnist_folder):
    images, labels = load_mnist(test_split_copy, "test")
    ref_images, ref_labels = load_mnist(mnist_folder, "test")
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_array_equal(images, ref_images)


def _damage_labels(folder: Path, how: str) -> None:
    path = folder / NAMES["test_labels"]
    raw = bytearray(path.read_bytes())
    if how == "flipped label":
        raw[5000] = (raw[5000] + 1) % 10  # still a valid label: only the checksum can tell
        path.write_bytes(raw)
    elif how == "wrong magic":
        raw[3] = 0x03
        path.write_bytes(raw)
    elif how == "wrong count":
        raw[4:8] = (9999).to_bytes(4, "big")
        path.write_bytes(raw)
    elif how == "truncated":
        path.write_bytes(raw[:-100])
    elif how in ("flipped gzip byte", "truncated gzip"):
        packed = bytearray(gzip.compress(bytes(raw)))
        path.unlink()
        if how == "truncated gzip":
            packed = packed[: len(packed) // 2]
        else:
            packed[len(packed) // 2] ^= 0xFF
        (folder / (NAMES["test_labels"] + ".gz")).write_bytes(packed)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("flipped label", "corrupted: the SHA-256"),
        ("wrong magic", "magic number is 0x00000803, expected 0x00000801"),
        ("wrong count", r"dimensions \(9999,\)"),
        ("truncated", "truncated"),
        ("flipped gzip byte", "not a complete gzip file"),
        ("truncated gzip", "not a complete gzip file"),
    ],
)
def test_mnist_damaged_file_is_a_clear_error(test_split_copy, how, message):
    _damage_labels(test_split_copy, how)
    with pytest.raises(MNISTError, match=message) as info:
        load_mnist(test_split_copy, "test")
    assert NAMES["test_labels"] in str(info.value)


def test_mnist_missing_file_says_where_to_put_it(test_split_copy, monkeypatch, tmp_path):
    (test_split_copy / NAMES["test_labels"]).unlink()
    with pytest.raises(MNISTError, match="t10k-labels-idx1-ubyte") as info:
        load_mnist(test_split_copy, "test", download=True)  # a named folder is never filled
    assert str(test_split_copy) in str(info.value) and "TINYGAN_DATA" in str(info.value)
    with pytest.raises(MNISTError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    monkeypatch.delenv("TINYGAN_DATA", raising=False)
    monkeypatch.setenv("TINYGAN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(MNISTError, match=r"not found in .*download=True"):
        load_mnist(split="test", download=False)


def test_mnist_rejects_bad_arguments(mnist_folder):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist(mnist_folder, split="valid")
    with pytest.raises(ValueError, match="high > low"):
        load_mnist(mnist_folder, scale=(1, 0))
    with pytest.raises(TypeError, match="floating"):
        load_mnist(mnist_folder, dtype=np.int32)


@pytest.fixture
def empty_cache(monkeypatch, tmp_path) -> Path:
    monkeypatch.delenv("TINYGAN_DATA", raising=False)
    monkeypatch.setenv("TINYGAN_CACHE", str(tmp_path))
    return tmp_path / "mnist"


def test_mnist_download_fills_the_cache(mnist_folder, empty_cache, monkeypatch):
    fetched = []

    def fake_fetch(url: str, dest: Path) -> None:
        fetched.append(url)
        shutil.copyfile(mnist_folder / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(mnist_module, "_fetch", fake_fetch)
    images, labels = load_mnist(split="test")
    assert np.bincount(labels).tolist() == TEST_COUNTS and images.shape == (10000, 1, 28, 28)
    assert fetched == [MIRRORS[0] + NAMES[k] + ".gz" for k in ("test_images", "test_labels")]
    assert sorted(p.name for p in empty_cache.iterdir()) == sorted(
        [NAMES["test_images"] + ".gz", NAMES["test_labels"] + ".gz"]
    )
    load_mnist(split="test")
    assert len(fetched) == 2  # the second call reads the cache


def test_mnist_download_skips_a_bad_mirror(mnist_folder, empty_cache, monkeypatch):
    def fake_fetch(url: str, dest: Path) -> None:
        data = (mnist_folder / url.rsplit("/", 1)[1]).read_bytes()
        dest.write_bytes(data[: len(data) // 2] if url.startswith(MIRRORS[0]) else data)

    monkeypatch.setattr(mnist_module, "_fetch", fake_fetch)
    _, labels = load_mnist(split="test")
    assert np.bincount(labels).tolist() == TEST_COUNTS
    assert not list(empty_cache.glob("*.part"))


def test_mnist_download_failure_says_what_to_do(empty_cache, monkeypatch):
    def offline(url: str, dest: Path) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(mnist_module, "_fetch", offline)
    with pytest.raises(MNISTError, match="could not download t10k-images") as info:
        load_mnist(split="test")
    text = str(info.value)
    assert all(m in text for m in MIRRORS) and "offline" in text and str(empty_cache) in text


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
