"""Checks of training code: ``check_backward`` (a student's backward) and ``check_frozen``.

``check_backward`` is ``tinygan.gradcheck``'s method with a student's reading of the result:
float64 copies of the inputs, a random cotangent v, the analytic gradient of <v, f(x)> from one
``backward()``, and central differences

    d<v, f>/dx_i  ~=  (<v, f(x + eps e_i)> - <v, f(x - eps e_i)>) / (2 eps)

for every element (random directions for inputs larger than ``max_elements``). The message
names the input, the first wrong element and both values, and guesses the slip when it can (a
flipped sign, a transpose, a missing ``unbroadcast``).

    >>> class Square(tinygan.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return -2 * x * grad          # a sign error
    >>> check_backward(Square.apply, np.array([1.0, 2.0, 3.0]), name="Exercise 1.1")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 1.1: the gradient for input 0 is wrong at element (0,):
    your backward gives ..., finite differences give ... (every value has the wrong sign: ...)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.function import no_grad
from tinygan.autograd.tensor import Tensor
from tinygan.course.feedback import ExerciseFailed, describe, hint, passed, student_code
from tinygan.nn.module import Module

__all__ = ["check_backward", "check_frozen"]


def _arg_names(fn: Callable[..., Any], n: int) -> list[str]:
    """' (a)', ' (b)' ...: the parameter names of fn for the messages, where it has them."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [f" ({p.name})" for p in params[:n]]
    if len(names) < n:  # Function.apply(*inputs), or a *args lambda: no names to give
        names = [""] * n
    return names


def _leaves(inputs: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[int]]:
    """float64 leaf copies of the inputs to check; the others unchanged.

    If any Tensor input has requires_grad=True, exactly those are checked; otherwise every
    floating-point Tensor or array is.
    """

    def floating(x: Any) -> bool:
        return isinstance(x, (Tensor, numpy.ndarray)) and x.dtype.kind == "f"

    marked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    checked = marked or [i for i, x in enumerate(inputs) if floating(x)]
    if not checked:
        raise ValueError("check_backward: no floating-point Tensor or array among the inputs, "
                         "so there is no gradient to check")
    out = []
    for i, x in enumerate(inputs):
        if i in checked:
            data = x.data if isinstance(x, Tensor) else x
            x = Tensor(data.astype(numpy.float64), requires_grad=True)  # astype copies
        out.append(x)
    return tuple(out), checked


def _outputs(result: Any, name: str) -> list[Any]:

    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise ExerciseFailed(f"{name}: the function returned {describe(result)}, expected a "
                             f"Tensor - call your Function with .apply(...)")
    return outs


def check_backward(fn: Callable[..., Any], *inputs: Any, name: str, seed: int = 0,
                   eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                   max_elements: int = 512, n_directions: int = 16, explain: str = "") -> None:
    """Gradient-check ``fn`` (Tensors -> a Tensor, usually a student's ``Function``) at ``inputs``.

    Args:
        fn: maps the inputs to a Tensor (or a tuple of Tensors), e.g. ``MyMul.apply``.
        inputs: Tensors or arrays; the floating-point ones are checked (only those with
            ``requires_grad=True`` if any has it), as float64 copies. Others pass unchanged.
        name: the exercise's name, the start of every message.
        seed: seeds the random cotangent (and directions).
        eps, atol, rtol: the finite-difference step and the tolerances, as ``gradcheck``'s:
            |analytic - numeric| <= atol + rtol * |numeric|.
        max_elements, n_directions: inputs larger than ``max_elements`` are checked along
            ``n_directions`` random unit directions.
        explain: a short text printed after "correct".
    """

    leaves, checked = _leaves(inputs)
    labels = _arg_names(fn, len(inputs))
    rng = numpy.random.default_rng(seed)
    with student_code(name, "your forward"):
        outs = _outputs(fn(*leaves), name)
    if not any(o.requires_grad for o in outs):
        raise ExerciseFailed(f"{name}: the output does not depend on the inputs through the "
                             f"graph (requires_grad is False) - build it with Function.apply")
    vs = [rng.standard_normal(o.shape) for o in outs]
    total = None
    for o, v in zip(outs, vs):
        if o.requires_grad:
            term = (o * Tensor(backend.get_array_module(o.data).asarray(v))).sum()
            total = term if total is None else total + term
    with student_code(name, "your backward"):
        total.backward()

    def contracted() -> float:
        with no_grad(), student_code(name, "your forward"):
            return sum(float((backend.to_numpy(o.data) * v).sum())
                       for o, v in zip(_outputs(fn(*leaves), name), vs))

    for i in checked:
        x, label = leaves[i], labels[i]
        if x.grad is not None and (isinstance(x.grad, Tensor) or not hasattr(x.grad, "dtype")):
            raise ExerciseFailed(f"{name}: the gradient for input {i}{label} is "
                                 f"{describe(x.grad)}, not an array - backward works on arrays "
                                 f"(grad and the saved inputs are arrays), so return arrays")
        grad = None if x.grad is None else backend.to_numpy(x.grad).astype(float)
        if grad is not None and grad.shape != x.shape:
            raise ExerciseFailed(f"{name}: the gradient for input {i}{label} has shape "
                                 f"{grad.shape}, but the input has shape {x.shape} - "
                                 f"{_shape_hint(grad.shape, x.shape)}")
        original = x.data.copy()
        flat = x.data.reshape(-1)  # a view: writing into it perturbs x
        try:
            if x.size <= max_elements:
                numeric = numpy.empty(x.size)
                for k in range(x.size):
                    flat[k] = original.reshape(-1)[k] + eps
                    plus = contracted()
                    flat[k] = original.reshape(-1)[k] - eps
                    numeric[k] = (plus - contracted()) / (2 * eps)
                    flat[k] = original.reshape(-1)[k]
                numeric = numeric.reshape(x.shape)
                analytic = numpy.zeros(x.shape) if grad is None else grad
            else:
                directions = rng.standard_normal((n_directions, *x.shape))
                directions /= numpy.sqrt((directions ** 2).reshape(n_directions, -1).sum(1)
                                         ).reshape(-1, *([1] * x.ndim))
                numeric = numpy.empty(n_directions)
                xp = backend.get_array_module(x.data)
                for k, d in enumerate(directions):
                    x.data[...] = original + eps * xp.asarray(d)
                    plus = contracted()
                    x.data[...] = original - eps * xp.asarray(d)
                    numeric[k] = (plus - contracted()) / (2 * eps)
                    x.data[...] = original
                analytic = (numpy.zeros(n_directions) if grad is None else
                            (directions * grad).reshape(n_directions, -1).sum(1))
        finally:
            x.data[...] = original
        wrong = ~(numpy.abs(analytic - numeric) <= atol + rtol * numpy.abs(numeric))
        if grad is None and wrong.any():
            raise ExerciseFailed(f"{name}: no gradient reached input {i}{label} (shape "
                                 f"{x.shape}) - does backward return one gradient per input "
                                 f"of forward, in order?")
        if wrong.any():
            first = tuple(int(j) for j in numpy.argwhere(wrong)[0])
            where = (f"at element {first}" if x.size <= max_elements else
                     f"along random direction {first[0]}")
            count = (f" ({int(wrong.sum())} of {wrong.size} elements wrong)"
                     if x.size <= max_elements and wrong.size > 1 else "")
            raise ExerciseFailed(
                f"{name}: the gradient for input {i}{label} is wrong {where}: your backward "
                f"gives {analytic[first]:.6g}, finite differences give {numeric[first]:.6g}"
                f"{count}{hint(analytic, numeric, rtol, atol) if count else ''}")
    passed(name, explain)


def _shape_hint(got: tuple[int, ...], want: tuple[int, ...]) -> str:
    """Why a gradient can have the wrong shape."""
    if len(got) >= len(want) and all(w in (1, g) for g, w in zip(got[::-1], want[::-1])):
        return ("the input was broadcast in the forward pass, so sum the gradient back to its "
                "shape: unbroadcast(grad, shape)")
    if len(got) == len(want) == 2 and got == want[::-1]:
        return "it is transposed: check the order and transposes of the factors"
    return "a gradient always has the shape of its input"


def _snapshot(modules: list[Any]) -> list[tuple[str, Any]]:
    """(label, host copy or None) of every parameter, its .grad, and every buffer."""

    def copy(a: Any) -> Any:
        return None if a is None else numpy.array(backend.to_numpy(a), copy=True)

    state = []
    for m, module in enumerate(modules):
        prefix = f"module {m}: " if len(modules) > 1 else ""
        for pname, p in module.named_parameters():
            state.append((f"{prefix}parameter '{pname}'", copy(p.data)))
            state.append((f"{prefix}the gradient of '{pname}'", copy(p.grad)))
        for bname, b in module.named_buffers():
            state.append((f"{prefix}buffer '{bname}'", copy(b.data)))
    return state


def _same(a: Any, b: Any) -> bool:
    """Bit-identical (NaN equals NaN; -0.0 differs from 0.0)."""
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def check_frozen(module: Any, step: Callable[[], Any], *, name: str,
                 must_move: Any = None, explain: str = "") -> None:
    """Run ``step()`` and check that it leaves ``module`` bit-identical.

    Snapshots every parameter, its ``.grad`` and every buffer (BatchNorm running statistics)
    of ``module`` (a Module, or a list of Modules), runs ``step`` (a zero-argument callable doing
    one training step, e.g. the G step of Algorithm 1 with D frozen), and compares bit for bit;
    the message names the first parameter, gradient or buffer that changed. With ``must_move``
    (a Module), also checks that the step changed at least one of its parameters, so a step
    that does nothing cannot pass.

    >>> D = tinygan.nn.Linear(2, 1)
    >>> def step():
    ...     D.weight.data += 0.1           # a step that moves the net it should leave alone
    >>> check_frozen(D, step, name="Exercise 2.5")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 2.5: the step changed the frozen network:
    parameter 'weight' moved by up to 0.1 (at element (0, 0))
    """
    modules = [module] if isinstance(module, Module) else list(module)
    before = _snapshot(modules)
    moving_before = _snapshot([must_move]) if must_move is not None else []
    with student_code(name, "your step"):
        step()
    for (label, old), (_, new) in zip(before, _snapshot(modules)):
        if _same(old, new):
            continue
        if old is None:
            why = ("was None and now holds a gradient: the step back-propagated into the "
                   "frozen network (freeze it with requires_grad_(False) first)")
        elif new is None:
            why = "was set to None"
        elif old.shape != new.shape:
            why = f"changed shape from {old.shape} to {new.shape}"
        else:
            diff = numpy.abs(new.astype(float) - old.astype(float))
            diff[numpy.isnan(diff)] = numpy.inf
            at = tuple(int(j) for j in numpy.unravel_index(numpy.argmax(diff), diff.shape))
            why = f"moved by up to {diff.max():.3g} (at element {at})"
        raise ExerciseFailed(f"{name}: the step changed the frozen network: {label} {why}")
    if must_move is not None:
        params = [(lab, old) for lab, old in moving_before if lab.startswith("parameter")]
        after = dict(_snapshot([must_move]))
        if all(_same(old, after[lab]) for lab, old in params):
            raise ExerciseFailed(f"{name}: the step left the network it should train unchanged "
                                 f"- did it call the optimizer's step()?")
    passed(name, explain)
