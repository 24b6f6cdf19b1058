"""The computational graph of one evaluation, with forward values and gradients.

:func:`trace_graph` runs a function once under a reverse trace and returns every
operation the output depends on, each with its value and the derivative of the output
with respect to it: the data behind a backpropagation picture. Drawing lives in
``gradkit.viz``; this module knows nothing of plots.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradkit.autodiff.primitives import value_of
from gradkit.autodiff.reverse import ReverseTrace, backward_pass
from gradkit.autodiff.tensor import Tensor
from gradkit.autodiff.trace import next_level, opened
from gradkit.autodiff.transforms import _input, _own_output, _scalar_output

__all__ = ["Graph", "GraphNode", "trace_graph"]


@dataclass
class GraphNode:
    """One node: an input, a constant, or an operation (``op`` is the primitive's name)."""

    index: int
    op: str
    label: str
    value: Any
    grad: Any
    parents: list[int] = field(default_factory=list)
    kind: str = "op"  # "input", "constant", "op" or "output"

    def __repr__(self) -> str:
        grad = "" if self.grad is None else f", grad {_short(self.grad)}"
        return f"<GraphNode {self.index} {self.label} = {_short(self.value)}{grad}>"


@dataclass
class Graph:
    """The nodes in evaluation order (parents before children) and the output's index.

    In Jupyter a graph shows as a table of its nodes: each one's operation, inputs,
    forward value and gradient (``gk.viz.plot_graph`` draws it).
    """

    nodes: list[GraphNode]
    output: int

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def inputs(self) -> list[GraphNode]:
        """The input nodes, in argument order."""
        return [n for n in self.nodes if n.kind == "input"]

    def __repr__(self) -> str:
        """One line: the inputs with their values and gradients, the output's value.

        >>> import numpy as np
        >>> trace_graph(lambda x, y: x * y + np.sin(x), 2.0, 3.0)  # doctest: +NORMALIZE_WHITESPACE
        <Graph of 5 nodes: inputs x = 2 (grad 2.584), y = 3 (grad 2); 3 operations;
         output add = 6.909>
        """
        shown = [f"{n.label} = {_short(n.value)} (grad {_short(n.grad)})" for n in self.inputs]
        inputs = ", ".join(shown[:4] + ["..."] * (len(shown) > 4))
        ops = sum(n.kind in ("op", "output") for n in self.nodes)
        out = self.nodes[self.output]
        return (
            f"<Graph of {len(self.nodes)} nodes: inputs {inputs}; {ops} operation"
            f"{'s' * (ops != 1)}; output {out.label} = {_short(out.value)}>"
        )

    def _repr_html_(self) -> str:
        """A table of the nodes, in evaluation order: what Jupyter shows."""
        import html

        rows = []
        for n in self.nodes:
            args = ", ".join(f"#{p} {self.nodes[p].label}" for p in n.parents)
            cells = [f"#{n.index}", n.label, n.kind, args, _short(n.value)]
            cells.append("" if n.grad is None else _short(n.grad))
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        head = "".join(
            f"<th>{h}</th>"
            for h in ("node", "operation", "kind", "arguments", "value", "d output / d node")
        )
        caption = html.escape(repr(self))
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{''.join(rows)}</table>"


def _arg_names(fun: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[k] if k < len(names) else f"x{k}" for k in range(n)]


def _short(value: Any) -> str:
    v = np.asarray(value)
    if v.size == 1:
        return f"{float(v.reshape(())):.4g}"
    return f"array{v.shape}"


def _numeric(a: Any) -> bool:
    """Whether an argument is a number or an array of numbers (not an axis tuple, a
    dtype or a string), so it is drawn as a constant."""
    if isinstance(a, (bool, np.bool_)):
        return False
    if isinstance(a, (int, float, complex, np.number)):
        return True
    return isinstance(a, np.ndarray) and a.dtype.kind in "biufc"


def trace_graph(fun: Callable, *args: Any) -> Graph:
    """Evaluate scalar ``fun(*args)`` and return its computational graph.

    Every positional argument is an input; each node holds its forward ``value`` and
    ``grad``, the derivative of the output with respect to that node.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> from gradkit.autodiff.graph import trace_graph
    >>> g = trace_graph(lambda x, y: x * y + np.sin(x), 2.0, 3.0)
    >>> [n.op for n in g.nodes]
    ['input', 'input', 'multiply', 'sin', 'add']
    >>> bool(float(g.nodes[0].grad) == 3.0 + np.cos(2.0))
    True
    """
    tr = ReverseTrace(next_level(), "trace_graph")
    names = _arg_names(fun, len(args))
    with opened(tr):
        boxes = [tr.leaf(_input(a, "trace_graph", k)) for k, a in enumerate(args)]
        leaves = [b._node for b in boxes]  # before the function may write into a box
        out = _own_output(fun(*boxes), tr)
    _scalar_output(out, "trace_graph", fun)
    if not (type(out) is Tensor and out._trace is tr):
        raise ValueError("trace_graph: the output does not depend on the inputs")
    grads = backward_pass([(out._node, np.ones(out.shape))], keep_all=True, tape=tr.tape)
    input_nodes = {node: k for k, node in enumerate(leaves)}
    # Inputs first (all of them: one the output ignores still belongs in the picture),
    # then the operations the output depends on, in the order they ran.
    order = leaves + [node for node in tr.tape if node in grads]
    index: dict = {}
    nodes: list[GraphNode] = []
    for node in order:
        parents = []
        if node.prim is not None:
            traced = dict(node.parents)  # argument number -> parent node
            for i, a in enumerate(node.args):  # in argument order: 3 - x is not x - 3
                if i in traced:
                    parents.append(index[traced[i]])
                elif type(a) is not Tensor and _numeric(a):
                    const = GraphNode(len(nodes), "constant", _short(a), a, None, [], "constant")
                    nodes.append(const)
                    parents.append(const.index)
        if node in input_nodes:
            k = input_nodes[node]
            value, grad = value_of(node.ans), grads.get(node)
            if grad is None:  # an input the output ignores: its derivative is 0
                grad = np.zeros_like(np.asarray(value, dtype=float))
            gn = GraphNode(len(nodes), "input", names[k], value, grad, [], "input")
        else:
            kind = "output" if node is out._node else "op"
            gn = GraphNode(len(nodes), node.prim.name, node.prim.name, value_of(node.ans),
                           grads.get(node), parents, kind)  # fmt: skip
        index[node] = gn.index
        nodes.append(gn)
    return Graph(nodes, index[out._node])
