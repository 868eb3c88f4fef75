"""``gradcheck`` and ``gradgradcheck``: an op's backward (and its backward's backward) against
finite differences, the teachers' tools.

For a function f of tensors x1..xn, backward computes v^T J_f, the gradient of the scalar
<v, f(x)> for an upstream gradient ("cotangent") v. gradcheck draws v at random — an all-ones v
cannot see a transposed Jacobian when f sums symmetrically — and compares each component of that
gradient with the central difference

    d<v, f>/dx_i  ~=  (<v, f(x + eps e_i)> - <v, f(x - eps e_i)>) / (2 eps)

in float64, where the difference's error is O(eps^2) and round-off stays far below atol. For a
large input it checks random directions d instead of every e_i, comparing <grad, d> with
(<v, f(x + eps d)> - <v, f(x - eps d)>) / (2 eps).

    >>> x = tinygan.tensor(np.random.randn(3, 4), dtype=np.float64, requires_grad=True)
    >>> tinygan.gradcheck(lambda x: (x * x).sum(axis=1), x)
    True

``gradgradcheck`` checks second derivatives the same way: the first-order gradient
g(x) = v^T J_f(x), computed with ``grad(..., create_graph=True)``, is itself a function of x,
and its own backward (the graph the first walk recorded) is compared with central differences
of <u, g(x)> for a second random cotangent u:

    >>> tinygan.gradgradcheck(lambda x: (x * x * x).sum(axis=1), x)
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd import gradients
from tinygan.autograd.function import enable_grad, no_grad
from tinygan.autograd.tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """Backward disagrees with finite differences; the message says where and by how much."""


def _outputs(result: Any) -> list[Tensor]:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (tuple, list)) and all(isinstance(r, Tensor) for r in result):
        return list(result)
    raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors, got {type(result)}")


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    max_elements: int = 512,
    n_directions: int = 16,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: takes the tensors in ``inputs`` and returns a Tensor (or a tuple of Tensors).
        inputs: Tensors (those with ``requires_grad=True`` are checked) or other arguments.
            Checked inputs should be float64: float32 finite differences are mostly round-off.
        eps: the finite-difference step.
        atol, rtol: the check is |analytic - numeric| <= atol + rtol * |numeric|, element-wise.
        raise_exception: raise ``GradcheckError`` on failure (default) or return False.
        max_elements: an input with more elements than this is checked along ``n_directions``
            random directions instead of element by element.
        seed: seeds the random cotangent and directions (independent of ``manual_seed``).

    Returns:
        True when every checked gradient agrees.
    """
    return _check("gradcheck", fn, inputs, eps, atol, rtol, raise_exception, max_elements,
                  n_directions, seed, constant_ok=False)


def gradgradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    max_elements: int = 512,
    n_directions: int = 16,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s second derivatives: the backward of its (recorded) backward.

    For a cotangent v (``grad_outputs``, random by default), g(x) = v^T J_f(x) is computed with
    ``tinygan.autograd.grad(..., create_graph=True)``. Two checks, each against central
    differences:

    1. the recorded g(x) itself is dL/dx for L = <v, f(x)> (an op's ``backward_graph`` is code
       of its own, separate from the ``backward`` that ``gradcheck`` tests);
    2. the gradient of <u, g(x)> from the graph the first walk recorded (the second derivative)
       is the derivative of <u, g(x)>.

    Arguments as ``gradcheck``; a failure names the check, the input, the element and both
    values.
    """
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    rng = numpy.random.default_rng(seed + 1)
    with no_grad():
        outs = _outputs(fn(*inputs))
    if grad_outputs is None:
        grad_outputs = [rng.standard_normal(o.shape) for o in outs]
    elif isinstance(grad_outputs, Tensor) or hasattr(grad_outputs, "shape"):
        grad_outputs = [grad_outputs]
    cotangents = [backend.to_device(backend.to_numpy(v.data if isinstance(v, Tensor) else v),
                                    o.device).astype(o.dtype) for v, o in zip(grad_outputs, outs)]

    def first_order(*xs: Any) -> tuple[Tensor, ...]:
        """v^T J_f at xs, one gradient per checked input, recorded (a constant if unused)."""
        with enable_grad():
            outs = [o for o, _ in zip(_outputs(fn(*xs)), cotangents)]
            live = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
            wrt = [xs[i] for i in checked]
            grads = gradients.grad([o for o, _ in live], wrt, [Tensor(v) for _, v in live],
                         create_graph=True, allow_unused=True) if live else (None,) * len(wrt)
        return tuple(Tensor(backend.get_array_module(x.data).zeros_like(x.data)) if g is None
                     else g for g, x in zip(grads, wrt))

    args = (eps, atol, rtol, raise_exception, max_elements, n_directions, seed)
    return (_check("gradgradcheck (the recorded first derivative)", fn, inputs, *args,
                   constant_ok=False, recorded=True, cotangents=cotangents)
            and _check("gradgradcheck", first_order, inputs, *args, constant_ok=True))


def _check(name: str, fn: Callable[..., Any], inputs: tuple[Any, ...], eps: float, atol: float,
           rtol: float, raise_exception: bool, max_elements: int, n_directions: int, seed: int,
           constant_ok: bool, recorded: bool = False, cotangents: Any = None) -> bool:
    """backward of fn against central differences, for gradcheck and gradgradcheck.

    ``constant_ok``: an output with no graph is a constant, whose derivative is zero (fn is a
    first-order gradient). ``recorded``: the analytic side is the gradient a ``create_graph``
    walk computes (``backward_graph``), with the given ``cotangents``.
    """
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{name}: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            raise TypeError(
                f"{name}: input {i} is {inputs[i].dtype}; finite differences need float64 "
                "(make it with dtype=np.float64 or .double())"
            )
    # Check fresh leaf copies: the caller's tensors are never perturbed, and an input that is
    # itself the result of an op (x.double()) still gets its own .grad.
    inputs = tuple(
        Tensor(x.data.copy(), requires_grad=True) if i in checked else x
        for i, x in enumerate(inputs)
    )
    rng = numpy.random.default_rng(seed)

    # The analytic side: one backward with a random cotangent v for each output.
    outputs = _outputs(fn(*inputs))
    if cotangents is None:
        cotangents = [backend.get_array_module(out.data).asarray(
            rng.standard_normal(out.shape)).astype(out.dtype) for out in outputs]
    total = None
    for out, v in zip(outputs, cotangents):
        if out.requires_grad:
            term = (out * Tensor(v)).sum()
            total = term if total is None else total + term
    if total is None and not constant_ok:
        raise ValueError(f"{name}: no output of fn depends on an input that requires grad")
    if total is not None and recorded:
        grads = gradients.grad(total, [inputs[i] for i in checked], create_graph=True,
                               allow_unused=True)
        analytic = {i: None if g is None else g.data for i, g in zip(checked, grads)}
    else:
        if total is not None:
            total.backward()
        analytic = {i: inputs[i].grad for i in checked}

    def contracted() -> float:
        """<v, f(x)> at the inputs' current values, without recording a graph."""
        with no_grad():
            outs = _outputs(fn(*inputs))
        return float(sum(float((o.data * v).sum()) for o, v in zip(outs, cotangents)))

    for i in checked:
        x = inputs[i]
        grad = analytic[i]
        if grad is None:
            grad = backend.get_array_module(x.data).zeros_like(x.data)
        grad = backend.to_numpy(grad)
        original = x.data.copy()
        flat = x.data.reshape(-1)  # a view: perturbing it perturbs x
        try:
            if x.size <= max_elements:
                for k in range(x.size):
                    value = original.reshape(-1)[k]
                    flat[k] = value + eps
                    plus = contracted()
                    flat[k] = value - eps
                    minus = contracted()
                    flat[k] = value
                    numeric = (plus - minus) / (2 * eps)
                    ana = float(grad.reshape(-1)[k])
                    if not abs(ana - numeric) <= atol + rtol * abs(numeric):
                        where = numpy.unravel_index(k, x.shape)
                        return _fail(name, raise_exception, f"input {i} (shape {x.shape}), element "
                                     f"{tuple(int(j) for j in where)}: backward gives {ana:.8g}, "
                                     f"finite differences give {numeric:.8g}")
            else:
                xp = backend.get_array_module(x.data)
                for d_idx in range(n_directions):
                    d = rng.standard_normal(x.shape)
                    d /= numpy.linalg.norm(d)
                    d_dev = xp.asarray(d)
                    x.data[...] = original + eps * d_dev
                    plus = contracted()
                    x.data[...] = original - eps * d_dev
                    minus = contracted()
                    x.data[...] = original
                    numeric = (plus - minus) / (2 * eps)
                    ana = float((grad * d).sum())
                    if not abs(ana - numeric) <= atol + rtol * abs(numeric):
                        return _fail(name, raise_exception, f"input {i} (shape {x.shape}), random "
                                     f"direction {d_idx}: backward gives {ana:.8g}, finite "
                                     f"differences give {numeric:.8g}")
        finally:
            x.data[...] = original
    return True


def _fail(name: str, raise_exception: bool, message: str) -> bool:
    if raise_exception:
        raise GradcheckError(f"{name} failed: " + message)
    return False

