"""Write the student and the solution version of every lesson notebook.

    python scripts/make_course.py                 # course/student/ and course/solution/
    python scripts/make_course.py --out DIR       # DIR/student/ and DIR/solution/
    python scripts/make_course.py notebooks/01_autograd_from_scratch.ipynb

The lesson sources ``notebooks/NN_*.ipynb`` are nbgrader source notebooks: each exercise is a
solution cell (its answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) followed by a
locked, graded check cell that calls ``tinygan.course``'s checks. From each source this writes

* the **student version**: nbgrader's own preprocessors, run standalone (no course database):
  ``ClearSolutions`` replaces every answer with ``# YOUR CODE HERE`` and
  ``raise NotImplementedError("not answered yet")``; ``ClearHiddenTests`` and
  ``ClearMarkScheme`` remove hidden tests and marking notes; ``LockCells`` makes check cells
  read-only and undeletable; ``ClearOutput`` clears outputs; ``CheckCellMetadata`` validates
  the nbgrader metadata first (unique grade ids, points on graded cells);
* the **solution version**: the source with the marker lines removed and outputs cleared.

Notebooks without exercises are copied (outputs cleared) into both, so each folder is the whole
course. A teacher who runs a full nbgrader course (``nbgrader generate_assignment``,
``nbgrader autograde``) uses the sources in ``notebooks/`` directly: see docs/teaching.md.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
STUB = '# YOUR CODE HERE\nraise NotImplementedError("not answered yet")'
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
           "### END HIDDEN TESTS")


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_check(cell: nbformat.NotebookNode) -> bool:
    """A graded check cell: a code cell with nbgrader grade: true and no solution."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def check_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The graded check cells, in order."""
    return [c for c in nb.cells if is_check(c)]


def solution_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("solution")]


def has_exercises(nb: nbformat.NotebookNode) -> bool:
    """True for a notebook with at least one graded check cell."""
    return bool(check_cells(nb))


def _preprocess(nb: nbformat.NotebookNode, *preprocessors: object) -> nbformat.NotebookNode:
    resources: dict = {}
    for p in preprocessors:
        nb, resources = p.preprocess(nb, resources)
    return nb


def student_version(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Solutions replaced by the stub, hidden tests removed, check cells locked, no outputs."""
    from nbgrader.preprocessors import (  # noqa: PLC0415 (imported only when generating)
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        LockCells,
    )

    nb = copy.deepcopy(source)
    return _preprocess(nb, CheckCellMetadata(), LockCells(),
                       ClearSolutions(code_stub={"python": STUB}), ClearHiddenTests(),
                       ClearMarkScheme(), ClearOutput(), CheckCellMetadata())


def solution_version(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source with the BEGIN/END SOLUTION (and HIDDEN TESTS) lines removed, no outputs."""
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput  # noqa: PLC0415

    nb = copy.deepcopy(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = cell.source.split("\n")
            cell.source = "\n".join(ln for ln in lines if ln.strip() not in MARKERS)
    return _preprocess(nb, CheckCellMetadata(), ClearOutput())


def lesson_notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def write_course(out: Path, sources: list[Path]) -> list[tuple[str, int]]:
    """Write out/student/ and out/solution/; returns (notebook name, number of exercises)."""
    done = []
    for path in sources:
        source = nbformat.read(path, as_version=4)
        for kind, make in (("student", student_version), ("solution", solution_version)):
            folder = out / kind
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(source), folder / path.name)
        done.append((path.name, len(check_cells(source))))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lesson sources (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "course",
                        help="output folder (default: course/)")
    args = parser.parse_args(argv)
    sources = args.notebooks or lesson_notebooks()
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        print(f"make_course: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        done = write_course(args.out, sources)
    except ImportError as exc:
        print(f"make_course: {exc}; install the course extra: pip install -e '.[course]'",
              file=sys.stderr)
        return 2
    except Exception as exc:  # nbgrader's metadata validation, a missing END SOLUTION ...
        print(f"make_course: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for name, n in done:
        print(f"{name}: {n} exercise{'s' if n != 1 else ''}")
    print(f"wrote {args.out / 'student'} and {args.out / 'solution'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
