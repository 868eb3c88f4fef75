"""``.. tinygan-api:: NAME ...``: the API of tinygan modules, each in its own section.

A package name (``tinygan.gan``) stands for its docstring followed by every public module of the
folder, in the order the package docstring first names them (``losses.py`` or ``losses``), the
modules it does not name after them in alphabetical order. A module name stands for itself. So a
page written once keeps up with the folder: a new module appears without editing the page.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id


def reading_order(package: str) -> list[str]:
    """The public modules of ``package``, in the order its docstring names them."""
    pkg = importlib.import_module(package)
    names = [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    doc = pkg.__doc__ or ""
    def first_mention(name: str) -> int:
        found = re.search(rf"``{re.escape(name)}(\.py)?``", doc)
        return found.start() if found else len(doc) + 1
    return [f"{package}.{n}" for n in sorted(names, key=lambda n: (first_mention(n), n))]


class TinyganApi(SphinxDirective):
    required_arguments = 1
    optional_arguments = 20

    def _section(self, module: str, title: str, options: tuple[str, ...] = ()) -> nodes.section:
        section = nodes.section(ids=[make_id(self.env, self.state.document, "api", module)])
        section += nodes.title(text=title)
        lines = StringList([f".. automodule:: {module}", *options], source=module)
        self.state.nested_parse(lines, self.content_offset, section)
        return section

    def _module_section(self, module: str) -> nodes.section:
        """A module's section; a sub-package's (ops/kernels/) holds its docstring and then a
        section for each of its modules."""
        short = module.rsplit(".", 1)[1]
        if not hasattr(importlib.import_module(module), "__path__"):
            return self._section(module, f"{short}.py ({module})")
        section = self._section(module, f"{short}/ ({module})", ("   :no-members:",))
        section.extend(self._module_section(m) for m in reading_order(module))
        return section

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        for name in self.arguments:
            module = importlib.import_module(name)
            if hasattr(module, "__path__"):  # a package: its docstring, then its modules
                lines = StringList([f".. automodule:: {name}", "   :no-members:"], source=name)
                holder: nodes.Element = nodes.container()
                if len(self.arguments) > 1:  # one of several: a section of its own
                    holder = nodes.section(ids=[make_id(self.env, self.state.document, "api",
                                                        name)])
                    holder += nodes.title(text=f"{name.rsplit('.', 1)[1]}/ ({name})")
                self.state.nested_parse(lines, self.content_offset, holder)
                holder.extend(self._module_section(m) for m in reading_order(name))
                out.extend([holder] if len(self.arguments) > 1 else holder.children)
            else:
                file = name.rsplit(".", 1)[1] + ".py"
                out.append(self._section(name, f"{file} ({name})"))
        return out


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_directive("tinygan-api", TinyganApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
