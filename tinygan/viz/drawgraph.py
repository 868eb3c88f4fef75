"""``draw_graph``: a picture of the computation graph a Tensor remembers, drawn with matplotlib.

Every op that ran on tensors requiring gradients left a node in the graph (``tensor.grad_fn``):
which Function it was and which tensors went in. ``draw_graph(loss)`` walks back from ``loss``
the same way ``backward()`` does and lays the graph out left to right:

- boxes are tensors: green for leaves that want gradients (parameters, inputs you marked),
  grey for constants, blue for intermediate results, gold for the tensor you drew from;
- ellipses are ops (``Mul``, ``MatMul``, ``Sigmoid`` ...);
- arrows follow the forward pass; ``backward()`` walks them in reverse.

No graphviz needed: the layout is a longest-path layering (each node one column right of its
furthest input), with each column ordered by the mean height of its inputs to keep lines short.

    >>> w = tinygan.tensor([0.5, -1.0], requires_grad=True)
    >>> x = tinygan.tensor([1.0, 2.0])
    >>> y = (w * x).sum().sigmoid()
    >>> fig = draw_graph(y, names={"w": w, "x": x})     # fig.savefig("graph.png") to keep it
    >>> nodes, edges = graph_nodes(y)                   # what it draws: 5 tensors, 3 ops
    >>> [node.fn.__name__ for key, node in nodes.items() if key[0] == "op"]
    ['Sigmoid', 'Sum', 'Mul']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["draw_graph", "graph_nodes"]

COLORS = {"leaf": "#b8e6b8", "const": "#dddddd", "mid": "#cfe3f7", "root": "#ffd966",
          "op": "#fde2c4"}


def graph_nodes(root: Tensor) -> tuple[dict[Any, Any], list[tuple[Any, Any]]]:
    """The graph behind ``root``: nodes keyed ("t", id) for tensors, ("op", id) for ops, and the
    edges (from, to) in the direction of the forward pass."""
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected a tinygan Tensor, got {type(root).__name__}")
    nodes: dict[Any, Any] = {}
    edges: list[tuple[Any, Any]] = []
    stack = [root]
    while stack:  # iterative, like backward(): deep graphs do not hit the recursion limit
        t = stack.pop()
        key = ("t", id(t))
        if key in nodes:
            continue
        nodes[key] = t
        node = t._node
        if node is None:
            continue
        op = ("op", id(node))
        if op not in nodes:
            nodes[op] = node
        edges.append((op, key))
        for x in node.inputs:
            if isinstance(x, Tensor):
                edges.append((("t", id(x)), op))
                stack.append(x)
    return nodes, list(dict.fromkeys(edges))


def _layers(nodes: dict[Any, Any], edges: list[tuple[Any, Any]]) -> dict[Any, int]:
    """Column of each node: the longest path from a source; leaves sit just left of their
    first consumer, so a constant used late is drawn where it is used."""
    preds: dict[Any, list[Any]] = {k: [] for k in nodes}
    succs: dict[Any, list[Any]] = {k: [] for k in nodes}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    order, indeg = [], {k: len(v) for k, v in preds.items()}
    ready = [k for k, d in indeg.items() if d == 0]
    while ready:  # Kahn's topological sort
        k = ready.pop()
        order.append(k)
        for s in succs[k]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    level = {}
    for k in order:
        level[k] = max((level[p] + 1 for p in preds[k]), default=0)
    for k in order:
        if not preds[k] and succs[k]:
            level[k] = min(level[s] for s in succs[k]) - 1
    return level


def _label(t: Tensor, names: dict[int, str]) -> str:
    name = names.get(id(t)) or t.name
    if t.size == 1:
        body = f"{float(t.numpy().reshape(-1)[0]):.4g}"
        if t.grad is not None:
            body += f"\ngrad {float(_grad_host(t.grad).reshape(-1)[0]):.4g}"
    else:
        body = "shape " + "x".join(str(n) for n in t.shape)
    return f"{name}\n{body}" if name else body


def _grad_host(grad: Any) -> Any:
    return backend.to_numpy(grad)


def draw_graph(
    root: Tensor,
    names: Mapping[str, Tensor] | None = None,
    *,
    ax: Axes | None = None,
    max_nodes: int = 150,
) -> Figure:
    """Draw the computation graph that produced ``root``.

    Args:
        root: the tensor to start from, usually a loss.
        names: labels for tensors, e.g. ``{"w": w, "x": x}`` or
            ``dict(model.named_parameters())``; a tensor's own ``.name`` is used otherwise.
        ax: draw here instead of on a new figure.
        max_nodes: refuse graphs larger than this (a whole network's graph is unreadable).

    Returns:
        The matplotlib Figure.
    """
    nodes, edges = graph_nodes(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            "draw a smaller piece of it, or raise max_nodes"
        )
    level = _layers(nodes, edges)
    lo = min(level.values())
    columns: dict[int, list[Any]] = {}
    for k in nodes:  # discovery order (root first), reversed so inputs read top to bottom
        columns.setdefault(level[k] - lo, []).append(k)
    preds: dict[Any, list[Any]] = {k: [] for k in nodes}
    for a, b in edges:
        preds[b].append(a)
    y: dict[Any, float] = {}
    for c in sorted(columns):
        col = columns[c]
        key = {k: (sum(y[p] for p in preds[k] if p in y) / max(1, sum(p in y for p in preds[k]))
                   if any(p in y for p in preds[k]) else -i) for i, k in enumerate(col)}
        col.sort(key=lambda k: -key[k])
        for i, k in enumerate(col):
            y[k] = (len(col) - 1) / 2 - i
    n_cols, n_rows = len(columns), max(len(v) for v in columns.values())
    if ax is None:
        fig = Figure(figsize=(max(4.0, 1.5 * n_cols), max(2.5, 0.9 * n_rows + 1)),
                     layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    by_id = {id(t): n for n, t in (names or {}).items()}
    texts = {}
    for k, obj in nodes.items():
        x = float(level[k] - lo)
        if k[0] == "op":
            label, style, color = obj.fn.__name__, "ellipse,pad=0.25", COLORS["op"]
        else:
            label = _label(obj, by_id)
            kind = ("root" if obj is root else "mid" if obj._node is not None
                    else "leaf" if obj.requires_grad else "const")
            style, color = "round,pad=0.3", COLORS[kind]
        texts[k] = ax.text(x, y[k], label, ha="center", va="center", fontsize=8, zorder=3,
                           bbox={"boxstyle": style, "facecolor": color, "edgecolor": "0.3"})
    # One arrow per use: u * u draws two arrows from u into Mul, bent apart. An arrow that skips
    # columns is bent too, so it cannot hide behind the nodes drawn on a row between its ends.
    uses: dict[tuple[Any, Any], int] = {}
    for k, obj in nodes.items():
        if k[0] == "op":
            for x in obj.inputs:
                if isinstance(x, Tensor):
                    uses[(("t", id(x)), k)] = uses.get((("t", id(x)), k), 0) + 1
    for a, b in edges:
        count = uses.get((a, b), 1)
        skip = 0.35 if level[b] - level[a] > 1 else 0.0
        for use in range(count):
            rad = skip + 0.3 * (use - (count - 1) / 2)
            ax.annotate("", xy=(level[b] - lo, y[b]), xytext=(level[a] - lo, y[a]), zorder=2,
                        arrowprops={"arrowstyle": "-|>", "color": "0.35", "shrinkA": 2,
                                    "shrinkB": 2, "patchA": texts[a].get_bbox_patch(),
                                    "patchB": texts[b].get_bbox_patch(),
                                    "connectionstyle": f"arc3,rad={rad:.2f}"})
    ax.set_xlim(-0.7, n_cols - 0.3)
    ax.set_ylim(-n_rows / 2 - 0.2, n_rows / 2 + 0.2)
    ax.set_axis_off()
    return fig
