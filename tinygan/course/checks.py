"""Checks of values: ``check_close``, ``check_shape``, ``check_choice``, ``check_function``.

Each takes ``name=`` (what the student sees first, e.g. ``"Exercise 2.1 (Eq. 1)"``), prints
``"<name>: correct"`` on success and raises ``ExerciseFailed`` with one actionable sentence
otherwise. An answer may be given as a zero-argument callable (``lambda: my_fn(x)``): the check
calls it itself, so that an unanswered cell reads "not answered yet" instead of a bare
``NotImplementedError`` from the check cell.

    >>> check_close(np.array([0.5, 2.0]), np.array([0.5, 2.0]), name="Exercise 1.0")
    Exercise 1.0: correct
    >>> check_close(np.array([0.5, -2.0]), np.array([0.5, 2.0]), name="Exercise 1.0")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 1.0: element (1,) is -2, expected 2 (1 of 2 ...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.course.feedback import ExerciseFailed, describe, hint, passed, resolve, student_code

__all__ = ["check_choice", "check_close", "check_function", "check_shape"]


def _numeric(value: Any, name: str, role: str) -> numpy.ndarray:
    """``value`` (a Tensor, array, number, or list of numbers) as a NumPy array, or a message."""

    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "shape") and not isinstance(value, (numpy.ndarray, numpy.generic)):
        try:  # an array of another registered device (CuPy, from code run on a GPU)
            value = backend.to_numpy(value)
        except TypeError:
            pass
    if isinstance(value, (bool, int, float, numpy.number, numpy.bool_, numpy.ndarray, list,
                          tuple)):
        array = numpy.asarray(value)
        if array.dtype.kind in "biuf":
            return array
    if role == "expected":  # the teacher's side: a bug in the exercise, not in the answer
        raise TypeError(f"{name}: the expected value must be numeric, got {describe(value)}")
    if value is None:
        raise ExerciseFailed(f"{name}: your answer is None - did you forget to return it?")
    raise ExerciseFailed(f"{name}: expected a Tensor, an array or a number, got {describe(value)}")


def _tolerances(got: numpy.ndarray, want: numpy.ndarray, rtol: float,
                atol: float) -> tuple[float, float]:
    """float32 (or lower) on either side: at least float32's tolerances, 1e-5 and 1e-6."""
    low = [a.dtype for a in (got, want) if a.dtype.kind == "f" and a.dtype.itemsize < 8]
    return (max(rtol, 1e-5), max(atol, 1e-6)) if low else (rtol, atol)


def _compare(answer: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    """The body of check_close: raise ExerciseFailed at the first thing that is wrong."""

    want = _numeric(expected, name, "expected")
    if isinstance(expected, Tensor) and answer is not None and not isinstance(answer, Tensor):
        raise ExerciseFailed(
            f"{name}: expected a Tensor, got {describe(answer)} - compute it with tinygan "
            f"operations on the input tensors so that gradients can flow through it")
    got = _numeric(answer, name, "answer")
    if got.shape != want.shape:
        what = "a single number" if want.shape == () else f"shape {want.shape}"
        came = "a single number" if got.shape == () else f"shape {got.shape}"
        raise ExerciseFailed(f"{name}: expected {what}, got {came}")
    if want.dtype.kind == "b" or got.dtype.kind == "b":
        got, want = got.astype(int), want.astype(int)
    rtol, atol = _tolerances(got, want, rtol, atol)
    bad_finite = ~numpy.isfinite(got) & numpy.isfinite(want)
    if bad_finite.any():
        first = tuple(numpy.argwhere(bad_finite)[0])
        raise ExerciseFailed(f"{name}: {_index(first, got.shape)}{got[first]}, expected "
                             f"{_num(want[first])} (an overflow, a log of 0 or a division by 0?)")
    wrong = ~numpy.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if wrong.any():
        first = tuple(numpy.argwhere(wrong)[0])
        count = f" ({int(wrong.sum())} of {want.size} elements differ)" if want.size > 1 else ""
        raise ExerciseFailed(f"{name}: {_index(first, got.shape)}{_num(got[first])}, expected "
                             f"{_num(want[first])}{count}{hint(got, want, rtol, atol)}")


def _index(where: Any, shape: tuple[int, ...]) -> str:
    """'element (1, 2) is ' for an array, 'your answer is ' for a single number."""
    if not shape:
        return "your answer is "
    return f"element {tuple(int(i) for i in where)} is "


def _num(x: Any) -> str:
    return f"{float(x):.6g}"


def check_close(answer: Any, expected: Any, *, name: str, rtol: float = 1e-6,
                atol: float = 1e-8, explain: str = "") -> None:
    """Check that ``answer`` is ``expected``: |answer - expected| <= atol + rtol |expected|.

    Checks, in order: that the answer is a Tensor, an array or a number (a Tensor when
    ``expected`` is one, so that gradients can flow), its shape, that it is finite where
    ``expected`` is, then the values; the message names the first wrong element. When either
    side is float32, the tolerances are at least float32's (rtol 1e-5, atol 1e-6).

    Args:
        answer: the student's value, or a zero-argument callable returning it.
        expected: the right value (Tensor, array, number).
        name: the exercise's name, the start of every message.
        rtol, atol: the tolerances.
        explain: a short text printed after "correct".

    >>> check_close(lambda: np.ones((2, 3)), np.ones((3, 2)), name="Exercise 1.0")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 1.0: expected shape (3, 2), got shape (2, 3)
    """
    _compare(resolve(answer, name), expected, name, rtol, atol)
    passed(name, explain)


def check_shape(answer: Any, expected_shape: Sequence[int], *, name: str,
                explain: str = "") -> None:
    """Check the shape of ``answer`` (a Tensor or an array, or a shape given as a tuple).

    >>> check_shape(np.zeros((4, 3)), (4, 3), name="Exercise 4.1")
    Exercise 4.1: correct
    >>> check_shape(np.zeros((3, 4)), (4, 3), name="Exercise 4.1")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 4.1: expected shape (4, 3), got shape (3, 4) ...
    """
    answer = resolve(answer, name)
    want = tuple(int(n) for n in expected_shape)
    if isinstance(answer, (tuple, list)) and all(isinstance(n, (int, numpy.integer))
                                                 for n in answer):
        got = tuple(int(n) for n in answer)
    elif hasattr(answer, "shape"):
        got = tuple(answer.shape)
    elif answer is None:
        raise ExerciseFailed(f"{name}: your answer is None - did you forget to return it?")
    else:
        raise ExerciseFailed(f"{name}: expected a Tensor, an array or a shape tuple, got "
                             f"{describe(answer)}")
    if got != want:
        why = " (transposed?)" if len(got) > 1 and got == want[::-1] else ""
        if len(got) != len(want):
            why = f" ({len(got)} axes instead of {len(want)})"
        raise ExerciseFailed(f"{name}: expected shape {want}, got shape {got}{why}")
    passed(name, explain)


def check_choice(answer: Any, expected: Any, *, name: str, choices: Sequence[Any],
                 explain: str = "") -> None:
    """Check a multiple-choice answer, e.g. a prediction made before running a cell.

    Strings are compared without case and surrounding spaces. ``explain`` is shown only when
    the answer is right (it gives the answer away).

    >>> check_choice(" B", "b", name="Exercise 5.3", choices="abc", explain="D saturates")
    Exercise 5.3: correct - D saturates
    >>> check_choice("d", "b", name="Exercise 5.3", choices="abc")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 5.3: 'd' is not one of the choices 'a', 'b', 'c'
    """
    answer = resolve(answer, name)

    def norm(x: Any) -> Any:
        return x.strip().lower() if isinstance(x, str) else x

    options = [norm(c) for c in choices]
    if norm(expected) not in options:
        raise ValueError(f"{name}: the expected answer {expected!r} is not among the choices")
    listed = ", ".join(repr(c) for c in choices)
    if answer is None:
        raise ExerciseFailed(f"{name}: not answered yet - choose one of {listed}")
    if norm(answer) not in options:
        raise ExerciseFailed(f"{name}: {answer!r} is not one of the choices {listed}")
    if norm(answer) != norm(expected):
        raise ExerciseFailed(f"{name}: {answer!r} is not the right choice - look again at the "
                             f"question, then run the cells after it to see what happens")
    passed(name, explain)


def _fresh(value: Any) -> Any:
    """A copy of an input that neither side can change for the other (leaf Tensors stay leaves)."""

    if isinstance(value, Tensor):
        return Tensor(value.data.copy(), requires_grad=value.requires_grad)
    if isinstance(value, numpy.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_fresh(v) for v in value)
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def _shapes(args: tuple[Any, ...]) -> str:
    parts = []
    for a in args:
        shape = getattr(a, "shape", None)
        parts.append(str(tuple(shape)) if shape is not None else repr(a))
    return ", ".join(parts)


def check_function(student: Callable[..., Any], reference: Callable[..., Any],
                   make_inputs: Callable[[numpy.random.Generator], Any], *, name: str,
                   trials: int = 5, rtol: float = 1e-6, atol: float = 1e-8, seed: int = 0,
                   explain: str = "") -> None:
    """Compare a student's function with the reference on ``trials`` random inputs.

    ``make_inputs(rng)`` returns the arguments of one call (a tuple, or a single argument),
    drawn from the ``numpy.random.Generator`` it gets; each side is called on its own fresh copy
    and the outputs (a value, or a tuple of values) are compared as ``check_close`` does. The
    message shows the input shapes of the failing trial.

    >>> def my_square(x):
    ...     return x * 2             # a slip: doubles instead of squaring
    >>> check_function(my_square, np.square, lambda rng: rng.normal(size=3), name="Exercise 1.0")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 1.0: on inputs of shape (3,) (trial 1 of 5): ...
    """
    rng = numpy.random.default_rng(seed)
    for trial in range(trials):
        args = make_inputs(rng)
        args = args if isinstance(args, tuple) else (args,)
        want = reference(*_fresh(args))
        with student_code(name, f"your function (on inputs of shape {_shapes(args)})"):
            got = student(*_fresh(args))
        where = f"{name}: on inputs of shape {_shapes(args)}"
        if trials > 1:
            where += f" (trial {trial + 1} of {trials})"
        try:
            if isinstance(want, tuple):
                if not isinstance(got, (tuple, list)) or len(got) != len(want):
                    raise ExerciseFailed(f"expected a tuple of {len(want)} values, got "
                                         f"{describe(got)}")
                for i, (g, w) in enumerate(zip(got, want)):
                    _compare(g, w, f"output {i}", rtol, atol)
            else:
                _compare(got, want, "", rtol, atol)
        except ExerciseFailed as failure:
            text = str(failure).removeprefix(": ")
            raise ExerciseFailed(f"{where}: {text}") from None
    passed(name, explain)
