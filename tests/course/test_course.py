"""The course works: for every lesson notebook with exercises (found by their nbgrader metadata),
scripts/make_course.py writes a solution version that passes every check and a student version
that runs top to bottom with each graded check failing "not answered yet" and nothing else
failing; and the wrong answers of tests/course/wrong_answers.py are caught with their messages.

    python -m pytest -m course

The notebooks run as tests/notebooks/test_notebooks.py runs them (nbclient, a real "python3"
kernel, fast mode, headless, one BLAS thread, the same cell time limit). Each version runs once:
the wrong answers are tried inside the solution version's kernel session, right after the check
cell they belong to: the wrong source replaces the solution, the check runs again and must fail
with ExerciseFailed and the expected text, then the right solution is run again and the
notebook goes on.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.course

try:
    import nbclient
    import nbformat
except ImportError as exc:  # the test extras are missing: fail and say so, never skip quietly
    nbclient = nbformat = None
    MISSING = str(exc)

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _make_course() -> object:
    try:
        import nbgrader  # noqa: F401, PLC0415
    except ImportError as exc:
        pytest.fail(f"{exc}: the course tests need nbgrader; install the course extra with "
                    f"`python -m pip install -e '.[course]'`", pytrace=False)
    return _load("make_course", ROOT / "scripts" / "make_course.py")


notebooks_helpers = _load("notebook_helpers", ROOT / "tests" / "notebooks" / "test_notebooks.py")
from wrong_answers import WRONG_ANSWERS  # noqa: E402  (tests/course/ is on sys.path)


def _lessons() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _with_exercises() -> list[str]:
    """The lesson notebooks that have at least one graded cell, read at collection time."""
    if nbformat is None:
        return []
    return [p.name for p in _lessons()
            if any(_meta(c).get("grade") for c in nbformat.read(p, as_version=4).cells)]


EXERCISES = _with_exercises()


def _read(name: str) -> object:
    if nbformat is None:
        pytest.fail(f"{MISSING}: install the test extras", pytrace=False)
    return nbformat.read(ROOT / "notebooks" / name, as_version=4)


def _is_check(cell: dict) -> bool:
    return cell.cell_type == "code" and bool(_meta(cell).get("grade")) and not _meta(
        cell).get("solution")


def _is_solution(cell: dict) -> bool:
    return cell.cell_type == "code" and bool(_meta(cell).get("solution"))


# -- the metadata, course-wide (no kernel) ---------------------------------------------------------


def test_there_are_exercises() -> None:
    assert "01_autograd_from_scratch.ipynb" in EXERCISES


def test_every_exercise_is_statement_solution_check_with_unique_ids_and_points() -> None:
    seen: dict[str, str] = {}
    problems = []
    for path in _lessons():
        cells = _read(path.name).cells
        number = path.name[:2]
        for i, cell in enumerate(cells):
            meta = _meta(cell)
            if not meta:
                continue
            gid = meta.get("grade_id", "")
            where = f"{path.name} cell {i} ({gid or 'no grade_id'})"
            if not gid:
                problems.append(f"{where}: nbgrader cell without a grade_id")
                continue
            if gid in seen:
                problems.append(f"{where}: grade_id also used in {seen[gid]}")
            seen[gid] = where
            if not gid.startswith(f"ex{number}-"):
                problems.append(f"{where}: grade_id should start with ex{number}-")
            if meta.get("grade") and not (meta.get("points") or 0) > 0:
                problems.append(f"{where}: a graded cell needs points > 0")
            if _is_solution(cell):
                if "### BEGIN SOLUTION" not in cell.source or "### END SOLUTION" not in cell.source:
                    problems.append(f"{where}: no ### BEGIN SOLUTION / ### END SOLUTION lines")
                if not (i > 0 and cells[i - 1].cell_type == "markdown"
                        and "### Exercise" in cells[i - 1].source):
                    problems.append(f"{where}: the cell before should be the '### Exercise' "
                                    f"statement")
                nxt = cells[i + 1] if i + 1 < len(cells) else None
                if not (nxt and _is_check(nxt) and _meta(nxt).get("grade_id") == gid + "-check"):
                    problems.append(f"{where}: the next cell should be its check, {gid}-check")
            if _is_check(cell):
                if not meta.get("locked"):
                    problems.append(f"{where}: a check cell should be locked")
                if "check_" not in cell.source:
                    problems.append(f"{where}: a check cell calls tinygan.course's checks")
    assert not problems, "\n".join(problems)


def test_every_exercise_has_a_wrong_answer_and_every_wrong_answer_an_exercise() -> None:
    solutions = {_meta(c)["grade_id"]: p.name for p in _lessons() for c in _read(p.name).cells
                 if _is_solution(c) and "grade_id" in _meta(c)}
    without = sorted(f"{name}: {gid}" for gid, name in solutions.items()
                     if not WRONG_ANSWERS.get(gid))
    stale = sorted(set(WRONG_ANSWERS) - set(solutions))
    assert not without, ("exercises without a wrong answer in tests/course/wrong_answers.py:\n"
                         + "\n".join(without))
    assert not stale, f"wrong_answers.py lists grade_ids no notebook has: {stale}"


# -- the generated versions (no kernel) ------------------------------------------------------------


@pytest.mark.parametrize("name", EXERCISES)
def test_make_course_writes_the_student_and_the_solution_version(name: str, tmp_path: Path) -> None:
    make_course = _make_course()
    assert make_course.main(["--out", str(tmp_path), str(ROOT / "notebooks" / name)]) == 0
    source = _read(name)
    student = nbformat.read(tmp_path / "student" / name, as_version=4)
    solution = nbformat.read(tmp_path / "solution" / name, as_version=4)
    assert len(student.cells) == len(solution.cells) == len(source.cells)
    for src, stu, sol in zip(source.cells, student.cells, solution.cells):
        if src.cell_type == "code":
            assert stu.outputs == [] == sol.outputs and stu.execution_count is None
        assert "BEGIN SOLUTION" not in stu.source + sol.source
        assert "END SOLUTION" not in stu.source + sol.source
        if _is_solution(src):
            regions = src.source.count("### BEGIN SOLUTION")
            assert stu.source.count('raise NotImplementedError("not answered yet")') == regions
            outside = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", src.source, flags=re.S)
            kept = [ln for ln in stu.source.splitlines() if "not answered yet" not in ln
                    and "# YOUR CODE HERE" not in ln]
            assert all(ln in outside for ln in kept), stu.source  # only the answers went
            assert stu.metadata.get("deletable") is False
            assert sol.source == "\n".join(ln for ln in src.source.split("\n")
                                           if ln.strip() not in make_course.MARKERS)
        elif _is_check(src):
            assert stu.source == src.source == sol.source
            assert stu.metadata.get("editable") is False and stu.metadata.get("deletable") is False
        else:
            assert stu.source == src.source == sol.source


def test_make_course_says_what_is_wrong_with_a_bad_source(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    make_course = _make_course()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "ex99-f", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    nb.cells = [cell]
    bad = tmp_path / "99_bad.ipynb"
    nbformat.write(nb, bad)
    assert make_course.main(["--out", str(tmp_path / "out"), str(bad)]) == 1
    assert "no end solution statement found" in capsys.readouterr().err
    assert make_course.main(["--out", str(tmp_path / "out"), str(tmp_path / "nope.ipynb")]) == 2


# -- running them in a kernel ---------------------------------------------------------------------


def _client(nb: object) -> object:
    notebooks_helpers._kernel_spec()
    client = nbclient.NotebookClient(nb, kernel_name=notebooks_helpers.KERNEL,
                                     timeout=notebooks_helpers.CELL_TIMEOUT, allow_errors=True,
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    return client


def _env() -> dict[str, str]:
    env = {**os.environ, "TINYGAN_FAST": "1", "MPLBACKEND": "Agg"}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _skip_without_mnist(name: str) -> None:
    if name in notebooks_helpers.NEEDS_MNIST and not notebooks_helpers._has_mnist():
        pytest.skip("MNIST not found: set TINYGAN_DATA to the folder with the four IDX files")


def _errors(cell: dict) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


async def _run_extra(client: object, cell: object) -> object:
    """Run a cell that is not part of the notebook in the live kernel; returns it with outputs."""
    client.nb.cells.append(cell)
    try:
        return await client.async_execute_cell(cell, len(client.nb.cells) - 1,
                                               store_history=False)
    finally:
        client.nb.cells.pop()


async def _solution_session(nb: object) -> list[str]:
    """Run the solution version cell by cell; after each check, try its wrong answers.

    Returns what went wrong (empty when every check passed and every wrong answer was caught).
    """
    client = _client(nb)
    failures = []
    async with client.async_setup_kernel(env=_env()):
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index, execution_count=index + 1)
            if _errors(cell):
                error = _errors(cell)[0]
                failures.append(f"cell {index} ({_meta(cell).get('grade_id', 'not graded')}) "
                                f"raised {error.ename}: {error.evalue}")
                continue
            if not _is_check(cell):
                continue
            if ": correct" not in _text(cell):
                failures.append(f"check cell {index} printed no 'correct': {_text(cell)!r}")
            gid = _meta(cell)["grade_id"].removesuffix("-check")
            solution_cell = nb.cells[index - 1]
            for k, (wrong, expected) in enumerate(WRONG_ANSWERS.get(gid, [])):
                await _run_extra(client, nbformat.v4.new_code_cell(wrong))
                rerun = await _run_extra(client, nbformat.v4.new_code_cell(cell.source))
                errors = _errors(rerun)
                got = f"{errors[0].ename}: {errors[0].evalue}" if errors else _text(rerun)
                if not errors or errors[0].ename != "ExerciseFailed" or expected not in got:
                    failures.append(f"{gid}, wrong answer {k}: expected ExerciseFailed with "
                                    f"{expected!r}, got {got!r}")
                restored = await _run_extra(client, nbformat.v4.new_code_cell(
                    solution_cell.source))
                if _errors(restored):
                    failures.append(f"{gid}: the right solution no longer runs after the wrong "
                                    f"answer {k}")
                    return failures
    return failures


def _student_problems(nb: object) -> list[str]:
    """What is wrong with an executed student version (empty when all is as it should be)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        where = f"cell {index} ({_meta(cell).get('grade_id', 'not graded')})"
        if _is_check(cell):
            if not errors:
                problems.append(f"{where}: the check passed on the unanswered stub")
            elif errors[0].ename != "ExerciseFailed":
                hint = (" - pass the student's function to the check (e.g. lambda: f(x)), so "
                        "that the check can say 'not answered yet'"
                        if errors[0].ename == "NotImplementedError" else "")
                problems.append(f"{where}: raised {errors[0].ename}: {errors[0].evalue}{hint}")
            elif "not answered yet" not in errors[0].evalue:
                problems.append(f"{where}: ExerciseFailed without 'not answered yet': "
                                f"{errors[0].evalue}")
            elif len(errors[0].traceback) != 1:
                problems.append(f"{where}: the failure shows a traceback, not its message alone")
        elif errors:
            hint = (" - in a solution cell, put the answer inside a function so that the stub "
                    "raises only when it is called" if _is_solution(cell) else "")
            problems.append(f"{where}: raised {errors[0].ename}: {errors[0].evalue}{hint}")
    return problems


_RESULTS: dict[str, dict[str, object]] = {}


def _run_both(name: str, tmp_path: Path) -> dict[str, object]:
    """Both versions of a notebook, run once, side by side in two kernels (the machine has two
    cores and each kernel uses one); the results are kept for the other test of the pair."""
    if name in _RESULTS:
        return _RESULTS[name]
    make_course = _make_course()
    make_course.write_course(tmp_path, [ROOT / "notebooks" / name])
    solution = nbformat.read(tmp_path / "solution" / name, as_version=4)
    student = nbformat.read(tmp_path / "student" / name, as_version=4)

    async def timed(job: object) -> tuple[object, float]:
        start = time.perf_counter()
        return await job, time.perf_counter() - start

    async def both() -> list[tuple[object, float]]:
        return await asyncio.gather(timed(_solution_session(solution)),
                                    timed(_client(student).async_execute(env=_env())))

    try:
        (failures, t_solution), (_, t_student) = asyncio.run(both())
    except Exception as exc:  # a dead kernel, a cell over the time limit: both tests say so
        text = str(exc).strip().splitlines()
        why = [f"the kernels stopped: {type(exc).__name__}: {text[-1] if text else ''}"]
        _RESULTS[name] = {"solution": why, "student": why, "times": (0.0, 0.0)}
        return _RESULTS[name]
    _RESULTS[name] = {"solution": failures, "student": _student_problems(student),
                      "times": (t_solution, t_student)}
    return _RESULTS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXERCISES)
def test_solution_version_passes_every_check_and_wrong_answers_are_caught(
        name: str, tmp_path: Path) -> None:
    _skip_without_mnist(name)
    result = _run_both(name, tmp_path)
    n_wrong = sum(len(WRONG_ANSWERS.get(_meta(c)["grade_id"], [])) for c in _read(name).cells
                  if _is_solution(c))
    assert not result["solution"], f"{name} (solution version):\n" + "\n".join(
        result["solution"])
    print(f"{name}: solution version and {n_wrong} wrong answers in "
          f"{result['times'][0]:.1f} s, student version in {result['times'][1]:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize("name", EXERCISES)
def test_student_version_fails_each_check_not_answered_yet_and_nothing_else(
        name: str, tmp_path: Path) -> None:
    _skip_without_mnist(name)
    result = _run_both(name, tmp_path)
    assert not result["student"], f"{name} (student version):\n" + "\n".join(result["student"])
