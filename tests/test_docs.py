"""The documentation says what the code does: the README's ten lines print what they claim, the
reading-order table, the package docstring and the API reference name the folders as they are,
the lesson markers select a lecture's tests, no file users lack is cited, and the import cycles
the layout removed stay removed."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from script_modules import load_script

import tinygan

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "tinygan"


def readme_section(title: str) -> str:
    """The README's text from the heading ``## title`` to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no section '## {title}'"
    return match.group(1)


def folders() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def top_level_modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))


# -- the README's ten lines -------------------------------------------------------------------


def test_readme_ten_lines_print_what_their_comments_say():
    block = re.search(r"```python\n(.*?)```", readme_section("Ten lines: values and gradients"),
                      re.S)
    assert block, "the 'Ten lines' section has no ```python block"
    code = block.group(1)
    expected = [m.group(1).strip() for m in re.finditer(r"^print\(.*#\s*(.+)$", code, re.M)]
    assert len(expected) == code.count("print("), "every print in the block says what it prints"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (Ten lines)", "exec"), {})
    printed = [" ".join(line.split()) for line in out.getvalue().splitlines()]
    assert printed == [" ".join(e.split()) for e in expected]


# -- the reading order ------------------------------------------------------------------------


def reading_order_paths() -> list[str]:
    """The paths of the README's reading-order table, in the table's order."""
    paths = []
    for row in readme_section("The package in reading order").splitlines():
        if row.startswith("| `tinygan/"):
            paths.extend(re.findall(r"`(tinygan/[^`]*)`", row.split("|")[1]))
    return paths


def test_reading_order_table_names_existing_files_and_every_folder():
    paths = reading_order_paths()
    assert paths, "the reading-order table lists no tinygan/ paths"
    for path in paths:
        assert (ROOT / path).exists(), f"README's reading order names {path}, which is missing"
    listed = {p.rstrip("/").split("/")[1].removesuffix(".py") for p in paths}
    missing = set(folders() + top_level_modules()) - listed - {"weights"}
    assert not missing, f"the README's reading order leaves out {sorted(missing)}"


def docstring_order() -> list[str]:
    """The folders and top-level modules in the order the package docstring first names them."""
    doc = tinygan.__doc__ or ""
    names = folders() + top_level_modules()
    found = {}
    for name in names:
        match = re.search(rf"``{name}(/|\.py)``", doc)
        assert match, f"tinygan's docstring does not name ``{name}/`` or ``{name}.py``"
        found[name] = match.start()
    return sorted(found, key=found.get)


def test_readme_table_follows_the_package_docstring():
    table = []
    for path in reading_order_paths():
        name = path.rstrip("/").split("/")[1].removesuffix(".py")
        if name not in table:
            table.append(name)
    order = [n for n in docstring_order() if n in table]
    assert [n for n in table if n in order] == order


def test_api_reference_has_every_module_in_reading_order():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    pages = re.findall(r"^api/(\w+)$", index, re.M)
    documented = []
    for page in pages:
        text = (ROOT / "docs" / "api" / f"{page}.rst").read_text(encoding="utf-8")
        line = re.search(r"^\.\. tinygan-api:: (.+)$", text, re.M)
        assert line, f"docs/api/{page}.rst has no tinygan-api directive"
        documented += [m.split(".")[1] for m in line.group(1).split()]
    expected = [n for n in docstring_order() if n != "weights"]
    assert documented == expected, "docs/index.md's API pages follow the package docstring"


# -- the lesson markers -----------------------------------------------------------------------


@pytest.mark.slow
def test_lesson02_selects_the_gan_chapter():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "lesson02", "--collect-only", "-q",
         "-p", "no:cacheprovider", "tests/gan", "tests/autograd", "tinygan/gan/losses.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    selected = {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}
    assert {"tests/gan/test_losses.py", "tests/gan/test_gan.py",
            "tinygan/gan/losses.py"} <= selected
    assert not any(path.startswith("tests/autograd/") for path in selected)
    assert not any("conditional" in line for line in run.stdout.splitlines()), \
        "the conditional GAN is lesson 5"


# -- citations and import cycles --------------------------------------------------------------


def test_nothing_cites_files_users_do_not_have():
    texts = [*PACKAGE.rglob("*.py"), *(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        for bad in ("SPEC.md", "SPEC's", "shared/seeds", "STYLE.md"):
            assert bad not in text, f"{path.relative_to(ROOT)} cites {bad}, not in the repository"


def test_no_cycle_through_nn_or_evaluation():
    import_graph = load_script("import_graph")
    nodes, edges = import_graph.build_graph(PACKAGE)
    assert "tinygan.nn.init" in nodes and edges
    for component in import_graph.strongly_connected(nodes, edges):
        tangled = [m for m in component if m.startswith(("tinygan.nn", "tinygan.evaluation"))]
        assert not tangled, f"an import cycle runs through {tangled}: {component}"


# -- the speed table: the README quotes benchmarks/README.md's measured tables ------------------
def _measured_ratios(section: str) -> dict[str, str]:
    """set-up -> ratio in benchmarks/README.md's step table between the ``section`` markers."""
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- {section}:begin -->")[1].split(f"<!-- {section}:end -->")[0]
    step_table = block.split("### One training step")[1].split("###")[0]
    rows = [r.split("|") for r in step_table.splitlines() if r.startswith("| ") and "**" in r]
    return {cells[1].strip(): cells[5].strip().strip("*") for cells in rows}


def test_the_readme_speed_table_is_the_measured_one():
    rows = [r.split("|") for r in readme_section("Speed against PyTorch on the CPU").splitlines()
            if r.startswith("| ") and "**" in r]
    quoted = {cells[1].strip(): (cells[3].strip().strip("*"), cells[5].strip().strip("*"))
              for cells in rows}
    two, one = _measured_ratios("results"), _measured_ratios("results-1thread")
    assert set(quoted) == set(two) == {"gauss1d", "ring2d", "mlp-mnist", "dcgan-mnist"}
    assert quoted == {name: (two[name], one[name]) for name in quoted}
