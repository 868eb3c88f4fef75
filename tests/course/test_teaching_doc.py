"""docs/teaching.md's worked example does what the page says: the Exp exercise passes its check,
its wrong answer is caught with the message given, the nbformat helper makes cells that
make_course accepts, and the check of one's own works."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygan
from tinygan.course import ExerciseFailed, check_backward

pytestmark = pytest.mark.course
ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
BLOCKS = {b.splitlines()[0]: b for b in re.findall(r"```python\n(.*?)```", PAGE, re.S)}


def block(first_line_start: str) -> str:
    found = [b for first, b in BLOCKS.items() if first.startswith(first_line_start)]
    assert len(found) == 1, f"docs/teaching.md: no single python block starting {first_line_start}"
    return found[0]


def lesson_names() -> dict:
    return {"tinygan": tinygan, "np": np, "Function": tinygan.Function,
            "check_backward": check_backward}


def test_the_worked_exercise_passes_and_its_wrong_answer_is_caught(capsys) -> None:
    solution, check = block("class Exp(Function):"), block("check_backward(lambda x: Exp")
    names = lesson_names()
    exec(solution, names)
    exec(check, names)
    assert capsys.readouterr().out == "Exercise 1.7 (exp): correct\n"
    wrong, expected = re.search(r"\('''(.*?)''', \"(.*?)\"\)", block('"ex01-exp-backward"'),
                                re.S).groups()
    names = lesson_names()
    exec(wrong, names)
    with pytest.raises(ExerciseFailed, match=re.escape(expected)):
        exec(check, names)


def test_the_helper_makes_cells_make_course_accepts() -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbgrader")
    path = ROOT / "scripts" / "make_course.py"
    spec = importlib.util.spec_from_file_location("make_course", path)
    make_course = importlib.util.module_from_spec(spec)
    sys.modules["make_course"] = make_course
    spec.loader.exec_module(make_course)
    helper: dict = {}
    exec(block("import nbformat"), helper)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# a lesson")]
    helper["exercise"](nb, 0, "ex01-exp-backward", "### Exercise 1.7 — exp",
                       block("class Exp(Function):"), block("check_backward(lambda x: Exp"))
    student = make_course.student_version(nb)
    assert 'raise NotImplementedError("not answered yet")' in student.cells[2].source
    assert "return grad * y" not in student.cells[2].source
    assert [c.metadata["nbgrader"]["grade_id"] for c in student.cells[2:]] == [
        "ex01-exp-backward", "ex01-exp-backward-check"]
    assert student.cells[3].metadata["editable"] is False


def test_the_check_of_ones_own(capsys) -> None:
    names: dict = {}
    exec(block("from tinygan.course import ExerciseFailed, passed"), names)
    names["check_probability"](lambda: 0.25, name="Exercise 9.1")
    assert capsys.readouterr().out == "Exercise 9.1: correct\n"
    with pytest.raises(ExerciseFailed, match="1.5 is not a probability"):
        names["check_probability"](lambda: 1.5, name="Exercise 9.1")
    with pytest.raises(ExerciseFailed, match="not answered yet"):
        names["check_probability"](lambda: (_ for _ in ()).throw(NotImplementedError()),
                                   name="Exercise 9.1")
