"""tinygan.data.mnist: finding, downloading, checking and decoding the four MNIST IDX files.

The tests read the files from $TINYGAN_DATA if set, else from ../shared/mnist beside the
repository (CI sets TINYGAN_DATA, so they never skip there). No test touches the network:
downloads are served from the local files by a stand-in for the fetch function. The training
split is decoded once per module.
"""

from __future__ import annotations

import gzip
import os
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tinygan.data import MIRRORS, MNISTError, load_mnist, mnist_dir
from tinygan.data import mnist as mnist_module

REPO = Path(__file__).resolve().parents[2]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


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


def test_mnist_found_through_tinygan_data(mnist_folder, monkeypatch):
    monkeypatch.setenv("TINYGAN_DATA", str(mnist_folder))
    assert mnist_dir() == (mnist_folder, False)
    images, labels = load_mnist(split="test")
    assert np.bincount(labels).tolist() == TEST_COUNTS
    images[0] = 5.0  # fresh arrays: changing one leaves the next call untouched
    assert load_mnist(split="test")[0][0].max() == 1.0


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


def test_fetch_copies_a_url_to_a_file(mnist_folder, tmp_path):
    # the real download function, on a file:// URL (no network)
    source = mnist_folder / (NAMES["test_labels"] + ".gz")
    dest = tmp_path / "copy.gz"
    mnist_module._fetch(source.resolve().as_uri(), dest)
    assert dest.read_bytes() == source.read_bytes()
