"""Print the import graph of a package's modules and its import cycles, read from the source.

    python scripts/import_graph.py                    # tinygan/, next to this script
    python scripts/import_graph.py path/to/tinygan    # another checkout of the package
    python scripts/import_graph.py --cycles           # only the cycles
    python scripts/import_graph.py --check            # exit 1 if any cycle is found

Nothing is imported or run: each ``.py`` file is parsed with ``ast``, and every ``import`` and
``from ... import`` naming a module of the package becomes an edge. An edge is *module-level*
when the statement runs as the module is imported (at the top, or in a class body or an ``if``),
and *function-level* when it sits inside a ``def``, so it only runs when the function is called
(the usual way to dodge a cycle). ``from a.b import c`` is an edge to ``a.b.c`` when that is a
module of the package, else to ``a.b``. Importing ``a.b.c`` also runs the package ``a.b``'s
``__init__`` first; that edge is added too, unless ``a.b`` contains the importing module (then
it is already being imported).

A cycle is a strongly connected component of the graph with more than one module (or a module
importing itself). Two pictures are printed: the cycles among module-level imports alone (these
decide whether ``import`` works at all in any order), and the cycles once the function-level
imports are counted too (these are the cycles a reader has to hold in mind: two files that need
each other).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # "module" or the name of the function the import sits in

    @property
    def deferred(self) -> bool:
        return self.where != "module"


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``package_dir``."""
    base = package_dir.parent
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imports(tree: ast.Module) -> Iterable[tuple[ast.stmt, str]]:
    """Each import statement of the tree with "module" or the enclosing function's name."""

    def walk(node: ast.AST, where: str, prefix: str) -> Iterable[tuple[ast.stmt, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(child, prefix + child.name, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):  # a class body runs at import time
                yield from walk(child, where, prefix + child.name + ".")
            else:
                yield from walk(child, where, prefix)

    yield from walk(tree, "module", "")


def _resolve(source: str, is_package: bool, stmt: ast.stmt, modules: set[str]) -> list[str]:
    """The package modules an import statement names (most specific first match)."""
    if isinstance(stmt, ast.Import):
        return [alias.name for alias in stmt.names if alias.name in modules]
    assert isinstance(stmt, ast.ImportFrom)
    base = stmt.module or ""
    if stmt.level:
        here = source.split(".") if is_package else source.split(".")[:-1]
        here = here[: len(here) - (stmt.level - 1)]
        base = ".".join(here + ([base] if base else []))
    targets = []
    for alias in stmt.names:
        full = f"{base}.{alias.name}"
        if full in modules:
            targets.append(full)
        elif base in modules:
            targets.append(base)
    return list(dict.fromkeys(targets))


def build_graph(package_dir: Path) -> tuple[list[str], list[Edge]]:
    """(the modules, the import edges between them)."""
    files = module_names(package_dir)
    modules = set(files)
    edges: set[Edge] = set()
    for source, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for stmt, where in _imports(tree):
            for target in _resolve(source, is_package, stmt, modules):
                named = [target]
                parts = target.split(".")
                for i in range(1, len(parts)):
                    parent = ".".join(parts[:i])
                    own_parent = source == parent or source.startswith(parent + ".")
                    if parent in modules and not own_parent:
                        named.append(parent)
                for t in named:
                    if t != source:
                        edges.add(Edge(source, t, where))
    return sorted(files), sorted(edges, key=lambda e: (e.source, e.deferred, e.target))


def strongly_connected(nodes: list[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one node, each sorted."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        succ[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        # Iterative depth-first search: (node, iterator over its successors).
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return sorted(out)


def shortest_cycle(component: list[str], edges: Iterable[Edge]) -> list[str]:
    """One shortest cycle through the component's first module, as a list of modules."""
    members = set(component)
    succ: dict[str, list[str]] = {n: [] for n in component}
    for e in edges:
        if e.source in members and e.target in members:
            succ[e.source].append(e.target)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(succ[node]):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return component


def _label(edges: list[Edge], source: str, target: str) -> str:
    wheres = sorted({e.where for e in edges if e.source == source and e.target == target})
    deferred = [w for w in wheres if w != "module"]
    return f"{target} (in {', '.join(deferred)})" if deferred and "module" not in wheres else target


def report(package_dir: Path, cycles_only: bool = False) -> tuple[str, int]:
    """The printed report and the number of cycles found (both pictures together)."""
    nodes, edges = build_graph(package_dir)
    top = [e for e in edges if not e.deferred]
    lines = []
    if not cycles_only:
        lines.append(f"{len(nodes)} modules in {package_dir.name}/; {len(top)} module-level "
                     f"imports, {len(edges) - len(top)} inside functions (marked 'in f')")
        lines.append("")
        for node in nodes:
            targets = sorted({e.target for e in edges if e.source == node})
            if targets:
                shown = ", ".join(_label(edges, node, t) for t in targets)
                lines.append(f"{node} -> {shown}")
        lines.append("")
    found = 0
    for title, subset in (("cycles among module-level imports", top),
                          ("cycles with the function-level imports counted", edges)):
        components = strongly_connected(nodes, subset)
        found += len(components)
        lines.append(f"{title}: {len(components) or 'none'}")
        for component in components:
            path = shortest_cycle(component, subset)
            steps = [path[0]]
            for a, b in zip(path, path[1:]):
                steps.append(_label(subset, a, b))
            more = f" (component of {len(component)}: {', '.join(component)})" \
                if len(component) > len(path) - 1 else ""
            lines.append("  " + " -> ".join(steps) + more)
    return "\n".join(lines), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", default=str(ROOT / "tinygan"),
                        help="the package folder (default: tinygan/ beside scripts/)")
    parser.add_argument("--cycles", action="store_true", help="print only the cycles")
    parser.add_argument("--check", action="store_true", help="exit 1 if there is any cycle")
    args = parser.parse_args(argv)
    package_dir = Path(args.package).resolve()
    if not (package_dir / "__init__.py").is_file():
        print(f"import_graph: {package_dir} is not a package folder (no __init__.py)",
              file=sys.stderr)
        return 2
    text, found = report(package_dir, cycles_only=args.cycles)
    try:
        print(text)
    except BrokenPipeError:  # piped into head: the reader has what it wanted
        sys.stderr.close()
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
