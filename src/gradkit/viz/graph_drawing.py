"""A matplotlib drawing of a computational graph (used when Graphviz is not installed).

The layout is layered: a node sits one layer right of its deepest parent (longest-path
layering), parentless constants move next to their first consumer, and nodes within a
layer are ordered by the mean position of their parents to keep edges from crossing.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from gradkit.viz._common import NotebookFigure
from gradkit.viz.graph import KINDS, graph_nodes, node_lines, topological_order

__all__ = ["plot_graph", "layered_layout", "boxes_crossed"]


def layered_layout(graph: Any) -> dict[Any, tuple[int, float]]:
    """Return ``{node index: (layer, position)}`` for a left-to-right drawing.

    Layers count from 0 (the inputs); positions are centred on 0 within each layer.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index op label value grad parents kind")
    >>> Graph = namedtuple("Graph", "nodes output")
    >>> g = Graph([Node(0, None, "x", 1.0, 1.0, (), "input"),
    ...            Node(1, None, "y", 2.0, 1.0, (), "input"),
    ...            Node(2, "add", "", 3.0, 1.0, (0, 1), "output")], 2)
    >>> layered_layout(g)
    {0: (0, 0.5), 1: (0, -0.5), 2: (1, 0.0)}
    """
    nodes = graph_nodes(graph)
    order = topological_order(nodes)
    layer: dict[Any, int] = {}
    for node in order:
        layer[node.index] = 1 + max((layer[p] for p in node.parents), default=-1)
    children: dict[Any, list[Any]] = {node.index: [] for node in nodes}
    for node in nodes:
        for parent in node.parents:
            children[parent].append(node.index)
    for node in nodes:
        # a constant fed into a deep operation is drawn beside it, not with the inputs
        if not node.parents and children[node.index] and node.kind != "input":
            layer[node.index] = min(layer[c] for c in children[node.index]) - 1
    by_layer: dict[int, list[Any]] = {}
    for node in nodes:  # the given order breaks ties, so the layout is deterministic
        by_layer.setdefault(layer[node.index], []).append(node)
    rank: dict[Any, float] = {}
    layout: dict[Any, tuple[int, float]] = {}
    for depth in sorted(by_layer):
        members = by_layer[depth]

        def barycentre(node: Any, members: list[Any] = members) -> tuple[float, int]:
            placed = [rank[p] for p in node.parents if p in rank]
            own = float(members.index(node))
            return (sum(placed) / len(placed) if placed else own, members.index(node))

        members = sorted(members, key=barycentre)
        centre = (len(members) - 1) / 2.0
        for slot, node in enumerate(members):
            rank[node.index] = float(slot)
            layout[node.index] = (depth, centre - slot)
    return {node.index: layout[node.index] for node in nodes}


def plot_graph(graph: Any, *, title: str | None = None) -> Figure:
    """Return a matplotlib drawing of the graph: boxes with op, value and gradient, and arrows.

    Args:
        graph: a traced graph (``trace_graph(f, *args)``, or any object with ``.nodes``
            whose nodes have ``index, op, label, value, grad, parents, kind``).
        title: the title; default "Computational graph (value, d output / d node)".

    Returns:
        A Figure with one axes (axis lines hidden): one text box per node and one arrow
        (an annotation) per edge.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index op label value grad parents kind")
    >>> Graph = namedtuple("Graph", "nodes output")
    >>> g = Graph([Node(0, None, "x", 2.0, 4.0, (), "input"),
    ...            Node(1, "square", "", 4.0, 1.0, (0,), "output")], 1)
    >>> len(plot_graph(g).axes[0].texts)
    3
    """
    nodes = graph_nodes(graph)
    layout = layered_layout(graph)
    n_layers = 1 + max(depth for depth, _ in layout.values())
    widest = max(sum(1 for depth, _ in layout.values() if depth == d) for d in range(n_layers))
    longest = max(len(line) for node in nodes for line in node_lines(node))
    column = max(1.6, 0.085 * longest + 0.6)
    size = (min(40.0, column * n_layers + 0.8), min(40.0, 1.1 * widest + 1.2))
    fig = NotebookFigure(figsize=size, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    boxes = {}
    for node in nodes:
        depth, position = layout[node.index]
        boxes[node.index] = ax.text(
            depth,
            position,
            "\n".join(node_lines(node)),
            ha="center",
            va="center",
            fontsize=8,
            family="monospace",
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": KINDS.get(node.kind, "#ffffff"),
                "edgecolor": "black",
                "linewidth": 2.0 if node.kind == "output" else 1.0,
            },
        )
    arrows = []
    for node in nodes:
        for parent in node.parents:
            # anchored to the two text boxes, so the arrow meets their edges at any size
            arrow = ax.annotate(
                "",
                xy=(0.0, 0.5),
                xycoords=boxes[node.index],
                xytext=(1.0, 0.5),
                textcoords=boxes[parent],
                zorder=2,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "#444444",
                    "shrinkA": 5,
                    "shrinkB": 5,
                    "linewidth": 1.0,
                },
            )
            arrows.append((arrow, boxes[parent], boxes[node.index]))
    ax.set_xlim(-0.6, n_layers - 0.4)
    ax.set_ylim(-widest / 2.0 - 0.2, widest / 2.0 + 0.2)
    ax.axis("off")
    ax.set_title(title or "Computational graph (value, d output / d node)")
    present = {str(node.kind) for node in nodes}
    handles = _kind_legend([k for k in KINDS if k in present] + sorted(present - set(KINDS)))
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=len(handles),
        fontsize="small",
        frameon=False,
    )
    _route_around_boxes(fig, list(boxes.values()), arrows)
    return fig


# Curvatures tried, in order, for an edge whose straight line would pass behind a box.
_BENDS = (0.0, 0.15, -0.15, 0.3, -0.3, 0.45, -0.45, 0.6, -0.6, 0.8, -0.8, 1.0, -1.0)


def _route_around_boxes(fig: Any, texts: list[Any], arrows: list[Any]) -> None:
    """Bend each edge that would pass behind a box it does not join.

    A straight edge from ``b1`` to an ``add`` three layers on can run behind the
    ``multiply`` box between them, so the reader cannot see where it goes. Each edge
    gets the first curvature in :data:`_BENDS` whose path (as drawn) meets no box other
    than its two ends; an edge with no clear path keeps the one crossing the fewest.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # places the boxes (and applies the constrained layout)
    renderer = canvas.get_renderer()
    extents = [text.get_bbox_patch().get_window_extent(renderer) for text in texts]
    for arrow, start, end in arrows:
        others = [box for text, box in zip(texts, extents) if text not in (start, end)]
        best: tuple[int, float] | None = None
        for bend in _BENDS:
            arrow.arrow_patch.set_connectionstyle(f"arc3,rad={bend}")
            hits = boxes_crossed(arrow, renderer, others)
            if best is None or hits < best[0]:
                best = (hits, bend)
            if hits == 0:
                break
        assert best is not None
        arrow.arrow_patch.set_connectionstyle(f"arc3,rad={best[1]}")


def boxes_crossed(arrow: Any, renderer: Any, extents: list[Any], pad: float = 2.0) -> int:
    """Return how many of the box ``extents`` (display coordinates) an annotation's
    arrow passes through, judged on points along its drawn path."""
    arrow.update_positions(renderer)
    patch = arrow.arrow_patch
    points = patch.get_transform().transform(patch.get_path().interpolated(40).vertices)
    count = 0
    for box in extents:
        inside = (
            (points[:, 0] > box.x0 - pad)
            & (points[:, 0] < box.x1 + pad)
            & (points[:, 1] > box.y0 - pad)
            & (points[:, 1] < box.y1 + pad)
        )
        count += bool(inside.any())
    return count


def _kind_legend(kinds: list[str]) -> list[Any]:
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=KINDS.get(kind, "#ffffff"), edgecolor="black", label=kind) for kind in kinds
    ]
