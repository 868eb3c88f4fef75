"""Mini-batches: walk a data set in a seeded random order, one batch at a time, onto a device.

A data set here is one array (images) or a tuple of arrays with the same first axis (images and
labels). It stays where it is — usually host memory — and each batch is copied to the device
only when it is needed, so a GPU never holds more than one batch of data.

    >>> images = np.arange(12, dtype=np.float32).reshape(6, 2)   # 6 samples of 2 numbers
    >>> labels = np.arange(6)
    >>> for x, y in batches((images, labels), batch_size=2, seed=0):
    ...     print(x.shape, y.numpy())
    (2, 2) [3 2]
    (2, 2) [5 4]
    (2, 2) [0 1]
    >>> stream = infinite_batches(images, 4, seed=0)   # epoch after epoch, reshuffled each time
    >>> next(stream).shape
    (4, 2)

With MNIST it reads the same: ``images, labels = tinygan.data.load_mnist()``, then
``batches((images, labels), batch_size=128)`` yields x of shape (128, 1, 28, 28) and y (128,).

The order comes from tinygan's seeded CPU generator (``tinygan.backend.generator("cpu")``),
unless a ``seed`` or a NumPy ``generator`` of your own is given: the same seed, the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["batches", "infinite_batches", "validation_split"]


def _as_arrays(data: Any) -> tuple[tuple[Any, ...], bool]:
    """(the arrays, whether a single array was given); Tensors are unwrapped to their data."""
    single = not isinstance(data, (tuple, list))
    items = (data,) if single else tuple(data)
    if not items:
        raise ValueError("batches: expected an array or a tuple of arrays, got an empty tuple")
    arrays = []
    for item in items:
        array = item.data if isinstance(item, Tensor) else item
        if not hasattr(array, "shape") or len(array.shape) == 0:
            raise TypeError(
                f"batches: each data item must be an array or Tensor with a first (sample) axis, "
                f"got {type(item).__name__}"
            )
        arrays.append(array)
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(
            f"batches: the arrays must have the same number of samples (first axis), got "
            f"lengths {[len(a) for a in arrays]}"
        )
    return tuple(arrays), single


def _rng(seed: int | None, generator: numpy.random.Generator | None) -> numpy.random.Generator:
    if seed is not None and generator is not None:
        raise ValueError("batches: give a seed or a generator, not both")
    if generator is not None:
        return generator
    if seed is not None:
        return numpy.random.default_rng(seed)
    return backend.generator("cpu")


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)):
        raise TypeError(f"batches: batch_size must be an integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be at least 1, got {batch_size}")
    return int(batch_size)


def batch_indices(
    n: int, batch_size: int, shuffle: bool, drop_last: bool, rng: numpy.random.Generator
) -> Iterator[numpy.ndarray]:
    """The sample indices of each batch of one epoch: a permutation (or 0..n-1), then
    consecutive slices of ``batch_size`` (the last, shorter one dropped if ``drop_last``).

    This is the whole order of every loader in tinygan: ``batches`` here, and
    ``tinygan.utils.data.DataLoader``.
    """
    order = rng.permutation(n) if shuffle else numpy.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def _epoch(
    arrays: tuple[Any, ...],
    single: bool,
    batch_size: int,
    shuffle: bool,
    drop_last: bool,
    rng: numpy.random.Generator,
    device: backend.Device,
) -> Iterator[Any]:
    """One pass over the data: a permutation, then consecutive slices of it."""
    for index in batch_indices(len(arrays[0]), batch_size, shuffle, drop_last, rng):
        out = []
        for array in arrays:
            where = backend.device_of(array)
            batch = array[backend.to_device(index, where)]  # a copy, never a view of the data
            out.append(Tensor(backend.to_device(batch, device)))
        yield out[0] if single else tuple(out)


def batches(
    data: Any,
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = True,
    *,
    seed: int | None = None,
    generator: numpy.random.Generator | None = None,
    device: Any = None,
) -> Iterator[Any]:
    """One epoch of mini-batches, as Tensors on ``device``.

    Args:
        data: an array (or Tensor) whose first axis indexes samples, or a tuple/list of them
            with equal first axes (e.g. ``(images, labels)``).
        batch_size: samples per batch.
        shuffle: visit the samples in a random order (else in order).
        drop_last: skip the last, smaller batch when ``batch_size`` does not divide N, so every
            batch has the same size (as a GAN's batch statistics expect).
        seed: seed of a private generator for the order; default tinygan's CPU generator.
        generator: a ``numpy.random.Generator`` to draw the order from instead.
        device: where the batches go (default: tinygan's default device).

    Yields:
        a Tensor per batch (a tuple of Tensors when ``data`` is a tuple), each a copy of the
        selected rows with the data's own dtype.
    """
    arrays, single = _as_arrays(data)
    size = _check_batch_size(batch_size)
    rng = _rng(seed, generator)
    return _epoch(arrays, single, size, shuffle, drop_last, rng, backend.get_device(device))


def infinite_batches(
    data: Any,
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = True,
    *,
    seed: int | None = None,
    generator: numpy.random.Generator | None = None,
    device: Any = None,
) -> Iterator[Any]:
    """Mini-batches without end: epoch after epoch, a new order each epoch (see ``batches``).

    For training loops counted in steps rather than epochs: ``x = next(stream)``.
    """
    arrays, single = _as_arrays(data)
    size = _check_batch_size(batch_size)
    n = len(arrays[0])
    if n == 0 or (drop_last and n < size):
        raise ValueError(
            f"infinite_batches: {n} samples make no batch of {size}"
            + (" with drop_last=True" if n else "")
        )
    rng = _rng(seed, generator)
    dev = backend.get_device(device)

    def stream() -> Iterator[Any]:
        while True:
            yield from _epoch(arrays, single, size, shuffle, drop_last, rng, dev)

    return stream()


def validation_split(*arrays: Any, n_val: int = 10_000) -> tuple[Any, Any]:
    """Split off the last ``n_val`` samples as a validation set: ``(train, validation)``.

    With one array, each part is an array; with several, each part is a tuple of arrays::

        (x_train, y_train), (x_val, y_val) = validation_split(images, labels)

    On MNIST's 60,000 training images this is the usual 50,000 / 10,000 split (the validation
    set on which Goodfellow et al. chose the Parzen window width). The parts are views, not
    copies.
    """
    if not arrays:
        raise ValueError("validation_split: expected at least one array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(
            "validation_split: the arrays must have the same length, got "
            f"{[len(a) for a in arrays]}"
        )
    if not 0 < n_val < n:
        raise ValueError(f"validation_split: n_val must be between 1 and {n - 1}, got {n_val}")
    train = tuple(a[: n - n_val] for a in arrays)
    val = tuple(a[n - n_val :] for a in arrays)
    return (train[0], val[0]) if len(arrays) == 1 else (train, val)
