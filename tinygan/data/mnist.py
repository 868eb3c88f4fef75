"""MNIST from its four original IDX files: find them, download them once, check them, decode them.

Where the files are looked for, in this order:

1. the ``root`` folder given to ``load_mnist``;
2. else the folder named by the ``TINYGAN_DATA`` environment variable;
3. else the cache folder ``$TINYGAN_CACHE/mnist`` (default ``~/.cache/tinygan/mnist``).

Each file may be gzipped (``train-images-idx3-ubyte.gz``) or not. Only the cache folder is ever
downloaded into, from the public mirrors, with a progress bar; a folder you name yourself is
trusted to hold the files, and a missing one is an error that says what to do.

Every file is checked before it is used: the gzip stream must be complete, the IDX header must
carry the right magic number and dimensions, and the SHA-256 of the *decompressed* bytes must be
the published one (so any correct copy passes, whatever program compressed it). A file that
fails raises ``MNISTError`` naming the file — tinygan never trains on a damaged copy.

The IDX format (LeCun et al.): a 4-byte magic number — two zero bytes, a type code (0x08 for
unsigned bytes) and the number of dimensions — then each dimension as a big-endian 32-bit
integer, then the values in C order. Images are 0x00000803 (N, 28, 28), labels 0x00000801 (N,).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.request
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy
from tqdm.auto import tqdm

from tinygan import backend

__all__ = ["MIRRORS", "MNISTError", "load_mnist", "mnist_dir"]

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class MNISTError(RuntimeError):
    """An MNIST file is missing, damaged or not what it claims to be."""


class _IDXFile(NamedTuple):
    name: str  # the file name without .gz
    magic: int  # 0x803 for a 3-D ubyte array, 0x801 for a 1-D one
    shape: tuple[int, ...]
    sha256: str  # of the decompressed bytes


_FILES = {
    ("train", "images"): _IDXFile(
        "train-images-idx3-ubyte", 0x803, (60000, 28, 28),
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    ("train", "labels"): _IDXFile(
        "train-labels-idx1-ubyte", 0x801, (60000,),
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    ("test", "images"): _IDXFile(
        "t10k-images-idx3-ubyte", 0x803, (10000, 28, 28),
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    ("test", "labels"): _IDXFile(
        "t10k-labels-idx1-ubyte", 0x801, (10000,),
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}

# Decoded, verified uint8 arrays, kept for the life of the process; keyed by file path, size
# and modification time so that a file replaced on disk is read again.
_decoded: dict[tuple[str, int, int], numpy.ndarray] = {}


def mnist_dir(root: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The folder MNIST is read from, and whether it is the cache (the only one downloaded into).

    ``root`` if given, else ``$TINYGAN_DATA``, else ``$TINYGAN_CACHE/mnist`` (default
    ``~/.cache/tinygan/mnist``).
    """
    if root is not None:
        return Path(root).expanduser(), False
    if os.environ.get("TINYGAN_DATA"):
        return Path(os.environ["TINYGAN_DATA"]).expanduser(), False
    cache = os.environ.get("TINYGAN_CACHE") or Path.home() / ".cache" / "tinygan"
    return Path(cache).expanduser() / "mnist", True


def _where_to_put(folder: Path) -> str:
    names = ", ".join(f.name + ".gz" for f in _FILES.values())
    return (
        f"put the four MNIST files ({names}; gzipped or not) in {folder}, or in any folder "
        f"named by the TINYGAN_DATA environment variable; they can be fetched by hand from "
        f"{MIRRORS[0]}"
    )


def _decode(raw: bytes, spec: _IDXFile, path: Path | str) -> numpy.ndarray:
    """Check an IDX file's bytes (header, size, checksum) and return its uint8 array.

    ``path`` (a file or a URL) is only used to name the file in error messages.
    """
    if raw[:2] == b"\x1f\x8b":  # the gzip signature
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise MNISTError(
                f"{path} is not a complete gzip file ({exc}): the file is truncated or "
                f"corrupted; delete it and download it again"
            ) from None
    ndim = len(spec.shape)
    header = 4 + 4 * ndim
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if magic != spec.magic:
        got = "a file shorter than 4 bytes" if magic is None else f"0x{magic:08x}"
        raise MNISTError(
            f"{path} is not the MNIST file {spec.name}: its IDX magic number is {got}, "
            f"expected 0x{spec.magic:08x} (unsigned bytes, {ndim} dimensions)"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape != spec.shape:
        raise MNISTError(
            f"{path}: the IDX header gives dimensions {shape}, expected {spec.shape} for "
            f"{spec.name}"
        )
    expected_size = header + int(numpy.prod(spec.shape))
    if len(raw) != expected_size:
        raise MNISTError(
            f"{path} holds {len(raw)} bytes of IDX data, expected {expected_size}: the file is "
            f"truncated or has extra bytes; delete it and download it again"
        )
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise MNISTError(
            f"{path} is corrupted: the SHA-256 of its decompressed content is {digest}, "
            f"expected {spec.sha256}; delete it and download it again"
        )
    return numpy.frombuffer(raw, dtype=numpy.uint8, offset=header).reshape(spec.shape)


def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to the file ``dest``, showing a progress bar (replaced in the tests)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name.split(".")[0]) as bar:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))


def _download(spec: _IDXFile, folder: Path) -> tuple[Path, numpy.ndarray]:
    """Fetch ``spec`` into ``folder`` from the first mirror that gives a valid copy."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MNISTError(
            f"cannot create the MNIST cache folder {folder} ({exc}); set TINYGAN_CACHE to a "
            f"writable folder, or {_where_to_put(folder)}"
        ) from None
    final = folder / (spec.name + ".gz")
    partial = folder / f"{spec.name}.gz.{os.getpid()}.part"  # renamed once verified
    failures = []
    for mirror in MIRRORS:
        url = mirror + spec.name + ".gz"
        try:
            _fetch(url, partial)
            array = _decode(partial.read_bytes(), spec, url)
        # URLError, HTTPError and timeouts are OSErrors; a dropped connection an HTTPException
        except (OSError, http.client.HTTPException, MNISTError) as exc:
            failures.append(f"{url}: {exc}")
            partial.unlink(missing_ok=True)
            continue
        os.replace(partial, final)
        return final, array
    raise MNISTError(
        f"could not download {spec.name}.gz from any mirror:\n  " + "\n  ".join(failures)
        + f"\nIf this machine is offline, {_where_to_put(folder)}."
    )


def _load_file(spec: _IDXFile, folder: Path, download: bool, hint: str) -> numpy.ndarray:
    """The verified array of one IDX file, from memory, from disk or (``download``) a mirror."""
    candidates = [folder / spec.name, folder / (spec.name + ".gz")]
    path = next((p for p in candidates if p.is_file()), None)
    array = None
    if path is None:
        if not download:
            raise MNISTError(
                f"MNIST file {spec.name} (or {spec.name}.gz) not found in {folder}; "
                f"{_where_to_put(folder)}{hint}"
            )
        path, array = _download(spec, folder)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _decoded:
        _decoded[key] = array if array is not None else _decode(path.read_bytes(), spec, path)
    return _decoded[key]


def load_mnist(
    root: str | os.PathLike | None = None,
    split: str = "train",
    download: bool = True,
    scale: tuple[float, float] = (-1.0, 1.0),
    flatten: bool = False,
    dtype: Any = None,
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The MNIST images and labels of one split, checked against the published checksums.

    Args:
        root: the folder holding the IDX files; default ``$TINYGAN_DATA``, else the cache
            folder (see ``mnist_dir``).
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000).
        download: fetch missing files into the cache folder from the public mirrors. Folders
            you name (``root``, ``TINYGAN_DATA``) are never downloaded into.
        scale: the (low, high) range pixel values 0..255 are mapped to, linearly; the default
            (-1, 1) matches a Tanh generator, (0, 1) is what the Parzen estimate uses.
        flatten: images of shape (N, 784) instead of (N, 1, 28, 28).
        dtype: the image dtype (default: tinygan's default dtype, float32).

    Returns:
        ``(images, labels)`` as host NumPy arrays: images (N, 1, 28, 28) or (N, 784) in
        ``scale``, labels (N,) int64 in 0..9. Fresh arrays each call, yours to modify. Move
        them to a device a batch at a time with ``tinygan.data.batches``.

    Raises:
        MNISTError: a file is missing (and not downloadable), or truncated, corrupted, or not an
            MNIST file; the message names the file and says where the files belong.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    low, high = (float(v) for v in scale)
    if not high > low:
        raise ValueError(f"load_mnist: scale must be (low, high) with high > low, got {scale!r}")
    dt = numpy.dtype(dtype or backend.get_default_dtype())
    if dt.kind != "f":
        raise TypeError(f"load_mnist: dtype must be a floating dtype, got {dt}")
    folder, is_cache = mnist_dir(root)
    if not is_cache and not folder.is_dir():
        raise MNISTError(f"the MNIST folder {folder} does not exist; {_where_to_put(folder)}")
    hint = "; or call load_mnist(download=True)" if is_cache and not download else ""
    pixels = _load_file(_FILES[split, "images"], folder, download and is_cache, hint)
    labels = _load_file(_FILES[split, "labels"], folder, download and is_cache, hint)
    images = pixels.astype(dt)  # 0..255, then scaled in place: p / 255 * (high - low) + low
    images /= dt.type(255)
    images *= dt.type(high - low)
    images += dt.type(low)
    images = images.reshape(len(images), -1) if flatten else images[:, None, :, :]
    return images, labels.astype(numpy.int64)
