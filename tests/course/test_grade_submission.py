"""scripts/grade_submission.py, the teacher's one command: a submitted notebook is run in a
fresh kernel with its check cells as the source has them, and scored per exercise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.course
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="install the course extra: pip install -e '.[course]'")

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "01_autograd_from_scratch.ipynb"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrong_answers import WRONG_ANSWERS  # noqa: E402


def _script(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def _cell(nb: object, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.slow
def test_a_submission_is_scored_per_exercise_with_its_checks_restored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_course, grading = _script("make_course"), _script("grade_submission")
    make_course.write_course(tmp_path, [LESSON])
    nb = nbformat.read(tmp_path / "solution" / LESSON.name, as_version=4)
    student = nbformat.read(tmp_path / "student" / LESSON.name, as_version=4)
    # A student who got tanh's sign wrong, got matmul wrong and edited its check to pass, and
    # left im2col unanswered and deleted its check.
    nb.cells[_cell(nb, "ex01-tanh-backward")].source = WRONG_ANSWERS["ex01-tanh-backward"][0][0]
    nb.cells[_cell(nb, "ex01-matmul-backward")].source = (
        WRONG_ANSWERS["ex01-matmul-backward"][0][0])
    nb.cells[_cell(nb, "ex01-matmul-backward-check")].source = "print('correct')"
    nb.cells[_cell(nb, "ex01-im2col-offset")].source = (
        student.cells[_cell(student, "ex01-im2col-offset")].source)
    del nb.cells[_cell(nb, "ex01-im2col-offset-check")]
    submission = tmp_path / "alice" / LESSON.name
    submission.parent.mkdir()
    nbformat.write(nb, submission)

    assert grading.main([str(submission), "--executed", str(tmp_path / "graded.ipynb")]) == 0
    out = capsys.readouterr().out
    assert ("check cells put back as the source has them: ex01-matmul-backward-check, "
            "ex01-im2col-offset-check") in out
    rows = {line.split(None, 1)[1]: line.split(None, 1)[0] for line in out.splitlines()
            if line[:1].isdigit()}
    assert rows == {
        "Exercise 1.1 — the backward of tanh": "0/1",
        "Exercise 1.2 — the backward of a matrix product": "0/1",
        "Exercise 1.3 — an op of your own, checked by `gradcheck`": "2/2",
        "Exercise 1.4 — `unbroadcast`, written yourself": "1/1",
        "Exercise 1.5 — the backward of a broadcasting op": "1/1",
        "Exercise 1.6 — im2col for one kernel offset": "0/1",
        "total": "4/7",
    }
    assert "wrong sign" in out and "it is transposed" in out and "not answered yet" in out
    graded = nbformat.read(tmp_path / "graded.ipynb", as_version=4)
    assert len(graded.cells) == len(student.cells)  # the deleted check is back in its place


def test_what_cannot_be_graded_is_said_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    grading = _script("grade_submission")
    assert grading.main([str(tmp_path / "missing.ipynb")]) == 2
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{}")
    assert grading.main([str(bad), "--source", str(LESSON)]) == 2
    plain = tmp_path / "99_plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), plain)
    assert grading.main([str(plain)]) == 2
    assert grading.main([str(plain), "--source", str(plain)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"grade_submission: no such file: {tmp_path / 'missing.ipynb'}",
                   f"grade_submission: {bad}: not a notebook (ValidationError: Notebook could "
                   f"not be converted from version 1 to version 2 because it's missing a key: "
                   f"cells)",
                   f"grade_submission: no lesson source {ROOT / 'notebooks' / '99_plain.ipynb'}"
                   f": name it with --source",
                   "grade_submission: 99_plain.ipynb has no graded exercises"]
