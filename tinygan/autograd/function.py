"""The base of every differentiable op: ``Function``, its ``ctx``, and ``unbroadcast``.

An op is a subclass of ``Function`` with two static methods side by side, in PyTorch's vocabulary
(what you learn here carries over to ``torch.autograd.Function``)::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):            # arrays in, array out
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):           # dL/d(out) in, one dL/d(input) per input out
            a, b = ctx.saved_tensors
            return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)

``forward`` and ``backward`` see raw arrays (NumPy or CuPy), never Tensors: the graph is built by
``Function.apply``, which wraps the result in a Tensor and records the op, its ``ctx`` and its
inputs so that ``Tensor.backward`` can walk back through them.

An op whose gradient can itself be differentiated (``create_graph=True``, a gradient penalty)
also writes ``backward_graph(ctx, grad, *inputs)``: the same formula as ``backward``, but on
Tensors (the op's inputs as they came to ``apply``, and ``grad`` a Tensor), so that the backward
pass is recorded as a graph of its own::

        @staticmethod
        def backward_graph(ctx, grad, a, b):  # Tensors in, Tensors out: recorded ops
            return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)

``unbroadcast`` works on arrays and on Tensors alike (it only calls ``.sum``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor, stored_array

__all__ = ["Context", "Function", "enable_grad", "is_grad_enabled", "no_grad", "unbroadcast"]

# ----------------------------------------------------------------------------------------------
# Grad mode: inside `with no_grad():` no graph is recorded (evaluation, optimizer updates).
# ----------------------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``: ops then record no graph."""
    return _grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager in which ops record no graph (as ``torch.no_grad``)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager that turns graph recording back on inside ``no_grad()``."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = previous


# ----------------------------------------------------------------------------------------------
# unbroadcast: the backward of broadcasting.
# ----------------------------------------------------------------------------------------------


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting an array of ``shape``.

    If ``a`` of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass, each element of ``a``
    was used 2 * 4 times, so its gradient is the sum of the 8 upstream gradients it fed::

        unbroadcast(grad of shape (2, 3, 4), (3, 1))  ->  grad.sum(axis=0).sum(axis=2, keepdims)

    Leading axes that broadcasting added are summed away; axes where ``shape`` has 1 are summed
    with keepdims.

    ``grad`` may be an array or a Tensor (the same ``.sum`` calls; a Tensor's are recorded).
    """
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    if grad.shape != tuple(shape):
        raise ValueError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    return grad


# ----------------------------------------------------------------------------------------------
# Context and Function
# ----------------------------------------------------------------------------------------------


class Context:
    """What a forward pass leaves for its backward pass (PyTorch's ``ctx``).

    ``save_for_backward(*arrays)`` keeps arrays, read back as ``ctx.saved_tensors``; any other
    value can be stored as an attribute (``ctx.axis = 1``). ``needs_input_grad[i]`` tells
    backward whether input ``i`` wants a gradient, so it can skip work (the graph walk sets it
    before each backward call: ``autograd.grad`` asks only for the inputs it needs).
    """

    __slots__ = ("__dict__", "_saved", "needs_input_grad")

    def __init__(self) -> None:
        self._saved: tuple[Any, ...] | None = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were "
                "released after the first backward(). Call backward(retain_graph=True) the "
                "first time if you need to backward twice, or run the forward pass again."
            )
        return self._saved

    def release(self) -> None:
        """Free the saved arrays (done by ``Tensor.backward`` unless ``retain_graph=True``)."""
        self._saved = None
        self.__dict__.clear()


class Node:
    """A recorded op in the graph: which Function made a tensor, its ctx, and its inputs."""

    __slots__ = ("fn", "ctx", "inputs", "released")

    def __init__(self, fn: type[Function], ctx: Context, inputs: tuple[Tensor, ...]) -> None:
        self.fn = fn
        self.ctx = ctx
        self.inputs = inputs
        self.released = False

    def __repr__(self) -> str:
        # LinearFn -> <LinearBackward>: the Fn suffix only keeps op and layer names apart
        return f"<{self.fn.__name__.removesuffix('Fn')}Backward>"


class Function:
    """Base class of the differentiable ops. Subclasses define ``forward`` and ``backward``
    (arrays), and ``backward_graph`` (Tensors) when their gradient can be differentiated again."""

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def backward_graph(cls, ctx: Context, grad: Tensor, *inputs: Any) -> Any:
        """``backward`` written in Tensor ops, used when the walk records its own graph."""
        raise RuntimeError(
            f"{cls.__name__} has no backward written in tensor ops (backward_graph), so its "
            "gradient cannot be differentiated: create_graph=True is not supported through it"
        )

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays and, if any input needs a gradient, record it.

        Tensor inputs are passed to ``forward`` as their arrays; other arguments (axes, shapes,
        Python numbers) are passed through unchanged. Keyword arguments go to ``forward`` only.
        """
        arrays = []
        needs = []
        device_type = None
        for x in inputs:
            if isinstance(x, Tensor):
                data = stored_array(x)
                if device_type is None:
                    device_type = type(data)
                elif type(data) is not device_type:
                    _check_same_device(cls, inputs)
                arrays.append(data)
                needs.append(x.requires_grad)
            else:
                arrays.append(x)
                needs.append(False)
        ctx = Context()
        ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *arrays, **kwargs)
        if _grad_enabled and any(needs):
            result = Tensor(out, requires_grad=True)
            result._node = Node(cls, ctx, tuple(inputs))
            return result
        return Tensor(out)


def _check_same_device(fn: type[Function], inputs: tuple[Any, ...]) -> None:
    devices = [backend.device_of(x.data) for x in inputs if isinstance(x, Tensor)]
    if len({d.name for d in devices}) > 1:
        names = ", ".join(d.name for d in devices)
        raise RuntimeError(
            f"{fn.__name__}: expected all tensors on one device, got tensors on {names}; "
            "move them first with .to(device)"
        )


def as_array_like(value: Any, like: Any) -> Any:
    """A Python number as a 0-d array of ``like``'s dtype and module (keeps float32 float32)."""
    xp = backend.get_array_module(like)
    dtype = like.dtype if numpy.dtype(like.dtype).kind in "fc" else None
    return xp.asarray(value, dtype=dtype)
