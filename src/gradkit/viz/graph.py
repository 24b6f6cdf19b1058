"""The computational graph of a function as Graphviz DOT text, and rendered to a file.

A graph is what ``gradkit.autodiff.graph.trace_graph(f, *args)`` returns: ``.nodes``, each
with ``.index``, ``.op`` (the primitive's name), ``.label``, ``.value`` (forward value),
``.grad`` (d output / d node), ``.parents`` (indices of its inputs) and ``.kind`` (one of
"input", "op", "output", "constant"); and ``.output``. Any object of that shape works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradkit.viz.errors import FigureInputError, GraphvizError

__all__ = ["graph_to_dot", "render_graph", "format_value", "GraphvizError", "KINDS"]

#: Node kinds and their fill colours (shared by the DOT text and the matplotlib drawing).
KINDS = {
    "input": "#cfe2f3",
    "constant": "#eeeeee",
    "op": "#ffffff",
    "output": "#d9ead3",
}

_NODE_FIELDS = ("index", "op", "label", "value", "grad", "parents", "kind")


def format_value(value: Any) -> str | None:
    """Return a short text for a node's value or gradient (None stays None).

    Scalars get 4 significant digits, arrays of up to 3 numbers are listed, larger
    arrays are summarised by shape and range.

    >>> format_value(3.14159265)
    '3.142'
    >>> format_value([1.0, 2.5])
    '[1, 2.5]'
    >>> format_value(np.arange(12.0).reshape(3, 4))
    '3x4 in [0, 11]'
    """
    if value is None:
        return None
    data = getattr(value, "value", value)  # a Tensor-like wrapper carries .value
    try:
        array = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        return str(value)
    array = array + 0.0  # -0.0 becomes 0.0: a graph label has no use for a signed zero
    if array.size == 1:
        return f"{float(array.reshape(())):.4g}"
    if array.ndim == 1 and array.size <= 3:
        return "[" + ", ".join(f"{v:.4g}" for v in array) + "]"
    shape = "x".join(str(n) for n in array.shape)
    if array.size == 0:
        return f"{shape} (empty)"
    return f"{shape} in [{np.nanmin(array):.3g}, {np.nanmax(array):.3g}]"


def graph_nodes(graph: Any) -> list[Any]:
    """Return the graph's nodes after checking their fields and parent indices.

    Raises TypeError when ``graph`` has no ``.nodes`` or a node lacks a field, and
    FigureInputError when a parent index names no node or the graph has a cycle.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index op label value grad parents kind")
    >>> Graph = namedtuple("Graph", "nodes output")
    >>> len(graph_nodes(Graph([Node(0, "input", "x", 1.0, 1.0, (), "input")], 0)))
    1
    >>> graph_nodes(Graph([Node(0, "neg", "", 1.0, 1.0, (7,), "op")], 0))
    Traceback (most recent call last):
    ...
    gradkit.viz.errors.FigureInputError: node 0 names parent(s) [7] that are not in the graph
    """
    nodes = getattr(graph, "nodes", None)
    if nodes is None or isinstance(nodes, (str, bytes)) or not isinstance(nodes, Sequence):
        raise TypeError(
            "graph must have a .nodes sequence (use gradkit.autodiff.graph.trace_graph(f, x)), "
            f"got {type(graph).__name__}"
        )
    if not nodes:
        raise FigureInputError("the graph has no nodes")
    indices = set()
    for node in nodes:
        missing = [name for name in _NODE_FIELDS if not hasattr(node, name)]
        if missing:
            raise TypeError(f"graph node {node!r} lacks the field(s) {', '.join(missing)}")
        if node.index in indices:
            raise FigureInputError(f"two graph nodes share the index {node.index!r}")
        indices.add(node.index)
    for node in nodes:
        unknown = [p for p in node.parents if p not in indices]
        if unknown:
            raise FigureInputError(
                f"node {node.index} names parent(s) {unknown} that are not in the graph"
            )
    topological_order(nodes)  # raises on a cycle
    return list(nodes)


def topological_order(nodes: Sequence[Any]) -> list[Any]:
    """Return ``nodes`` ordered so every node comes after its parents (Kahn's algorithm).

    Raises FigureInputError when the nodes form a cycle.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index parents")
    >>> [n.index for n in topological_order([Node(1, (0,)), Node(0, ())])]
    [0, 1]
    """
    by_index = {node.index: node for node in nodes}
    waiting = {node.index: len(set(node.parents)) for node in nodes}
    children: dict[Any, list[Any]] = {node.index: [] for node in nodes}
    for node in nodes:
        for parent in set(node.parents):
            children[parent].append(node.index)
    ready = [node.index for node in nodes if waiting[node.index] == 0]
    order = []
    while ready:
        index = ready.pop(0)
        order.append(by_index[index])
        for child in children[index]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(order) != len(nodes):
        raise FigureInputError("the graph has a cycle: a computational graph must be acyclic")
    return order


def node_title(node: Any) -> str:
    """Return the first line of a node's label: its name for inputs and constants, else
    its op (with the label when that differs).

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "op label kind")
    >>> node_title(Node("input", "x", "input")), node_title(Node("sin", "sin", "op"))
    ('x', 'sin')
    """
    label, op = str(node.label or ""), str(node.op or "")
    if node.kind in ("input", "constant"):
        return label or op or node.kind
    if label and label != op:
        return f"{op}: {label}" if op else label
    return op or label or "op"


def node_lines(node: Any) -> list[str]:
    """Return the lines of text shown in a node: title, forward value and gradient.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "op label value grad kind")
    >>> node_lines(Node("exp", "exp", 1.0, 2.5, "op"))
    ['exp', 'value = 1', 'grad = 2.5']
    """
    lines = [node_title(node)]
    value, grad = format_value(node.value), format_value(node.grad)
    if value is not None:
        lines.append(f"value = {value}")
    if grad is not None:
        lines.append(f"grad = {grad}")
    return lines


def _quote(text: str) -> str:
    # DOT double-quoted strings: escape backslashes and quotes, keep lines as \n escapes
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def graph_to_dot(graph: Any, *, name: str = "computation", rankdir: str = "LR") -> str:
    """Return the graph as Graphviz DOT text.

    Each node is a box labelled with its op (or input name), its forward value and its
    gradient ``d output / d node``; edges run from inputs to the operations using them.

    Args:
        graph: a traced graph (see the module docstring).
        name: the DOT graph's name.
        rankdir: "LR" (left to right) or "TB" (top to bottom).

    Returns:
        The DOT source, ready for ``dot -Tsvg``.

    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index op label value grad parents kind")
    >>> Graph = namedtuple("Graph", "nodes output")
    >>> g = Graph([Node(0, None, "x", 2.0, 4.0, (), "input"),
    ...            Node(1, "square", "", 4.0, 1.0, (0,), "output")], 1)
    >>> print(graph_to_dot(g))  # doctest: +NORMALIZE_WHITESPACE
    digraph "computation" {
      rankdir=LR;
      node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];
      n0 [label="x\\nvalue = 2\\ngrad = 4", fillcolor="#cfe2f3"];
      n1 [label="square\\nvalue = 4\\ngrad = 1", fillcolor="#d9ead3", penwidth=2];
      n0 -> n1;
    }
    """
    nodes = graph_nodes(graph)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise FigureInputError(f"rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    ids = {node.index: f"n{position}" for position, node in enumerate(nodes)}
    lines = [
        f"digraph {_quote(str(name))} {{",
        f"  rankdir={rankdir};",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    ]
    for node in nodes:
        attrs = [
            f"label={_quote(chr(10).join(node_lines(node)))}",
            f'fillcolor="{KINDS.get(node.kind, "#ffffff")}"',
        ]
        if node.kind == "output":
            attrs.append("penwidth=2")
        lines.append(f"  {ids[node.index]} [{', '.join(attrs)}];")
    for node in nodes:
        for parent in node.parents:
            lines.append(f"  {ids[parent]} -> {ids[node.index]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_GRAPHVIZ_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def render_graph(
    graph: Any,
    path: str | os.PathLike[str],
    *,
    engine: str = "auto",
    dpi: int = 120,
    timeout: float = 30.0,
) -> Path:
    """Write the graph to ``path``: DOT text, or an image drawn by Graphviz or matplotlib.

    A ``.dot``/``.gv`` path gets the DOT text. For ``.svg``, ``.png`` or ``.pdf``, the
    ``dot`` program draws it when installed (``engine="auto"`` or ``"graphviz"``);
    otherwise (or with ``engine="matplotlib"``) ``plot_graph``'s drawing is saved.

    Args:
        graph: a traced graph (see the module docstring).
        path: the output file; its suffix chooses the format.
        engine: "auto", "graphviz" (fail if ``dot`` is missing) or "matplotlib".
        dpi: resolution of a matplotlib PNG.
        timeout: seconds to wait for ``dot``.

    Returns:
        The path written.

    >>> import tempfile, pathlib
    >>> from collections import namedtuple
    >>> Node = namedtuple("Node", "index op label value grad parents kind")
    >>> Graph = namedtuple("Graph", "nodes output")
    >>> g = Graph([Node(0, None, "x", 2.0, 4.0, (), "input"),
    ...            Node(1, "square", "", 4.0, 1.0, (0,), "output")], 1)
    >>> out = render_graph(g, pathlib.Path(tempfile.mkdtemp()) / "g.png", engine="matplotlib")
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    if engine not in ("auto", "graphviz", "matplotlib"):
        raise FigureInputError(f"engine must be 'auto', 'graphviz' or 'matplotlib', got {engine!r}")
    out = Path(path)
    suffix = out.suffix.lower()
    dot_text = graph_to_dot(graph)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".dot", ".gv"):
        out.write_text(dot_text, encoding="utf-8")
        return out
    if suffix not in _GRAPHVIZ_FORMATS:
        raise FigureInputError(
            f"cannot tell the format of {str(out)!r}: use .svg, .png, .pdf, .dot or .gv"
        )
    program = shutil.which("dot") if engine != "matplotlib" else None
    if engine == "graphviz" and program is None:
        raise GraphvizError(
            "the Graphviz 'dot' program is not installed; install graphviz or use "
            "engine='matplotlib'"
        )
    if program is not None:
        _run_dot(program, dot_text, _GRAPHVIZ_FORMATS[suffix], out, timeout)
        return out
    from gradkit.viz.graph_drawing import plot_graph
    from gradkit.viz.saving import save

    return save(plot_graph(graph), out, dpi=dpi)


def _run_dot(program: str, dot_text: str, fmt: str, out: Path, timeout: float) -> None:
    try:
        completed = subprocess.run(
            [program, f"-T{fmt}", "-o", str(out)],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz 'dot' did not finish within {timeout:g} s") from None
    except OSError as error:
        raise GraphvizError(f"could not run Graphviz 'dot': {error}") from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"Graphviz 'dot' failed (exit {completed.returncode}): {message}")
