"""Run the lesson notebooks and publish executed copies for reading without a kernel.

    python scripts/publish_notebooks.py                       # every lesson, full mode
    python scripts/publish_notebooks.py notebooks/01_autograd_from_scratch.ipynb
    python scripts/publish_notebooks.py --fast                # a quick preview (marked fast)

For each lesson source this runs its solution version (scripts/make_course.py: the answers in,
the BEGIN/END SOLUTION lines out) top to bottom in a fresh "python3" kernel, headless, in full
mode, and writes under ``docs/notebooks/``:

* ``NN_name.ipynb``: the executed notebook (GitHub and any Jupyter front end show it as is);
* ``NN_name.html``: the same as a web page (nbconvert's lab template; its style sheet is shared
  by all pages as ``notebook.css`` instead of being repeated in each);
* ``times.json``: each notebook's measured wall time in full mode and, from a second run, in
  fast mode (``TINYGAN_FAST=1``, what CI runs), with the machine they were measured on.

The lesson sources stay committed without outputs. A published file over ``--max-mb``
(default 3 MB) is an error naming its largest outputs, so an embedded animation cannot bloat
the repository unnoticed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_course  # noqa: E402  (scripts/ is this file's folder)

ROOT = make_course.ROOT
OUT = ROOT / "docs" / "notebooks"
KERNEL = "python3"
STYLE = re.compile(r"<style[^>]*>.*?</style>\s*", re.S)
CSS_SEPARATOR = "\n/* -- */\n"


def _env(fast: bool) -> dict[str, str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "TINYGAN_FAST": "1" if fast else "0"}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def execute(source: Path, fast: bool, timeout: int) -> tuple[nbformat.NotebookNode, float]:
    """The solution version of ``source`` executed in a fresh kernel, and its wall time."""
    import nbclient  # noqa: PLC0415

    nb = make_course.solution_version(nbformat.read(source, as_version=4))
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=timeout,
                                     resources={"metadata": {"path": str(source.parent)}})
    start = time.perf_counter()
    client.execute(env=_env(fast))
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb, seconds


def _largest_outputs(nb: nbformat.NotebookNode, n: int = 3) -> str:
    sizes = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            sizes.append((len(json.dumps(output)), i))
    return ", ".join(f"cell {i}: {size / 1e6:.1f} MB" for size, i in sorted(sizes)[::-1][:n])


def write_pages(nb: nbformat.NotebookNode, name: str, out: Path, max_mb: float) -> list[Path]:
    """The executed .ipynb and its HTML page; the style sheet goes to out/notebook.css."""
    from nbconvert import HTMLExporter  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nb, resources={"metadata": {"name": Path(name).stem}})
    # One style sheet for all pages: the blocks already there, and any this page adds (a page
    # with widgets or an animation brings styles of its own).
    sheet = out / "notebook.css"
    blocks = sheet.read_text(encoding="utf-8").split(CSS_SEPARATOR) if sheet.is_file() else []
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        if block not in blocks:
            blocks.append(block)
    sheet.write_text(CSS_SEPARATOR.join(blocks), encoding="utf-8")
    html = STYLE.sub("", html).replace(
        "</head>", '<link rel="stylesheet" href="notebook.css">\n</head>', 1)
    written = [out / name, out / f"{Path(name).stem}.html"]
    nbformat.write(nb, written[0])
    written[1].write_text(html, encoding="utf-8")
    for path in written:
        mb = path.stat().st_size / 1e6
        if mb > max_mb:
            raise ValueError(f"{path.name} is {mb:.1f} MB (limit {max_mb} MB); largest "
                             f"outputs: {_largest_outputs(nb)}")
    return written


def _machine() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def record(times_file: Path, name: str, entry: dict[str, object]) -> None:
    """Merge one notebook's times into times.json (others' entries are kept)."""
    times = json.loads(times_file.read_text()) if times_file.is_file() else {}
    times[name] = {**times.get(name, {}), **entry}
    times_file.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lesson sources (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--fast", action="store_true",
                        help="publish a fast-mode run (a preview; times.json says so)")
    parser.add_argument("--no-fast-time", action="store_true",
                        help="skip the second, fast-mode run that times fast mode")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (docs/notebooks)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell (1800)")
    parser.add_argument("--max-mb", type=float, default=3.0,
                        help="largest published file allowed, in MB (3)")
    args = parser.parse_args(argv)
    sources = args.notebooks or make_course.lesson_notebooks()
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        print(f"publish_notebooks: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    status = 0
    for source in sources:
        mode = "fast" if args.fast else "full"
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        try:
            nb, seconds = execute(source, args.fast, args.timeout)
            written = write_pages(nb, source.name, args.out, args.max_mb)
            entry: dict[str, object] = {f"{mode}_s": round(seconds, 1), "published": mode}
            if not args.fast and not args.no_fast_time:
                entry["fast_s"] = round(execute(source, True, args.timeout)[1], 1)
        except Exception as exc:  # a failing cell, a timeout, a page over the size limit
            text = str(exc).strip().splitlines()
            print(f"publish_notebooks: {source.name}: {type(exc).__name__}: "
                  f"{text[-1] if text else ''}", file=sys.stderr)
            status = 1
            continue
        entry.update(date=datetime.date.today().isoformat(), load_average_before=load,
                     machine=_machine())
        record(args.out / "times.json", source.name, entry)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in written)
        times = ", ".join(f"{k} {v} s" for k, v in entry.items() if k.endswith("_s"))
        print(f"{source.name}: {times}; wrote {sizes}")
    return status


if __name__ == "__main__":
    sys.exit(main())
