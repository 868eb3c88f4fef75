"""``fake_cupy.random``: ``default_rng`` and ``Generator`` with ``cupy.random.Generator``'s method
set, for the CuPy double of tests/fake_cupy.py (read its docstring for what the double proves).

Draws are device arrays (a 0-d array for ``size=None``, as CuPy). Methods CuPy's Generator lacks
(``normal``, ``permutation``, ``shuffle``, ``choice`` ...) raise AttributeError, and the bit
generator's ``state`` is a method returning a device pointer, as CuPy's XORWOW, not NumPy's state
dict. The stream differs from NumPy's for the same seed, as the real one does.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as _np
from fake_cupy import _unwrap, _wrap, ndarray

_STREAM_SALT = 0x6375_7079  # "cupy": the double's stream differs from NumPy's for the same seed
_NOT_IN_CUPY = {"normal", "permutation", "shuffle", "choice", "bytes", "spawn"}


class XORWOW:
    """``cupy.random.XORWOW``, CuPy's default bit generator. Its state lives in device memory:
    ``state()`` is a *method* giving a device pointer (an int), not NumPy's ``.state`` dict."""

    def __init__(self, rng: _np.random.Generator) -> None:
        self._rng = rng

    def state(self) -> int:
        return id(self._rng)

    def _state_size(self) -> int:
        return 1


class Generator:
    """``cupy.random.Generator``: draws are device arrays; ``size=None`` gives a 0-d array."""

    def __init__(self, seed: Any = None) -> None:
        entropy = None if seed is None else [_STREAM_SALT, int(seed)]
        self._rng = _np.random.default_rng(entropy)
        self.bit_generator = XORWOW(self._rng)

    @staticmethod
    def _float_dtype(dtype: Any, what: str) -> _np.dtype:
        dt = _np.dtype(dtype)
        if dt.char not in "fd":
            raise TypeError(f"Unsupported dtype {dt.name} for {what}")
        return dt

    def random(self, size: Any = None, dtype: Any = _np.float64, out: Any = None) -> ndarray:
        dt = self._float_dtype(dtype, "random")
        return _wrap(_np.asarray(self._rng.random(size, dtype=dt)))

    def standard_normal(self, size: Any = None, dtype: Any = _np.float64,
                        out: Any = None) -> ndarray:
        dt = self._float_dtype(dtype, "standard_normal")
        return _wrap(_np.asarray(self._rng.standard_normal(size, dtype=dt)))

    def standard_exponential(self, size: Any = None, dtype: Any = _np.float64, method: str = "inv",
                             out: Any = None) -> ndarray:
        dt = self._float_dtype(dtype, "standard_exponential")
        return _wrap(_np.asarray(self._rng.standard_exponential(size, dtype=dt)))

    def exponential(self, scale: float = 1.0, size: Any = None) -> ndarray:
        return self.standard_exponential(size) * scale

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None,
                dtype: Any = _np.float64) -> ndarray:
        draw = self._rng.uniform(_unwrap(low), _unwrap(high), size)
        return _wrap(_np.asarray(draw).astype(dtype, copy=False))

    def integers(self, low: int, high: int | None = None, size: Any = None, dtype: Any = _np.int64,
                 endpoint: bool = False) -> ndarray:
        draw = self._rng.integers(int(low), None if high is None else int(high), size, dtype=dtype,
                                  endpoint=endpoint)
        return _wrap(_np.asarray(draw))

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_IN_CUPY:
            raise AttributeError(f"'Generator' object has no attribute {name!r}: cupy.random."
                                 "Generator has no such method; hide the difference behind a "
                                 "helper in tinygan/backend.py")
        raise AttributeError(f"fake_cupy's Generator does not provide {name!r}; add it to "
                             "tests/fake_cupy.py if cupy.random.Generator has it")


def _random_getattr(name: str) -> Any:
    raise AttributeError(f"fake_cupy.random has no {name!r}: tinygan draws random numbers only "
                         "from the seeded generator, backend.generator(device)")


random = types.ModuleType("fake_cupy.random")
random.default_rng = Generator  # type: ignore[attr-defined]
random.Generator = Generator  # type: ignore[attr-defined]
random.XORWOW = XORWOW  # type: ignore[attr-defined]
random.__getattr__ = _random_getattr  # type: ignore[attr-defined]

