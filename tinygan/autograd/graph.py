"""The graph walk: put the tensors in order, then sweep the chain rule back along that order.

``topological_order`` lists every tensor an output was computed from, each after all of its
inputs. ``backpropagate`` walks that list backwards: when it reaches a tensor t, every op that
used t has already added its share to dL/dt, so dL/dt is complete; t's op then turns it into
dL/d(input) for each of its inputs. ``Tensor.backward`` keeps the gradients of the leaves,
``tinygan.autograd.grad`` those of the inputs it was asked about.

    >>> x = tinygan.tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> [t is x for t in topological_order([y])]
    [True, False]
    >>> [(t is x, float(g)) for t, g in backpropagate(topological_order([y]), {id(y): 1.0})]
    [(False, 1.0), (True, 6.0)]

With ``create_graph=True`` every gradient is a Tensor and each op's ``backward_graph`` computes
with recorded ops, so the gradients have a graph of their own and can be differentiated again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from tinygan import backend
from tinygan.autograd.function import enable_grad
from tinygan.autograd.tensor import Tensor

__all__ = ["backpropagate", "topological_order"]


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor the roots depend on (that requires grad), each after all of its inputs.

    Iterative depth-first search: a recursive one would hit Python's recursion limit on a long
    chain. A tensor is pushed twice: first to visit its inputs, then (``inputs_done``) to be
    appended once they all are in the list.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack = [(root, False) for root in roots]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
        elif id(t) not in visited:
            visited.add(id(t))
            stack.append((t, True))
            if t._node is not None:  # t's parents: the inputs of its op that require grad
                for x in t._node.inputs:
                    if isinstance(x, Tensor) and x.requires_grad and id(x) not in visited:
                        stack.append((x, False))
    return order


def backpropagate(order: list[Tensor], grads: dict[int, Any], wanted: set[int] | None = None,
                  retain_graph: bool = False,
                  create_graph: bool = False) -> Iterator[tuple[Tensor, Any]]:
    """The chain rule, swept from the outputs back: yield each tensor t with its dL/dt.

    ``grads`` holds the seeds, dL/d(output) for each output (keyed by ``id``: a Tensor's ``==``
    is elementwise). ``wanted`` (ids) limits the walk to the tensors through which a gradient
    reaches what the caller asked for (``grad()``); by default it is all of ``order``.
    """
    pruned = wanted is not None
    wanted = wanted if pruned else {id(t) for t in order}
    with enable_grad() if create_graph else contextlib.nullcontext():  # record the walk, or not
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None or id(t) not in wanted:
                continue
            yield t, g  # every op that used t has added its share: dL/dt is complete
            node = t._node
            if node is None:  # a leaf: nothing to go back through
                continue
            for x, gx in zip(node.inputs, chain_rule(node, g, pruned, wanted, create_graph)):
                if gx is None or id(x) not in wanted:
                    continue
                if id(x) in grads:
                    grads[id(x)] = grads[id(x)] + gx  # x fed several ops: dL/dx += their shares
                else:
                    grads[id(x)] = gx
            if not retain_graph:
                release(node)


# ----------------------------------------------------------------------------------------------
# The bookkeeping beside the walk.
# ----------------------------------------------------------------------------------------------


def parents(t: Tensor) -> list[Tensor]:
    """The inputs of the op that made t that require grad (none for a leaf)."""
    if t._node is None:
        return []
    return [x for x in t._node.inputs if isinstance(x, Tensor) and x.requires_grad]


def chain_rule(node: Any, grad: Any, pruned: bool, wanted: set[int],
               create_graph: bool) -> tuple[Any, ...]:
    """dL/d(each input) of one recorded op from dL/d(its output): the op's backward, on arrays,
    or on Tensors (``backward_graph``, recorded) when the walk builds a graph.

    In a ``pruned`` walk (``grad()``) the op is asked only for the inputs in ``wanted``, through
    ``ctx.needs_input_grad``, which is put back afterwards.
    """
    needs = node.ctx.needs_input_grad
    if pruned:
        node.ctx.needs_input_grad = tuple(isinstance(x, Tensor) and id(x) in wanted
                                          for x in node.inputs)
    try:
        if create_graph:
            input_grads = node.fn.backward_graph(node.ctx, grad, *node.inputs)
        else:  # (NumPy gives scalars, not 0-d arrays, from math on 0-d arrays)
            input_grads = node.fn.backward(node.ctx, backend.as_array(grad))
    finally:
        node.ctx.needs_input_grad = needs
    return input_grads if isinstance(input_grads, tuple) else (input_grads,)


def leading_to(order: list[Tensor], inputs: Sequence[Tensor]) -> set[int]:
    """ids of the tensors of ``order`` from which a gradient flows on to one of ``inputs``."""
    targets = {id(x) for x in inputs}
    reach: set[int] = set()
    for t in order:  # inputs come first, so each tensor's parents are decided before it
        if id(t) in targets or any(id(x) in reach for x in parents(t)):
            reach.add(id(t))
    return reach


def check_not_released(order: list[Tensor]) -> None:
    """A RuntimeError if an earlier walk released part of the graph (checked before any
    gradient changes, so a failed call changes nothing)."""
    if any(t._node is not None and t._node.released for t in order):
        raise RuntimeError(
            "Trying to backward through the graph a second time: the first backward() "
            "released what the ops saved. Pass retain_graph=True to the first call, or "
            "run the forward pass again."
        )


def release(node: Any) -> None:
    """Free what an op saved for its backward (the default after one walk through it)."""
    node.released = True
    node.ctx.release()


def seed(output: Tensor, gradient: Any, create_graph: bool, caller: str) -> Any:
    """dL/d(output) to start the walk from: ``gradient`` checked against the output's shape, or 1
    for a one-element output (a loss). A Tensor when the walk builds a graph, else an array."""
    if not output.requires_grad:
        raise RuntimeError(
            f"{caller} on a tensor that does not require grad: no input of the computation "
            "had requires_grad=True (or it ran inside no_grad())"
        )
    xp = backend.get_array_module(output.data)
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{caller} without a gradient needs a one-element output (a loss), but this "
                f"tensor has shape {output.shape}; pass a gradient of that shape (grad can be "
                "implicitly created only for scalar outputs)"
            )
        gradient = xp.ones_like(output.data)
    elif isinstance(gradient, Tensor):
        gradient = gradient if create_graph else gradient.data
    else:
        gradient = xp.asarray(gradient, dtype=output.dtype)
    if gradient.shape != output.shape:
        raise ValueError(f"{caller}: the gradient has shape {gradient.shape}, expected "
                         f"{output.shape} (the output's)")
    if create_graph and not isinstance(gradient, Tensor):
        gradient = Tensor(gradient)
    return gradient


def accumulate(total: Any, grad: Any, handed_out: set[int]) -> Any:
    """``total + grad``, the ``.grad`` of a leaf adding up over backward calls.

    Each ``.grad`` must be an array of its own: an op may hand one array to several inputs
    (a + b gives both the upstream gradient), or hand on a view or the caller's own seed. So the
    first gradient is copied unless it is a fresh array nobody else holds: it owns its memory, is
    writable, and is not among ``handed_out`` (the ids of the arrays this walk has already given
    to a ``.grad``, and of its seed; the id is added here). Tensors (``create_graph``) are never
    written into, so they are not copied.
    """
    if isinstance(grad, Tensor):
        return grad if total is None else grad + total
    grad = backend.as_array(grad)
    if total is not None:
        return backend.as_array(total + grad)
    fresh = getattr(grad, "base", False) is None and grad.flags.writeable
    if not fresh or id(grad) in handed_out:
        from tinygan.ops.kernels import in_memory_order  # noqa: PLC0415 (ops import autograd)

        copied = in_memory_order(grad, tuple(range(grad.ndim)))  # C order, fast from batch-last
        grad = grad.copy() if copied is grad else copied
    handed_out.add(id(grad))
    return grad
