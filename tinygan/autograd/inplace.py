"""Writing into a tensor's values outside the graph: PyTorch's in-place fills, and the view
``Parameter.data`` returns so that they work on ``.data`` too.

``m.weight.data.normal_(0.0, 0.02)`` is how PyTorch code initialises a DCGAN. In tinygan
``.data`` is the raw NumPy array; ``Parameter.data`` gives it as a ``ParameterData``, a view of
the same memory whose only additions are those methods (and ``size(0)``). Arithmetic on it gives
plain arrays, so it never spreads into the results of the ops.

    >>> w = tinygan.nn.Linear(3, 2).weight
    >>> w.data.fill_(0.5).sum()
    np.float32(3.0)
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend

__all__ = ["ParameterData", "check_writable", "normal_into", "parameter_data", "uniform_into",
           "values_of"]


def check_writable(t: Any, method: str) -> None:
    from tinygan.autograd.function import is_grad_enabled

    if t.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{method}: a tensor that requires grad cannot be changed in place while gradients "
            "are recorded (the graph would silently use the new values); do it inside "
            "`with tinygan.no_grad():`, or on `.data`"
        )


class ParameterData(numpy.ndarray):
    """A NumPy array (a view of a Parameter's values) with ``fill_``, ``normal_``, ``size(0)``...

    Arithmetic on it gives plain NumPy arrays, so it never spreads into the ops' results.
    """

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
        # every ufunc's result (and a reduction's) comes back here: as a plain array or scalar
        array = numpy.asarray(array)
        return array[()] if return_scalar else array

    def __repr__(self) -> str:
        return repr(numpy.asarray(self))

    def copy(self, order: Any = "C") -> Any:  # a copy is a plain array again
        return numpy.asarray(self).copy(order)

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return numpy.asarray(self).astype(dtype, *args, **kwargs)

    @property
    def size(self) -> Any:  # type: ignore[override]
        from tinygan.autograd.tensor_api import Size  # the count, callable for the shape

        return Size(self.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(numpy.asarray(self).size)

    def fill_(self, value: Any) -> ParameterData:
        self[...] = value
        return self

    def zero_(self) -> ParameterData:
        return self.fill_(0)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> ParameterData:
        normal_into(self, mean, std)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> ParameterData:
        uniform_into(self, a, b)
        return self

    def copy_(self, src: Any) -> ParameterData:
        self[...] = values_of(src, self)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> ParameterData:
        numpy.clip(self, min, max, out=self)
        return self


def parameter_data(array: Any) -> Any:
    """The view ``Parameter.data`` returns: ``ParameterData`` for a NumPy array, else the array
    itself (a CuPy array on a GPU has no such view; use ``nn.init`` there)."""
    if type(array) is numpy.ndarray:
        return array.view(ParameterData)
    return array


def normal_into(out: Any, mean: float, std: float) -> None:
    z = backend.randn(out.shape, dtype=out.dtype, device=backend.device_of(out))
    out[...] = mean + std * z


def uniform_into(out: Any, a: float, b: float) -> None:
    u = backend.rand(out.shape, dtype=out.dtype, device=backend.device_of(out))
    out[...] = a + (b - a) * u


def values_of(src: Any, like: Any) -> Any:
    """The values of ``src`` (a Tensor, an array or a number) as an array beside ``like``."""
    from tinygan.autograd.tensor import Tensor

    data = src.data if isinstance(src, Tensor) else src
    if backend.get_array_module(like) is numpy:
        return backend.to_numpy(data) if hasattr(data, "__cuda_array_interface__") else data
    return data
