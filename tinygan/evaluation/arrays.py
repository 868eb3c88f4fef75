"""Metric inputs as host arrays: what every metric does first with what it is given."""

from __future__ import annotations

from typing import Any

import numpy

from tinygan.autograd.tensor import Tensor

__all__ = ["host_array"]


def host_array(x: Any, who: str, name: str) -> numpy.ndarray:
    """A float64 host copy of ``x``; a Tensor through its explicit ``.numpy()``."""
    if isinstance(x, Tensor):
        x = x.numpy()
    if not isinstance(x, (numpy.ndarray, numpy.generic, list, tuple, int, float)):
        raise TypeError(
            f"{who}: {name} must be a NumPy array or a Tensor, got {type(x).__name__} "
            f"(bring device arrays to the host with tensor.numpy() first)"
        )
    array = numpy.asarray(x, dtype=numpy.float64)
    if not numpy.all(numpy.isfinite(array)):
        raise ValueError(f"{who}: {name} contains NaN or infinite values")
    return array
