"""Lesson 1, the autograd: a ``Tensor`` that records how it was computed, and the graph walk.

Read in this order:

* ``tensor.py``: ``Tensor``, an array with ``.grad``, ``requires_grad`` and the recorded op,
  and ``backward()``;
* ``graph.py``: the walk ``backward()`` makes: ``topological_order`` and ``backpropagate``, the
  chain-rule sweep;
* ``function.py``: ``Function``, each op's forward and backward side by side, ``unbroadcast``,
  ``no_grad``;
* ``creation.py``: ``tinygan.tensor(...)``, ``zeros``, ``randn`` ...;
* ``gradients.py``: ``grad(outputs, inputs)``, gradients returned instead of stored, and with
  ``create_graph=True`` gradients that can be differentiated again;
* ``gradcheck.py``: the teachers' tools, backward (``gradcheck``) and the backward of a
  recorded backward (``gradgradcheck``) against central differences;
* ``tensor_api.py`` and ``inplace.py``, beside the lesson: PyTorch's spellings of Tensor methods
  (``view``, ``size(0)``, ``unsqueeze``, ``fill_``, ``long()`` ...) as one-line routes to the ops,
  and the in-place fills that also work on a Parameter's ``.data``.

Gradients of gradients: every op is a ``Function`` with two ways back. ``backward`` works on
arrays and records nothing; it is what ``loss.backward()`` runs. ``backward_graph`` is the same
formula written with tinygan's own ops on the op's input Tensors, so running it records new
graph nodes. With ``create_graph=True`` (``grad(...)`` or ``backward(...)``) the walk calls
``backward_graph``, and the gradients it returns have a graph of their own that can be
differentiated again (WGAN-GP's gradient penalty); without it nothing changes, in time or
memory. docs/autograd_higher_order.md says more.
"""

# isort: off
# tensor first: it defines Tensor, then imports the ops, which import function (and Tensor).
from tinygan.autograd.tensor import Tensor
# isort: on
from tinygan.autograd.creation import (
    arange,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygan.autograd.function import (
    Context,
    Function,
    enable_grad,
    is_grad_enabled,
    no_grad,
    unbroadcast,
)
from tinygan.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygan.autograd.gradients import grad
from tinygan.autograd.tensor_api import Variable  # PyTorch < 0.4's name: the Tensor itself

__all__ = [
    "Context",
    "Function",
    "GradcheckError",
    "Tensor",
    "Variable",
    "arange",
    "enable_grad",
    "full",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "tensor",
    "unbroadcast",
    "zeros",
    "zeros_like",
]
