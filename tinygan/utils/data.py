"""``Dataset``, ``TensorDataset`` and ``DataLoader``, as ``torch.utils.data``.

There is one loader in tinygan. ``DataLoader`` takes its batch order from
``tinygan.data.loader.batch_indices`` (a permutation from tinygan's seeded generator, then
consecutive slices), the same function behind ``tinygan.data.batches``; over a
``TensorDataset`` it also takes the batches the same way, one fancy-indexing copy per array::

    >>> x = tinygan.arange(10).float().reshape(5, 2)
    >>> y = tinygan.tensor([0, 1, 0, 1, 1])
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=2)
    >>> for xb, yb in loader:
    ...     print(xb.shape, yb.tolist())
    (2, 2) [0, 1]
    (2, 2) [0, 1]
    (1, 2) [1]
    >>> len(loader)
    3

PyTorch's defaults hold (``shuffle=False``, ``drop_last=False``); ``shuffle=True`` draws the
order from tinygan's CPU generator (``tinygan.manual_seed``) unless a ``generator`` (a
``numpy.random.Generator``) is given. Batches are made in this process: ``num_workers`` and
``pin_memory`` are accepted and change nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.data.loader import _epoch, batch_indices

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate"]


class Dataset:
    """A data set: ``dataset[i]`` is sample i, ``len(dataset)`` the number of samples."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples of tensors with one first axis: ``dataset[i] = (t[i] for t in tensors)``.

    Arrays are accepted too (they become Tensors).
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        lengths = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in lengths or len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: every tensor needs the same first axis (one row "
                             f"per sample), got shapes {[t.shape for t in self.tensors]}")

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def default_collate(batch: list[Any]) -> Any:
    """Samples -> one batch, as PyTorch's: Tensors and arrays are stacked into a Tensor, Python
    floats become float64, ints int64; tuples and lists are collated position by position (a
    list comes back), dicts key by key; anything else is returned as the list it came in."""
    first = batch[0]
    if isinstance(first, Tensor):
        xp = backend.get_array_module(first.data)
        return Tensor(xp.stack([b.data for b in batch]))
    if isinstance(first, (numpy.ndarray, numpy.generic)) or hasattr(first,
                                                                    "__cuda_array_interface__"):
        xp = backend.get_array_module(first)
        return Tensor(xp.stack([xp.asarray(b) for b in batch]))
    if isinstance(first, bool):
        return Tensor(numpy.array(batch, dtype=bool))
    if isinstance(first, int):
        return Tensor(numpy.array(batch, dtype=numpy.int64))
    if isinstance(first, float):
        return Tensor(numpy.array(batch, dtype=numpy.float64))
    if isinstance(first, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if len({len(b) for b in batch}) != 1:
            raise ValueError("default_collate: the samples of a batch have different lengths "
                             f"({sorted({len(b) for b in batch})})")
        return [default_collate(list(column)) for column in zip(*batch)]
    return batch


class DataLoader:
    """Batches of a ``Dataset``: ``for xb, yb in DataLoader(data, batch_size=64, shuffle=True)``.

    Args:
        dataset: a ``Dataset`` (anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: a new random order each epoch (tinygan's seeded generator), else in order.
        drop_last: skip the last, shorter batch.
        collate_fn: turns a list of samples into a batch (default ``default_collate``).
        generator: a ``numpy.random.Generator`` for the order (default tinygan's CPU one).
        num_workers, pin_memory, timeout, worker_init_fn, prefetch_factor, persistent_workers:
            PyTorch's process and memory options; accepted, and without effect (batches are
            made in this process). ``sampler`` and ``batch_sampler`` are refused: tinygan's
            order is ``shuffle``'s.
    """

    _NO_EFFECT = ("timeout", "worker_init_fn", "prefetch_factor", "persistent_workers",
                  "multiprocessing_context", "pin_memory_device")

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: numpy.random.Generator | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if generator is not None and not isinstance(generator, numpy.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        unknown = sorted(set(kwargs) - set(self._NO_EFFECT))
        if unknown:
            raise TypeError(f"DataLoader: {', '.join(unknown)} not supported by tinygan's loader "
                            "(its order is shuffle=True/False over the whole dataset)")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.collate_fn = collate_fn or default_collate
        self.generator = generator
        self.num_workers, self.pin_memory = num_workers, pin_memory

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        rng = self.generator if self.generator is not None else backend.generator("cpu")
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
            # The fast path of tinygan.data.batches: each batch is one indexing copy per tensor.
            arrays = tuple(t.data for t in self.dataset.tensors)
            where = backend.device_of(arrays[0])
            for batch in _epoch(arrays, False, self.batch_size, self.shuffle, self.drop_last,
                                rng, where):
                yield list(batch)
            return
        for index in batch_indices(len(self.dataset), self.batch_size, self.shuffle,
                                   self.drop_last, rng):
            yield self.collate_fn([self.dataset[int(i)] for i in index])
