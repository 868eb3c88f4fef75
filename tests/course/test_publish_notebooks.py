"""scripts/publish_notebooks.py: executed copies (.ipynb and HTML) and the measured wall times,
on a two-cell notebook so that the test takes two kernel starts."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from script_modules import load_script

pytestmark = pytest.mark.course
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader", reason="install the course extra: pip install -e '.[course]'")

ROOT = Path(__file__).resolve().parents[2]


def _publish() -> object:
    spec = importlib.util.spec_from_file_location("publish_notebooks",
                                                  ROOT / "scripts" / "publish_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["publish_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def _lesson(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell(
        'import os\ndef mode():\n    ### BEGIN SOLUTION\n    return os.environ["TINYGAN_FAST"]\n'
        '    ### END SOLUTION')
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "ex99-mode", "locked": False,
                                   "schema_version": 3, "solution": True, "task": False}
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · a lesson"), answer,
                nbformat.v4.new_code_cell('print("fast mode:", mode())')]
    path = folder / "99_lesson.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_publish_writes_the_executed_copies_and_both_times(tmp_path: Path) -> None:
    publish = _publish()
    lesson = _lesson(tmp_path)
    out = tmp_path / "published"
    out.mkdir()
    (out / "times.json").write_text(json.dumps({"00_other.ipynb": {"full_s": 1.0}}))
    assert publish.main([str(lesson), "--out", str(out)]) == 0
    executed = nbformat.read(out / "99_lesson.ipynb", as_version=4)
    assert executed.cells[2].outputs[0].text == "fast mode: 0\n"  # published in full mode
    assert "BEGIN SOLUTION" not in executed.cells[1].source      # the solution version
    html = (out / "99_lesson.html").read_text()
    assert "fast mode: 0" in html and '<link rel="stylesheet" href="notebook.css">' in html
    assert "<style" not in html and (out / "notebook.css").stat().st_size > 1000
    times = json.loads((out / "times.json").read_text())
    assert times["00_other.ipynb"] == {"full_s": 1.0}  # others' entries are kept
    entry = times["99_lesson.ipynb"]
    assert entry["published"] == "full" and entry["full_s"] > 0 and entry["fast_s"] > 0
    assert entry["machine"]["cores"] >= 1


def test_publish_refuses_a_page_over_the_size_limit_and_a_missing_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    publish = _publish()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "stream", text="y" * 20000)])]
    with pytest.raises(ValueError, match=r"99_big.ipynb is 0.0 MB \(limit 0.01 MB\); largest "
                                         r"outputs: cell 0: 0.0 MB"):
        publish.write_pages(nb, "99_big.ipynb", tmp_path, max_mb=0.01)
    assert publish.main([str(tmp_path / "nope.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err


def test_the_published_copies_are_of_the_current_lessons() -> None:
    """Every executed copy in docs/notebooks/ has the cells of its lesson's solution version as
    they are now (rerun scripts/publish_notebooks.py after editing a lesson), ran without an
    error, and has its times in times.json."""
    make_course = load_script("make_course")
    published = ROOT / "docs" / "notebooks"
    times = json.loads((published / "times.json").read_text())
    copies = sorted(published.glob("[0-9][0-9]_*.ipynb"))
    assert copies, "docs/notebooks/ has no executed notebook"
    for copy in copies:
        source = ROOT / "notebooks" / copy.name
        assert source.is_file(), f"docs/notebooks/{copy.name} has no lesson source"
        want = [c.source for c in make_course.solution_version(
            nbformat.read(source, as_version=4)).cells]
        executed = nbformat.read(copy, as_version=4)
        assert [c.source for c in executed.cells] == want, (
            f"docs/notebooks/{copy.name} is not of the current {source.name}: rerun "
            f"python scripts/publish_notebooks.py notebooks/{copy.name}")
        assert not [o for c in executed.cells for o in c.get("outputs", [])
                    if o.output_type == "error"]
        assert (published / f"{copy.stem}.html").is_file()
        assert times[copy.name]["published"] == "full", f"{copy.name} was published in fast mode"
        assert times[copy.name]["full_s"] > 0 and times[copy.name]["fast_s"] > 0


def test_the_style_sheet_keeps_every_page_s_styles_once(tmp_path: Path) -> None:
    publish = _publish()
    (tmp_path / "notebook.css").write_text(".from-another-page { color: red }")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99")]
    publish.write_pages(nb, "99_a.ipynb", tmp_path, max_mb=3)
    once = (tmp_path / "notebook.css").read_text()
    publish.write_pages(nb, "99_b.ipynb", tmp_path, max_mb=3)
    assert (tmp_path / "notebook.css").read_text() == once
    assert once.startswith(".from-another-page { color: red }") and len(once) > 1000
