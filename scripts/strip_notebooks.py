"""Clear the outputs of notebooks before committing them, so that diffs show only what changed.

    python scripts/strip_notebooks.py                 # every notebook in notebooks/
    python scripts/strip_notebooks.py path.ipynb ...  # these ones
    python scripts/strip_notebooks.py --check         # exit 1, naming them, if any is not clean

Removes every code cell's outputs and execution count, the execution timings Jupyter and nbclient
record in cell metadata, and the saved widget state in the notebook's metadata. Everything a
person wrote (sources, markdown, tags) is kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CELL_KEYS = ("execution", "collapsed", "scrolled")  # cell metadata written by running a notebook


def strip(nb: nbformat.NotebookNode) -> bool:
    """Clear ``nb`` in place; return True if anything was removed."""
    changed = nb.metadata.pop("widgets", None) is not None
    for cell in nb.cells:
        for key in CELL_KEYS:
            changed |= cell.metadata.pop(key, None) is not None
        if cell.cell_type == "code":
            changed |= bool(cell.outputs) or cell.execution_count is not None
            cell.outputs = []
            cell.execution_count = None
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if unclean")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if strip(nb):
            dirty.append(path)
            if not args.check:
                nbformat.write(nb, path)
    verb = "has outputs" if args.check else "stripped"
    for path in dirty:
        print(f"{path}: {verb}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
