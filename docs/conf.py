"""Sphinx configuration of tinygan's documentation: the API reference, built from the docstrings.

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html    # then open index.html

Pages are Markdown (MyST); the API pages call autodoc on each module, in the reading order of
the package docstring. Google-style ``Args:`` / ``Returns:`` sections are read by napoleon, and
the ``$...$`` / ``$$...$$`` maths of the Markdown pages is rendered by MathJax.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import tinygan  # noqa: E402  (after the path, so the checkout's tinygan is documented)

project = "tinygan"
author = "tinygan developers"
copyright = "tinygan developers, MIT licence"
version = release = tinygan.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "tinygan_api",  # docs/_ext/tinygan_api.py: one section per module, in reading order
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "gallery"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

autodoc_default_options = {
    "members": True,
    "ignore-module-all": True,  # each object once, on the page of the module that defines it
    "member-order": "bysource",
    "show-inheritance": True,
}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

highlight_language = "none"  # literal blocks are formulas and shapes; doctests stay Python
html_theme = "alabaster"
html_title = f"tinygan {release}"
html_static_path: list[str] = []


# The docstrings are plain text for a student reading the source: |x| is an absolute value,
# kaiming_uniform_ a function's name, (*, d) a shape and **kwargs Python's, not a reST
# substitution, a hyperlink reference and emphasis; and an indented block under a paragraph of
# text is a formula or code laid out by hand. So, before reST reads a docstring, such a block
# becomes a literal block (kept aligned, in a fixed-width font) and the rest is escaped in
# running text (never inside ``literals``, literal blocks or doctests): the reference reads as
# the file does.
_LITERAL = re.compile(r"(``.*?``)")
_PIPE = re.compile(r"(?<!\\)\|")
_TRAILING_UNDERSCORES = re.compile(r"(?<=\w)(_+)(?=$|[^\w`])")
_SHAPE_STAR = re.compile(r"(?<=[(\s])\*(?=[,)])")  # the * of a shape: (*, d), (N, *)
_ARGS_STARS = re.compile(r"(?<![\w*\\])(\*{1,2})(?=[A-Za-z_]\w*[,):\]])")  # *args, **kwargs:
_STRUCTURE = re.compile(r"^([-*+] |\d+[.)] |:|\.\. |>>>)")  # lists, fields, directives


def _escape(text: str) -> str:
    parts = _LITERAL.split(text)
    for i in range(0, len(parts), 2):  # the even parts lie outside ``...``
        part = _SHAPE_STAR.sub(r"\\*", _PIPE.sub(r"\\|", parts[i]))
        part = _ARGS_STARS.sub(lambda m: "\\*" * len(m.group(1)), part)
        parts[i] = _TRAILING_UNDERSCORES.sub(lambda m: "\\_" * len(m.group(1)), part)
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _indent_lost_blocks(lines: list[str]) -> None:
    """A docstring whose body is a single indented block loses the indentation when Python
    trims it (PEP 257: the common indentation of the lines after the first is removed), so the
    block after its "...::" line arrives flush with it: indent it again, up to the next blank
    line."""
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j == i + 1 or j == len(lines) or _indent(lines[j]) > _indent(line):
            continue
        while j < len(lines) and lines[j].strip():
            lines[j] = "    " + lines[j]
            j += 1


def plain_text_docstring(app: object, what: str, name: str, obj: object, options: object,
                         lines: list[str]) -> None:
    _indent_lost_blocks(lines)
    out: list[str] = []
    literal_indent: int | None = None  # indentation of the line that opened a literal block
    in_doctest = False
    para_start = ""  # the first line of the current paragraph, stripped
    last_para_start = ""  # ... and of the paragraph before the last blank line
    for line in lines:
        stripped, indent = line.strip(), _indent(line)
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                out.append(line)
                continue
            literal_indent = None
            if out[-1].strip():  # the text after a literal block starts a new paragraph
                out.append("")
                para_start = ""
        if stripped.startswith(">>>"):
            in_doctest = True
        if in_doctest:
            in_doctest = bool(stripped)
            out.append(line)
            continue
        if not stripped:
            out.append(line)
            last_para_start, para_start = para_start or last_para_start, ""
            continue
        text = [k for k, previous in enumerate(out) if previous.strip()]
        last = out[text[-1]] if text else ""
        blank_before = bool(out) and not out[-1].strip()
        above = last_para_start if blank_before else para_start
        opens = (bool(last) and not last.rstrip().endswith("::") and indent > _indent(last)
                 and not _STRUCTURE.match(stripped) and not _STRUCTURE.match(above)
                 and (blank_before or last.rstrip().endswith(":")))
        if opens:  # a text paragraph over an indented block: the block is literal
            end = last.rstrip()
            out[text[-1]] = end + ":" if end.endswith(":") else end + " ::"
            if not blank_before:
                out.append("")
            literal_indent = _indent(last)
            out.append(line)
            continue
        if not para_start:
            para_start = stripped
        out.append(line if stripped.startswith("| ") or stripped == "|" else _escape(line))
        if stripped.endswith("::"):
            literal_indent = indent
    lines[:] = out


def list_other_pages(app: object, docname: str, source: list[str]) -> None:
    """Append to the index a table of contents of the Markdown pages of docs/ it does not name
    (a page added to docs/ is listed without editing the index)."""
    if docname != "index":
        return
    here = Path(__file__).resolve().parent
    others = [p.stem for p in sorted(here.glob("*.md"))
              if p.stem != "index" and not re.search(rf"^{re.escape(p.stem)}$", source[0], re.M)]
    if others:
        source[0] += "\n```{toctree}\n:caption: More pages\n:maxdepth: 1\n\n"
        source[0] += "\n".join(others) + "\n```\n"


_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def unlink_folders(app: object, docname: str, source: list[str]) -> None:
    """A Markdown page's link to a folder of the repository (which GitHub lists) becomes its
    text: a built page has nowhere to send it. Links to files and pages are left alone."""
    here = (Path(app.srcdir) / docname).parent

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).split("#", 1)[0]
        local = target and ":" not in target
        return match.group(1) if local and (here / target).is_dir() else match.group(0)

    source[0] = _MD_LINK.sub(replace, source[0])


def setup(app: object) -> None:
    app.connect("source-read", unlink_folders)
    app.connect("autodoc-process-docstring", plain_text_docstring)
    app.connect("source-read", list_other_pages)
    # The index depends on which pages docs/ holds: read it again on every build.
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: ["index"])
