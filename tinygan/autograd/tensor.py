"""``Tensor``: an array that remembers how it was computed, and ``backward()``, the graph walk.

A Tensor holds ``.data``, an array of the active array module (NumPy, or CuPy on a GPU). When it
is the result of an op on tensors that require gradients, it also holds ``_node``: the op, what
the op saved for its backward pass, and the op's inputs. Those nodes form the computation graph;
``backward()`` walks it from the output back to the leaves (the tensors you made yourself, such
as parameters) and leaves dL/dx in each leaf's ``.grad``; the walk itself, two short functions,
is in ``graph.py``. Each operator (``__mul__``, ``sum`` ...) calls its op's function in
``tinygan/ops``, which checks the inputs and calls the op's ``Function``.

    >>> x = tinygan.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()        # y = sum x_i^2
    >>> y.backward()             # dy/dx_i = 2 x_i
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor_api import TensorAPI

__all__ = ["Tensor"]


class Tensor(TensorAPI):  # TensorAPI: PyTorch's spellings (view, size(0), fill_, ...)
    """An n-dimensional array with reverse-mode automatic differentiation.

    Attributes:
        data: the values, a NumPy (or CuPy) array.
        grad: dL/d(this tensor) after ``backward()``, an array of the same shape, or None.
            Leaf tensors accumulate it over backward calls until zeroed, as in PyTorch.
        requires_grad: whether gradients flow to (and through) this tensor.
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_retain_grad", "name", "__weakref__")
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        self.data = backend.as_array(data)
        self.grad: Any = None
        self.requires_grad = requires_grad
        self._node: Any = None  # the op that made this tensor (None for a leaf)
        self._retain_grad = False
        self.name: str | None = None  # an optional label, used when the graph is drawn

    # -- what a tensor is ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> numpy.dtype:
        return self.data.dtype

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs, parameters)."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The recorded op that made this tensor, or None for a leaf."""
        return self._node

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = numpy.array2string(backend.to_numpy(self.data), separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != backend.get_default_dtype():
            extras.append(f"dtype={self.data.dtype}")
        if self.device != backend.CPU:
            extras.append(f"device='{self.device.name}'")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    __hash__ = object.__hash__  # == is elementwise (returns a Tensor), so hash by identity

    # -- leaving the graph, changing place or type ---------------------------------------------
    def numpy(self) -> numpy.ndarray:
        """A NumPy copy of the values, on the host (the explicit device-to-host transfer)."""
        return numpy.array(backend.to_numpy(self.data), copy=True)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return backend.to_numpy(self.data).tolist()

    def detach(self) -> Tensor:
        """The same values as a new leaf that is cut from the graph (shares the array)."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (on a leaf) and return self."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate tensor after backward (for inspection)."""
        self._retain_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def to(self, device: Any = None, dtype: Any = None, non_blocking: bool = False) -> Tensor:
        """A copy on ``device`` ("cpu" or "cuda") and/or in ``dtype``; self if nothing changes.
        Differentiable. As PyTorch's, ``x.to(dtype)`` and ``x.to(other_tensor)`` work too."""
        if isinstance(device, Tensor):  # to(other): other's device and dtype
            device, dtype = device.device, device.dtype
        elif device is not None and not isinstance(device, (str, backend.Device)):  # to(dtype)
            device, dtype = None, device
        out = self
        if dtype is not None and numpy.dtype(dtype) != self.dtype:
            out = elementwise.astype(self, dtype)
        if device is None or backend.get_device(device) == out.device:
            return out
        return elementwise.to_device(out, device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; differentiable between floating dtypes."""
        return elementwise.astype(self, dtype)

    def float(self) -> Tensor:
        return elementwise.astype(self, numpy.float32)

    def double(self) -> Tensor:
        return elementwise.astype(self, numpy.float64)

    # -- the graph walk (autograd/graph.py) ------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Compute dself/dx for every leaf x that requires grad, adding it to ``x.grad``.

        Args:
            gradient: dL/dself, the upstream gradient. May be omitted only for a one-element
                tensor (a loss), where it is 1.
            retain_graph: keep what the ops saved, so that backward can be called again through
                the same graph (default: ``create_graph``). Otherwise it is released, and a
                second ``backward()`` through it raises a RuntimeError rather than giving wrong
                gradients.
            create_graph: record the backward pass itself: the leaves' ``.grad`` become Tensors
                with a graph (as in PyTorch), which can be differentiated again.
        """
        retain_graph = create_graph if retain_graph is None else retain_graph
        seed = graph.seed(self, gradient, create_graph, "backward()")
        order = graph.topological_order([self])
        graph.check_not_released(order)
        handed_out = {id(seed)}  # arrays a .grad may not share (graph.accumulate)
        for t, g in graph.backpropagate(order, {id(self): seed}, None, retain_graph,
                                        create_graph):
            if t._node is None or t._retain_grad:  # a leaf, or a tensor asked to keep its grad
                t.grad = graph.accumulate(t.grad, g, handed_out)

    # -- Python operators --------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor: return arithmetic.add(self, other)
    def __radd__(self, other: Any) -> Tensor: return arithmetic.add(other, self)
    def __sub__(self, other: Any) -> Tensor: return arithmetic.sub(self, other)
    def __rsub__(self, other: Any) -> Tensor: return arithmetic.sub(other, self)
    def __mul__(self, other: Any) -> Tensor: return arithmetic.mul(self, other)
    def __rmul__(self, other: Any) -> Tensor: return arithmetic.mul(other, self)
    def __truediv__(self, other: Any) -> Tensor: return arithmetic.div(self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return arithmetic.div(other, self)
    def __pow__(self, exponent: Any) -> Tensor: return arithmetic.pow(self, exponent)
    def __rpow__(self, base: Any) -> Tensor: return arithmetic.pow(base, self)
    def __matmul__(self, other: Any) -> Tensor: return linalg.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return linalg.matmul(other, self)
    def __neg__(self) -> Tensor: return arithmetic.neg(self)
    def __abs__(self) -> Tensor: return elementwise.abs(self)
    def __getitem__(self, index: Any) -> Tensor: return shape_ops.getitem(self, index)

    # comparisons give boolean tensors that are not differentiable
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return elementwise.compare(self, other, "eq")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return elementwise.compare(self, other, "ne")

    def __lt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, "lt")
    def __le__(self, other: Any) -> Tensor: return elementwise.compare(self, other, "le")
    def __gt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, "gt")
    def __ge__(self, other: Any) -> Tensor: return elementwise.compare(self, other, "ge")

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # -- methods: NumPy's names where NumPy has one, PyTorch's otherwise --------------------------
    # (``**torch_kw``: PyTorch's ``dim=`` / ``keepdim=``, see ops/reduce.py)
    def sum(self, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
        return reduce.sum(self, axis, keepdims, **torch_kw)

    def mean(self, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
        return reduce.mean(self, axis, keepdims, **torch_kw)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0,
            **torch_kw: Any) -> Tensor:
        return reduce.var(self, axis, keepdims, ddof, **torch_kw)

    def max(self, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
        return reduce.max(self, axis, keepdims, **torch_kw)

    def min(self, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
        return reduce.min(self, axis, keepdims, **torch_kw)

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return shape_ops.reshape(self, shape)

    def flatten(self, start_dim: int = 0) -> Tensor:
        return shape_ops.reshape(self, (*self.shape[:start_dim], -1))

    def transpose(self, *axes: Any) -> Tensor:
        """NumPy's transpose: no axes reverses them; else a permutation of all axes. Two axes
        given separately are swapped, as PyTorch's ``transpose(dim0, dim1)`` (NumPy gives the
        same result for a 2-d (1, 0) and refuses two axes of any other tensor)."""
        if len(axes) == 2 and all(isinstance(a, int) for a in axes):
            return self.swapaxes(*axes)
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return shape_ops.transpose(self, axes or None)

    def permute(self, *dims: int) -> Tensor:
        """PyTorch's permute: the new order of all the axes."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return shape_ops.transpose(self, dims)

    @property
    def T(self) -> Tensor:
        return shape_ops.transpose(self, None)

    # elementwise functions and activations (one line each: the op is in tinygan/ops)
    def exp(self) -> Tensor: return elementwise.exp(self)
    def log(self) -> Tensor: return elementwise.log(self)
    def sqrt(self) -> Tensor: return elementwise.sqrt(self)
    def abs(self) -> Tensor: return elementwise.abs(self)
    def relu(self) -> Tensor: return activation.relu(self)
    def tanh(self) -> Tensor: return activation.tanh(self)
    def sigmoid(self) -> Tensor: return activation.sigmoid(self)
    def softplus(self) -> Tensor: return activation.softplus(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return elementwise.clip(self, min, max)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return activation.leaky_relu(self, negative_slope)



# A tensor's array as stored in its slot. ``Parameter.data`` wraps it in the ParameterData view
# (for PyTorch's in-place methods), which the ops and the graph walk have no use for.
stored_array = Tensor.data.__get__

# The ops (and the walk) are defined on top of Tensor, so they are imported after the class exists.
from tinygan.autograd import graph  # noqa: E402
from tinygan.ops import activation, arithmetic, elementwise, linalg, reduce  # noqa: E402
from tinygan.ops import shape as shape_ops  # noqa: E402  (a Tensor has a .shape)
