"""The course kit: graded exercises for the notebooks, and the checks that grade them.

Each exercise in a lesson notebook is a *solution cell* (the student's code goes between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, which nbgrader replaces with a stub that raises
``NotImplementedError``) followed by a locked *check cell* that calls one of these checks:

* ``check_close(answer, expected, name=...)``: a value (Tensor, array, number);
* ``check_function(student, reference, make_inputs, name=...)``: a function against the
  reference on random inputs;
* ``check_backward(fn, *inputs, name=...)``: a student's backward against central differences
  in float64, with a random cotangent;
* ``check_shape(answer, expected_shape, name=...)``;
* ``check_frozen(module, step, name=...)``: a training step leaves a network bit-identical;
* ``check_choice(answer, expected, name=..., choices=...)``: a multiple-choice prediction.

Every check prints ``"<name>: correct"`` on success and otherwise raises ``ExerciseFailed``
(an ``AssertionError``) with a message a student can act on; an unanswered cell gives
``"<name>: not answered yet - write your code in the cell above"``, and an exception in the
student's code is named with its text and line, never shown as a bare traceback. For checks of
your own, ``student_code(name)`` guards the call of a student's function and ``passed(name)``
prints the success line. ``docs/teaching.md`` shows how to write an exercise and grade it.

Two rules make an exercise work in the student version, where the answer is a stub:

* the answer lives inside a function or a class (the ``def`` line stays outside the markers),
  so that the stub raises only when a check calls it, never when its cell runs;
* a check gets the student's function, not its result: ``check_close(lambda: f(x), ...)``,
  ``check_function(f, ...)``, so that the check itself sees the stub's ``NotImplementedError``.

    >>> from tinygan.course import check_function
    >>> def my_relu(x):
    ...     return np.maximum(x, 0)
    >>> check_function(my_relu, lambda x: x * (x > 0), lambda rng: rng.normal(size=(2, 3)),
    ...                name="Exercise 0.1 (ReLU)")
    Exercise 0.1 (ReLU): correct
"""

from tinygan.course.checks import check_choice, check_close, check_function, check_shape
from tinygan.course.feedback import ExerciseFailed, passed, student_code
from tinygan.course.gradients import check_backward, check_frozen

__all__ = [
    "ExerciseFailed",
    "check_backward",
    "check_choice",
    "check_close",
    "check_frozen",
    "check_function",
    "check_shape",
    "passed",
    "student_code",
]
