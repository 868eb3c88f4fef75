"""``grad``: the gradients of outputs with respect to chosen inputs, returned instead of stored.

``tinygan.autograd.grad(outputs, inputs)`` is ``torch.autograd.grad``: the same walk as
``backward()``, limited to the part of the graph between the outputs and the inputs, and
returning dL/d(input) for each input as a tuple without touching any ``.grad``.

With ``create_graph=True`` the walk is recorded, so the gradients it returns are Tensors with a
graph and can be differentiated again: the gradient penalty of WGAN-GP, lambda (||dD/dx|| - 1)^2,
is a function of dD/dx, and training on it needs d/dtheta of that gradient.

    >>> x = tinygan.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    >>> y = (x ** 3).sum()                                   # y = sum x^3
    >>> (dy,) = tinygan.autograd.grad(y, x, create_graph=True)  # dy/dx = 3 x^2
    >>> dy
    tensor([ 3., 12.], dtype=float64, grad_fn=<MulBackward>)
    >>> tinygan.autograd.grad(dy.sum(), x)                   # d/dx sum 3 x^2 = 6 x
    (tensor([ 6., 12.], dtype=float64),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygan.autograd import graph
from tinygan.autograd.tensor import Tensor

__all__ = ["grad"]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    only_inputs: bool = True,
) -> tuple[Tensor | None, ...]:
    """The sum over the outputs of the gradient of <grad_output, output> with respect to each
    input, as ``torch.autograd.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors to differentiate.
        inputs: the Tensor(s) to differentiate with respect to (leaves or intermediate tensors).
        grad_outputs: dL/d(output) for each output (arrays or Tensors); None for a one-element
            output means 1.
        retain_graph: keep what the ops saved for another walk (default: ``create_graph``).
        create_graph: record the walk, so the returned gradients can be differentiated again.
        allow_unused: return None for an input the outputs do not depend on, instead of raising.
        only_inputs: accepted and ignored, as in PyTorch (where it is deprecated): only the
            inputs' gradients are ever computed.

    Returns:
        One gradient per input, in order: a Tensor of the input's shape (with a graph when
        ``create_graph``), or None for an unused input with ``allow_unused=True``.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or hasattr(grad_outputs, "shape"):  # one, not a list
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(x).__name__} at {k}")
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {k} (shape {x.shape}) does not require grad: one of "
                               "the differentiated Tensors does not require grad")
    for k, y in enumerate(outputs):
        if not isinstance(y, Tensor) or not y.requires_grad:
            raise RuntimeError(f"grad: element {k} of outputs does not require grad and does "
                               "not have a grad_fn")
    retain_graph = create_graph if retain_graph is None else retain_graph

    seeds: dict[int, Any] = {}
    for y, g in zip(outputs, grad_outputs):
        s = graph.seed(y, g, create_graph, "grad")
        seeds[id(y)] = seeds[id(y)] + s if id(y) in seeds else s
    order = graph.topological_order(outputs)
    graph.check_not_released(order)
    wanted = graph.leading_to(order, inputs)
    found = {}
    targets = {id(x) for x in inputs}
    for t, g in graph.backpropagate(order, seeds, wanted, retain_graph, create_graph):
        if id(t) in targets:
            found[id(t)] = g

    result: list[Tensor | None] = []
    for k, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {k} (shape {x.shape}) appears to not have been used "
                               "in the graph; set allow_unused=True if this is what you want")
        if g is not None and not isinstance(g, Tensor):
            g = Tensor(g.copy())  # a backward may hand one array to several inputs
        result.append(g)
    return tuple(result)
