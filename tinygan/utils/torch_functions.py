"""PyTorch's top-level functions and names (``torch.mean``, ``torch.cat``, ``torch.device``...).

``import tinygan as torch`` finds these at the top of the package. Each is one line of routing
to a tinygan op or creation function; the names of the dtypes are NumPy's dtypes, so
``dtype=tinygan.float32`` and ``x.dtype == tinygan.float32`` mean what they say.

    >>> import tinygan as torch
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> torch.mean(x, dim=1).tolist(), torch.cat([x, x], dim=0).shape
    ([1.5, 3.5], (4, 2))
    >>> values, indices = torch.max(x, 1)
    >>> indices.tolist()
    [1, 1]
"""

from __future__ import annotations

import builtins
from typing import Any, NamedTuple

import numpy

from tinygan import backend, ops
from tinygan.autograd.creation import full, rand, randn, zeros
from tinygan.autograd.tensor import Tensor
from tinygan.autograd.tensor_api import TensorType

__all__ = [
    "BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "IntTensor", "LongTensor",
    "argmax", "bool", "clamp", "device", "double", "empty", "eye", "flatten", "float", "float16",
    "float32", "float64", "from_numpy", "full_like", "int", "int32", "int64", "is_tensor",
    "linspace", "long", "max", "mean", "min", "mm", "normal", "numel", "rand_like", "randint",
    "randn_like", "randperm", "reshape", "sigmoid", "squeeze", "std", "sum", "tanh", "transpose",
    "uint8", "unsqueeze", "var",
]

# dtypes under PyTorch's names (NumPy's dtypes)
float32 = float = numpy.dtype(numpy.float32)
float64 = double = numpy.dtype(numpy.float64)
float16 = numpy.dtype(numpy.float16)
int64 = long = numpy.dtype(numpy.int64)
int32 = int = numpy.dtype(numpy.int32)
uint8 = numpy.dtype(numpy.uint8)
bool = numpy.dtype(numpy.bool_)

FloatTensor = TensorType("FloatTensor", numpy.float32)
DoubleTensor = TensorType("DoubleTensor", numpy.float64)
LongTensor = TensorType("LongTensor", numpy.int64)
IntTensor = TensorType("IntTensor", numpy.int32)
ByteTensor = TensorType("ByteTensor", numpy.uint8)
BoolTensor = TensorType("BoolTensor", numpy.bool_)


def device(type: str | backend.Device, index: Any = None) -> backend.Device:
    """``torch.device("cuda:0")``: tinygan's device of that kind (it uses one GPU, index 0)."""
    if isinstance(type, backend.Device):
        return type
    name, _, number = str(type).partition(":")
    if (number or index) not in ("", None, 0, "0"):
        raise ValueError(f"device({type!r}): tinygan uses one device of each kind (index 0)")
    return backend.get_device(name)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A Tensor on ``array`` itself (no copy, its dtype kept), as ``torch.from_numpy``."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def numel(x: Tensor) -> int:
    return x.numel()


# -- reductions and elementwise functions (torch.mean(x, dim=1) ...) --------------------------


def sum(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return ops.sum(input, dim, keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return ops.mean(input, dim, keepdim)


def var(input: Tensor, dim: Any = None, unbiased: bool = True,
        keepdim: bool = False) -> Tensor:
    """PyTorch's ``torch.var``: unbiased (n - 1) by default, as PyTorch's."""
    return ops.var(input, dim, keepdim, ddof=1 if unbiased else 0)


def std(input: Tensor, dim: Any = None, unbiased: bool = True,
        keepdim: bool = False) -> Tensor:
    """PyTorch's ``torch.std``: sqrt of the unbiased variance by default, as PyTorch's."""
    return var(input, dim, unbiased, keepdim).sqrt()


class MaxResult(NamedTuple):
    """``torch.max(x, dim)``'s answer: the values and their indices along ``dim``."""

    values: Tensor
    indices: Tensor


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``torch.max``: the largest value; with ``dim``, (values, indices) along it; with a second
    tensor, the elementwise maximum."""
    if isinstance(dim, Tensor):
        return ops.maximum(input, dim)
    if dim is None:
        return ops.max(input)
    return MaxResult(ops.max(input, dim, keepdim), input.argmax(dim, keepdim))


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``torch.min``, as ``max``."""
    if isinstance(dim, Tensor):
        return ops.minimum(input, dim)
    if dim is None:
        return ops.min(input)
    return MaxResult(ops.min(input, dim, keepdim), input.argmin(dim, keepdim))


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return ops.clip(input, min, max)


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    return ops.matmul(input, mat2)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    end = end_dim % builtins.max(input.ndim, 1)
    return input.reshape(input.shape[:start_dim] + (-1,) + input.shape[end + 1:])


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.swapaxes(dim0, dim1)


def reshape(input: Tensor, shape: Any) -> Tensor:
    return input.reshape(shape)


def squeeze(input: Tensor, dim: int | None = None) -> Tensor:
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


# -- making tensors -------------------------------------------------------------------------------


def _size(size: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """PyTorch leaves ``empty``'s values undefined; here they are zeros."""
    return zeros(*_size(size), dtype=dtype, device=device, requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    xp = backend.get_device(device).xp
    dt = dtype or backend.get_default_dtype()
    return Tensor(xp.linspace(start, end, builtins.int(steps), dtype=dt))


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None) -> Tensor:
    xp = backend.get_device(device).xp
    return Tensor(xp.eye(n, m, dtype=dtype or backend.get_default_dtype()))


def randperm(n: int, *, device: Any = None) -> Tensor:
    """A random order of 0 .. n-1 (int64): the ranks of n uniform draws from the seeded
    generator (the same on NumPy and CuPy)."""
    u = backend.rand((builtins.int(n),), dtype=numpy.float64, device=device)
    return Tensor(backend.get_array_module(u).argsort(u).astype(numpy.int64))


def normal(mean: Any, std: Any, size: Any = None, *, device: Any = None) -> Tensor:
    """Samples of N(mean, std^2) from the seeded generator: ``normal(0.0, 1.0, size=(n, d))``,
    or with tensors ``mean`` / ``std`` of one shape."""
    if size is None:
        shape = numpy.broadcast_shapes(*(getattr(v, "shape", ()) for v in (mean, std)))
    else:
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    dtype = next((v.dtype for v in (mean, std) if isinstance(v, Tensor)), None)
    z = randn(*shape, dtype=dtype, device=device)
    return z * std + mean


def randint(low: Any, high: Any = None, size: Any = None, *, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers in [low, high) of ``size`` (int64): ``randint(10, (64,))`` or
    ``randint(0, 10, (64,))``, from the seeded generator."""
    if size is None:
        low, high, size = 0, low, high
    shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    out = Tensor(backend.randint(low, high, shape, device))
    return out if dtype is None else out.astype(dtype)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=input.device)


def randn_like(input: Tensor, dtype: Any = None) -> Tensor:
    return randn(*input.shape, dtype=dtype or input.dtype, device=input.device)


def rand_like(input: Tensor, dtype: Any = None) -> Tensor:
    return rand(*input.shape, dtype=dtype or input.dtype, device=input.device)
