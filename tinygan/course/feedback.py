"""What every check shares: ``ExerciseFailed``, the guard around a student's code, and hints.

A check never lets a bare traceback reach the student. Three things can go wrong in an answer,
and each gets one sentence:

* the cell was not answered: its stub raises ``NotImplementedError``, and the check says
  ``"<name>: not answered yet - write your code in the cell above"``;
* the student's code raised: the check names the exception, its text and the line of the
  student's code it came from;
* the answer is wrong: the check says what was expected, what came, and where.

Teachers writing their own checks use ``student_code`` around the call of the student's function
and ``passed`` for the success line:

    >>> def check_positive(fn, *, name):
    ...     with student_code(name):
    ...         value = fn()
    ...     if not value > 0:
    ...         raise ExerciseFailed(f"{name}: expected a positive number, got {value}")
    ...     passed(name)
    >>> check_positive(lambda: 3, name="Exercise 0.1")
    Exercise 0.1: correct
    >>> def unanswered():
    ...     raise NotImplementedError("not answered yet")
    >>> check_positive(unanswered, name="Exercise 0.1")
    Traceback (most recent call last):
        ...
    tinygan.course.ExerciseFailed: Exercise 0.1: not answered yet - write your code in the ...
"""

from __future__ import annotations

import contextlib
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy

from tinygan.autograd.tensor import Tensor

__all__ = ["ExerciseFailed", "passed", "student_code"]

_PACKAGE = str(Path(__file__).resolve().parents[1])  # tinygan/
_LIBRARY_PREFIXES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})


class ExerciseFailed(AssertionError):
    """A graded check failed; the message says what was expected and what came.

    In Jupyter the failure shows as this one message, without the check's own frames (IPython
    asks an exception for ``_render_traceback_`` before formatting a traceback), so the student
    reads what to fix rather than the inside of tinygan.course.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mExerciseFailed\x1b[0m: {self}"]


ExerciseFailed.__module__ = "tinygan.course"  # the name students and doctests see


def passed(name: str, explain: str = "") -> None:
    """Print the success line of a check: ``"<name>: correct"`` and the optional explanation."""
    print(f"{name}: correct" + (f" - {explain}" if explain else ""))


def _student_line(exc: BaseException) -> str:
    """`` (line N: <source>)`` for the innermost frame of the student's own code, if any.

    The student's code is what lives neither in tinygan nor in Python's installation (the
    standard library and site-packages): a notebook cell, a script, a test.
    """
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_PACKAGE) and not filename.startswith(_LIBRARY_PREFIXES):
            line = linecache.getline(filename, tb.tb_lineno).strip()
            if line:
                found = f" (line {tb.tb_lineno}: {line})"
        tb = tb.tb_next
    return found


@contextlib.contextmanager
def student_code(name: str, what: str = "your code") -> Iterator[None]:
    """Run a student's code; turn what it raises into an ``ExerciseFailed`` a student can act on.

    ``NotImplementedError`` (the stub of an unanswered cell) becomes "not answered yet"; any
    other exception becomes ``"<name>: <what> raised <Type>: <text> (line N: <source>)"``.
    An ``ExerciseFailed`` raised inside passes through unchanged.
    """
    try:
        yield
    except ExerciseFailed:
        raise
    except NotImplementedError:
        raise ExerciseFailed(
            f"{name}: not answered yet - write your code in the cell above") from None
    except Exception as exc:
        text = str(exc).strip().splitlines()
        detail = f": {text[0]}" if text else ""
        raise ExerciseFailed(
            f"{name}: {what} raised {type(exc).__name__}{detail}{_student_line(exc)}") from None


def resolve(answer: Any, name: str) -> Any:
    """The answer itself: a zero-argument callable (a student's function) is called, guarded."""
    if callable(answer) and not hasattr(answer, "shape"):
        with student_code(name):
            return answer()
    return answer


def describe(value: Any) -> str:
    """A short name for what a value is: 'a Tensor of shape (3, 4)', 'None', 'a str'."""

    if value is None:
        return "None"
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    if isinstance(value, numpy.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def hint(got: numpy.ndarray, want: numpy.ndarray, rtol: float, atol: float) -> str:
    """A guess at a common slip, for a wrong answer of the right shape (or an empty string)."""
    got = numpy.asarray(got, dtype=float)
    want = numpy.asarray(want, dtype=float)

    def close(a: numpy.ndarray) -> bool:
        return bool(numpy.allclose(a, want, rtol=rtol, atol=atol))

    if not numpy.any(want) or not numpy.all(numpy.isfinite(got)):
        return ""
    if close(-got):
        return " (every value has the wrong sign: is a minus sign missing or extra?)"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got.T):
        return " (it is the transpose of the expected matrix: check the order of the factors)"
    if not numpy.any(got):
        return " (every value is zero)"
    scale = float(numpy.sum(got * want) / numpy.sum(want * want))
    if abs(scale) > 1e-12 and not numpy.isclose(scale, 1.0) and close(got / scale):
        return f" (every value is {scale:.4g} times the expected one: a constant factor is off)"
    return ""
