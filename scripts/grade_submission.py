"""Grade a student's notebook: run it in a fresh kernel and print a score per exercise.

    python scripts/grade_submission.py submissions/alice/01_autograd_from_scratch.ipynb
    python scripts/grade_submission.py SUBMISSION.ipynb --source notebooks/01_....ipynb
    python scripts/grade_submission.py SUBMISSION.ipynb --executed graded/alice_01.ipynb

What it does, as ``nbgrader autograde`` does inside a course database:

1. reads the submission and its lesson source (``notebooks/`` with the same file name, unless
   ``--source`` names it);
2. puts every check cell back as the source has it (matched by grade_id), so an edited or
   deleted check cannot change the grade; the student's answers are kept;
3. runs the notebook top to bottom in a fresh "python3" kernel, errors allowed, in fast mode
   (``TINYGAN_FAST=1``: the checks do not depend on how long the lesson trains; ``--full`` runs
   full mode);
4. gives each check cell its points if it ran without error and 0 otherwise, with the check's
   message, and prints the table and the total. A cell that runs over ``--timeout`` seconds is
   interrupted (its check scores 0) and the notebook goes on.

Exit status: 0 when the notebook was graded (whatever the score), 2 for a file that cannot be
graded (not a notebook, no source, no exercises), 1 when the kernel could not run it.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_course  # noqa: E402  (scripts/ is this file's folder)

KERNEL = "python3"


@dataclass
class Score:
    """One exercise's result: its check cell's grade_id, title, points and message."""

    grade_id: str
    title: str
    points: float
    out_of: float
    message: str


class CannotGrade(ValueError):
    """The submission cannot be graded; the message says why."""


def _titles(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id of each check cell -> the exercise's title, from the '### Exercise' cell."""
    titles, current = {}, ""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "### Exercise" in cell.source:
            line = next(ln for ln in cell.source.splitlines() if "### Exercise" in ln)
            current = line.replace("###", "").strip()
        gid = make_course.nbgrader_meta(cell).get("grade_id")
        if gid and make_course.is_check(cell):
            titles[gid] = current or gid
    return titles


def restore_checks(submission: nbformat.NotebookNode,
                   source: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """The submission with every check cell as the source has it; returns the grade_ids of the
    check cells that were edited or deleted (a deleted one is put back after its solution)."""
    originals = {make_course.nbgrader_meta(c)["grade_id"]: c
                 for c in make_course.check_cells(source)}
    changed = []
    present = set()
    for i, cell in enumerate(submission.cells):
        gid = make_course.nbgrader_meta(cell).get("grade_id")
        if gid in originals:
            present.add(gid)
            if cell.source != originals[gid].source or cell.cell_type != "code":
                changed.append(gid)
            submission.cells[i] = nbformat.from_dict(dict(originals[gid]))
    for gid in [g for g in originals if g not in present]:
        changed.append(gid)
        solution_id = gid.removesuffix("-check")
        at = next((i + 1 for i, c in enumerate(submission.cells)
                   if make_course.nbgrader_meta(c).get("grade_id") == solution_id),
                  len(submission.cells))
        submission.cells.insert(at, nbformat.from_dict(dict(originals[gid])))
    for cell in submission.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return submission, changed


def grade(submission_path: Path, source_path: Path | None = None, *, fast: bool = True,
          timeout: int = 600, executed: Path | None = None) -> tuple[list[Score], list[str]]:
    """Run the submission and score its exercises; returns the scores and the restored checks."""
    import nbclient  # noqa: PLC0415

    try:
        submission = nbformat.read(submission_path, as_version=4)
    except Exception as exc:
        raise CannotGrade(f"{submission_path}: not a notebook ({type(exc).__name__}: "
                          f"{exc})") from None
    source_path = source_path or make_course.NOTEBOOK_DIR / submission_path.name
    if not source_path.is_file():
        raise CannotGrade(f"no lesson source {source_path}: name it with --source")
    source = nbformat.read(source_path, as_version=4)
    if not make_course.has_exercises(source):
        raise CannotGrade(f"{source_path.name} has no graded exercises")
    nb, changed = restore_checks(submission, source)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env["TINYGAN_FAST"] = "1" if fast else "0"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, allow_errors=True,
                                     interrupt_on_timeout=True,  # a stuck cell scores 0
                                     resources={"metadata": {"path": str(source_path.parent)}})
    client.execute(env=env)
    if executed is not None:
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed)
    titles = _titles(source)
    scores = []
    for cell in make_course.check_cells(nb):
        meta = make_course.nbgrader_meta(cell)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        out_of = float(meta.get("points", 0))
        if errors:
            message = f"{errors[0].ename}: {errors[0].evalue}".strip()
            if errors[0].ename == "ExerciseFailed":
                message = errors[0].evalue
            elif errors[0].ename == "KeyboardInterrupt":
                message = f"stopped after {timeout} s, the time limit of a cell"
            scores.append(Score(meta["grade_id"], titles[meta["grade_id"]], 0.0, out_of,
                                message))
        else:
            scores.append(Score(meta["grade_id"], titles[meta["grade_id"]], out_of, out_of,
                                "correct"))
    return scores, changed


def table(scores: list[Score], width: int = 100) -> str:
    """The scores as plain text: points and title per exercise, the check's message under a
    failed one, and the total."""
    lines = [f"{'points':<8}exercise", "-" * width]
    for s in scores:
        lines.append(f"{f'{s.points:g}/{s.out_of:g}':<8}{s.title}")
        if s.message != "correct":
            lines += textwrap.wrap(s.message, width, initial_indent=" " * 10,
                                   subsequent_indent=" " * 12)
    got, total = sum(s.points for s in scores), sum(s.out_of for s in scores)
    lines += ["-" * width, f"{f'{got:g}/{total:g}':<8}total"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path, help="the submitted student notebook")
    parser.add_argument("--source", type=Path, default=None,
                        help="the lesson source (default: notebooks/<same file name>)")
    parser.add_argument("--full", action="store_true",
                        help="run in full mode (default: fast mode, TINYGAN_FAST=1)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="also write the executed, graded notebook here (feedback)")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"grade_submission: no such file: {args.notebook}", file=sys.stderr)
        return 2
    try:
        scores, changed = grade(args.notebook, args.source, fast=not args.full,
                                timeout=args.timeout, executed=args.executed)
    except CannotGrade as exc:
        print(f"grade_submission: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the kernel died, could not start, a cell timed out ...
        print(f"grade_submission: could not run {args.notebook}: {type(exc).__name__}: "
              f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}",
              file=sys.stderr)
        return 1
    print(f"{args.notebook} ({'full' if args.full else 'fast'} mode)")
    if changed:
        print(f"check cells put back as the source has them: {', '.join(changed)}")
    print(table(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
