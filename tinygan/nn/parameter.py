"""``Parameter``: the Tensor that ``Module.parameters()`` finds, a trainable weight."""

from __future__ import annotations

from typing import Any

import numpy

from tinygan.autograd.inplace import ParameterData, parameter_data
from tinygan.autograd.tensor import Tensor, stored_array

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that is a trainable weight of a Module (``requires_grad=True`` by default).

    Being a Parameter is what makes ``Module.parameters()`` find it; ops on it give plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(f"Parameter: only floating-point arrays can require gradients, got "
                            f"{data.dtype}")
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor(self.data).__repr__()

    # ``.data`` is the raw array, seen through a view with PyTorch's in-place methods, so that
    # ``m.weight.data.normal_(0.0, 0.02)`` works (autograd/inplace.py, ParameterData).
    data = property(lambda self: parameter_data(stored_array(self)),
                    lambda self, value: Tensor.data.__set__(self, _plain(value)))
    # What the ops and optimizers ask of every parameter on every step, read from the array
    # itself rather than through a fresh ParameterData view each time.
    shape = property(lambda self: stored_array(self).shape)
    dtype = property(lambda self: stored_array(self).dtype)
    ndim = property(lambda self: stored_array(self).ndim)


def _plain(value: Any) -> Any:
    """What ``Parameter.data = value`` stores: the array (``p.data = other_tensor`` too, as
    PyTorch allows), never the ParameterData view."""
    if isinstance(value, Tensor):
        value = value.data
    return value.view(numpy.ndarray) if isinstance(value, ParameterData) else value
