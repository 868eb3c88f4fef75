"""PyTorch's spellings of Tensor methods, as thin aliases over tinygan's own ops.

``Tensor`` (in ``tensor.py``) uses NumPy's names where NumPy has one (``reshape``, ``sum(axis=)``,
``size`` as the element count). Code written for PyTorch spells the same things differently:
``x.view(n, -1)``, ``x.size(0)``, ``x.unsqueeze(1)``, ``label.fill_(1.0)``, ``x.long()``. This
mixin gives ``Tensor`` those spellings. Each method is one line of routing to an op that is
defined, documented and gradient-checked in ``tinygan.ops``: nothing here computes anything new.

    >>> x = tinygan.zeros(4, 3)
    >>> x.size(0), x.size(), x.size            # PyTorch's method, and NumPy's count
    (4, (4, 3), 12)
    >>> x.view(-1, 2).shape, x.unsqueeze(1).shape, x[:, :1].expand(4, 5).shape
    ((6, 2), (4, 1, 3), (4, 5))
    >>> x.fill_(1.0).sum().item()
    12.0

The in-place fills (``fill_``, ``zero_``, ``normal_``, ``uniform_``, ``copy_``, ``clamp_``)
write into ``.data``. As in PyTorch they refuse a tensor that requires a gradient while gradients
are being recorded (the graph would silently see the new values); wrap them in
``with tinygan.no_grad():``, as PyTorch code that initialises weights in place does.

``Parameter.data`` gives the raw NumPy array with the same in-place methods
(``inplace.ParameterData``), so PyTorch's ``m.weight.data.normal_(0.0, 0.02)`` works while
``.data`` stays the array a student can inspect.
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.inplace import check_writable, normal_into, uniform_into, values_of

__all__ = ["Size", "TensorAPI", "TensorType", "Variable"]


class Size(int):
    """The element count (NumPy's ``x.size``), callable as PyTorch's ``x.size(dim=None)``.

    ``x.size`` is an int, so ``x.size == 12`` and ``sum(p.size for p in net.parameters())``
    work as in NumPy; ``x.size()`` is the shape and ``x.size(0)`` its first entry, as in PyTorch.
    """

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        count = 1
        for n in shape:
            count *= int(n)
        self = super().__new__(cls, count)
        self.shape = tuple(int(n) for n in shape)
        return self

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < max(len(self.shape), 1):
            raise IndexError(f"size(dim={dim}): dimension out of range for a tensor with "
                             f"{len(self.shape)} dimensions")
        return self.shape[dim]


class TensorType:
    """A PyTorch tensor-type name such as ``FloatTensor``: a dtype (and a device) you can call.

    ``FloatTensor(data)`` makes a float32 tensor from data, ``FloatTensor(2, 3)`` one of zeros
    of that shape (PyTorch leaves it uninitialised; zeros are the honest choice), and
    ``x.type(FloatTensor)`` converts ``x``.
    """

    def __init__(self, name: str, dtype: Any, device: str = "cpu") -> None:
        self.name, self.dtype, self.device = name, numpy.dtype(dtype), device

    def __repr__(self) -> str:
        return f"tinygan.{'cuda.' if self.device != 'cpu' else ''}{self.name}"

    def __call__(self, *args: Any) -> Any:
        from tinygan.autograd.creation import tensor, zeros

        if args and all(isinstance(a, (int, numpy.integer)) and not isinstance(a, bool)
                        for a in args):
            return zeros(*args, dtype=self.dtype, device=self.device)
        if len(args) != 1:
            raise TypeError(f"{self.name}(): give data (a list, an array or a Tensor) or the "
                            f"sizes of a new tensor, got {len(args)} arguments")
        return tensor(args[0], dtype=self.dtype, device=self.device)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
    """PyTorch's old ``Variable(x)``: since PyTorch 0.4 it is the Tensor itself, and so here.

    ``Variable(x, requires_grad=True)`` marks the tensor as needing gradients and returns it.
    """
    from tinygan.autograd.creation import tensor
    from tinygan.autograd.tensor import Tensor

    t = data if isinstance(data, Tensor) else tensor(data)
    return t.requires_grad_(True) if requires_grad else t


class TensorAPI:
    """PyTorch's names for what tinygan's ops already do; ``Tensor`` inherits them."""

    __slots__ = ()

    # -- sizes ---------------------------------------------------------------------------------
    @property
    def size(self) -> Size:
        """The number of elements (an int, as NumPy); call it for the shape (as PyTorch)."""
        return Size(self.shape)

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self.data.size)

    nelement = numel

    @property
    def is_cuda(self) -> bool:
        return self.device != backend.CPU

    # -- shapes: every one is ops.reshape, ops.transpose or ops.expand -------------------------
    def view(self, *shape: Any) -> Any:
        """``reshape`` (tinygan arrays need no contiguity, so view and reshape are one op)."""
        return self.reshape(*shape)

    def view_as(self, other: Any) -> Any:
        return self.reshape(other.shape)

    reshape_as = view_as

    def squeeze(self, dim: int | None = None) -> Any:
        """Drop axes of length 1 (only ``dim`` if given, and only if it has length 1)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = _axis(dim, self.ndim, "squeeze")
        if self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def unsqueeze(self, dim: int) -> Any:
        """Insert an axis of length 1 at ``dim`` (negative counts from the end, as PyTorch)."""
        d = _axis(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes: Any) -> Any:
        """Broadcast to ``sizes`` (-1 keeps an axis); the gradient sums back (ops.expand)."""
        from tinygan.ops.expand import expand

        return expand(self, _sizes(sizes))

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.shape)

    def repeat(self, *sizes: Any) -> Any:
        """Tile ``sizes[i]`` copies along axis i (NumPy's ``tile``), as an expand and a reshape."""
        from tinygan.ops.expand import repeat

        return repeat(self, _sizes(sizes))

    def t(self) -> Any:
        """The transpose of a matrix (at most 2 dimensions)."""
        if self.ndim > 2:
            raise ValueError(f"t() expects at most 2 dimensions, got shape {self.shape}")
        return self.transpose()

    def swapaxes(self, dim0: int, dim1: int) -> Any:
        """Exchange two axes (PyTorch's two-argument ``transpose(dim0, dim1)``)."""
        axes = list(range(self.ndim))
        d0, d1 = _axis(dim0, self.ndim, "swapaxes"), _axis(dim1, self.ndim, "swapaxes")
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return self.transpose(tuple(axes))

    swapdims = swapaxes

    def contiguous(self) -> Any:
        return self

    def clone(self) -> Any:
        """A copy that stays in the graph (df/dx = 1)."""
        return self.astype(self.dtype)

    # -- reductions and maths under PyTorch's names ----------------------------------------------
    def clamp(self, min: Any = None, max: Any = None) -> Any:
        return self.clip(min, max)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, **torch_kw: Any) -> Any:
        """sqrt(var): the same ``axis``/``dim``, ``keepdims``/``keepdim``, ``ddof``/``unbiased``."""
        return self.var(axis, keepdims, ddof, **torch_kw).sqrt()

    def norm(self, p: float = 2, dim: Any = None, keepdim: bool = False) -> Any:
        """(sum |x|^p)^(1/p) over ``dim`` (all elements by default); p = 1 or 2 as ops."""
        if p == 2:
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Index of the largest value (flat, or along ``dim``), an int64 tensor, no gradient."""
        from tinygan.autograd.tensor import Tensor

        xp = backend.get_array_module(self.data)
        out = xp.argmax(self.data, axis=dim)
        if keepdim and dim is not None:
            out = xp.expand_dims(out, dim)
        return Tensor(xp.asarray(out, dtype=numpy.int64))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return (-self).argmax(dim, keepdim)

    def mm(self, other: Any) -> Any:
        return self @ other

    def add(self, other: Any) -> Any:
        return self + other

    def mul(self, other: Any) -> Any:
        return self * other

    def sub(self, other: Any) -> Any:
        return self - other

    def div(self, other: Any) -> Any:
        return self / other

    # -- dtype and device under PyTorch's names --------------------------------------------------
    def type(self, dtype: Any = None) -> Any:
        """No argument: the type's name (``'tinygan.FloatTensor'``); else a converted copy.

        ``dtype`` may be a ``TensorType`` (``tinygan.LongTensor``), its name as a string, or a
        dtype.
        """
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype.name, f"{self.dtype.name}Tensor")
            return f"tinygan.{'cuda.' if self.is_cuda else ''}{name}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            found = {v: k for k, v in _TYPE_NAMES.items()}.get(name)
            if found is None:
                raise TypeError(f"type({dtype!r}): unknown tensor type; expected one of "
                                f"{', '.join(sorted(_TYPE_NAMES.values()))}")
            dtype = TensorType(name, found, "cuda" if ".cuda." in dtype else "cpu")
        if isinstance(dtype, TensorType):
            out = self.astype(dtype.dtype) if dtype.dtype != self.dtype else self
            return out.to(dtype.device)
        return self.astype(dtype) if numpy.dtype(dtype) != self.dtype else self

    def type_as(self, other: Any) -> Any:
        out = self.astype(other.dtype) if other.dtype != self.dtype else self
        return out.to(other.device)

    def long(self) -> Any:
        return self.astype(numpy.int64)

    def int(self) -> Any:
        return self.astype(numpy.int32)

    def bool(self) -> Any:
        return self.astype(numpy.bool_)

    # -- in place: write into .data, outside the graph -------------------------------------------
    def fill_(self, value: Any) -> Any:
        check_writable(self, "fill_")
        self.data[...] = value.item() if hasattr(value, "item") else value
        return self

    def zero_(self) -> Any:
        return self.fill_(0)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Any:
        """Fill with samples of N(mean, std^2) from tinygan's seeded generator."""
        check_writable(self, "normal_")
        normal_into(self.data, mean, std)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Any:
        """Fill with samples of U[a, b) from tinygan's seeded generator."""
        check_writable(self, "uniform_")
        uniform_into(self.data, a, b)
        return self

    def copy_(self, src: Any) -> Any:
        check_writable(self, "copy_")
        self.data[...] = values_of(src, self.data)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        check_writable(self, "clamp_")
        xp = backend.get_array_module(self.data)
        xp.clip(self.data, min, max, out=self.data)
        return self


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _axis(dim: int, ndim: int, method: str) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{method}: dimension {dim} is out of range for {ndim} dimensions")
    return int(dim) % max(ndim, 1)


def _sizes(sizes: tuple[Any, ...]) -> tuple[int, ...]:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(n) for n in sizes)
