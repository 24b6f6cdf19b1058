"""Data for the tour's interactive pictures, computed by gradkit when the page is written.

Each ``*_data`` function returns a JSON-ready dict that ``tour.js`` draws as inline SVG
with its controls: nothing is computed in the page except the optimizer race, whose update
rules (gradient descent, the tutorial's momentum, Nesterov, Adam) are re-run in JavaScript
on the Rosenbrock function when the controls move; the page checks itself against
gradkit's own race at the initial settings (``race_data()["reference"]``).

>>> data = tangent_data(lambda x: x**2, (-1.0, 1.0), "x²", points=5)
>>> data["slope"]
[-2.0, -1.0, 0.0, 1.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradkit.viz.tour import Math

__all__ = [
    "Math",
    "boundary_data",
    "derivation_steps",
    "direction_data",
    "graph_data",
    "race_data",
    "readable",
    "step_data",
    "tangent_data",
]


def _r(values: Any, digits: int = 6) -> Any:
    """Round to ``digits`` significant digits for the page; non-finite values become None."""
    a = np.asarray(values, dtype=float)
    out = np.array([float(f"{v:.{digits}g}") if np.isfinite(v) else np.nan for v in a.ravel()])
    listed = out.reshape(a.shape).tolist()
    if a.ndim == 0:
        return None if not np.isfinite(out[0]) else listed
    return _nan_to_none(listed)


def _nan_to_none(values: Any) -> Any:
    if isinstance(values, list):
        return [_nan_to_none(v) for v in values]
    return None if values != values else values


def tangent_data(
    f: Callable, interval: tuple[float, float], label: str, points: int = 161
) -> dict[str, Any]:
    """Values and gk.grad slopes of scalar ``f`` on a grid, for the movable tangent line.

    >>> tangent_data(lambda x: 3 * x, (0.0, 1.0), "3x", points=2)["slope"]
    [3.0, 3.0]
    """
    import gradkit as gk

    xs = np.linspace(interval[0], interval[1], points)
    slope = gk.grad(f)
    return {
        "label": label,
        "x": _r(xs),
        "y": _r([f(x) for x in xs]),
        "slope": _r([slope(float(x)) for x in xs]),
    }


def step_data(x: float = 1.0) -> dict[str, Any]:
    """The finite-difference error of d/dx sin at ``x`` over 97 steps from 1e-16 to 1.

    >>> data = step_data()
    >>> len(data["h"]), sorted(data["errors"])
    (97, ['central', 'complex', 'forward'])
    """
    import gradkit as gk

    steps = np.logspace(-16, 0, 97)
    curve = gk.numerical.step_error(np.sin, np.cos, x, steps=steps)
    # the forward difference's two errors: truncation h |f''| / 2, rounding 2 eps |f| / h
    eps = np.finfo(float).eps
    model = {
        "truncation": _r(curve.steps * abs(np.sin(x)) / 2, 3),
        "rounding": _r(2 * eps * abs(np.sin(x)) / curve.steps, 3),
    }
    return {
        "x": x,
        "function": "sin",
        "h": _r(curve.steps, 4),
        "model": model,
        "errors": {
            m: _r(curve.errors[m], 3)
            for m in ("forward", "central", "complex")
            if m in curve.errors
        },
        "best": {m: _r(curve.best_step[m], 3) for m in ("forward", "central")},
        "tutorial": {"h": 1e-7, "error": _r(curve.tutorial_error, 3)},
    }


def direction_data(f: Callable, point: Sequence[float], label: str) -> dict[str, Any]:
    """Gradient, directional derivatives every 5 degrees and contour lines around ``point``.

    >>> data = direction_data(lambda p: p[0] ** 2 + p[1] ** 2, (1.0, 1.0), "x²+y²")
    >>> data["grad"], data["D"][0], len(data["angles"])
    ([2.0, 2.0], 2.0, 72)
    """
    import contourpy

    import gradkit as gk

    p = np.asarray(point, dtype=float)
    angles = np.arange(0, 360, 5)
    values = [
        gk.directional_derivative(f, p, np.array([np.cos(a), np.sin(a)]))
        for a in np.radians(angles)
    ]
    lo, hi = p - 2.0, p + 2.0
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 81), np.linspace(lo[1], hi[1], 81))
    z = f(np.stack([gx, gy]))
    levels = np.quantile(z, np.linspace(0.03, 0.97, 9))
    generator = contourpy.contour_generator(gx, gy, z)
    contours = [_r(line, 4) for level in levels for line in generator.lines(level)]
    return {
        "label": label,
        "point": _r(p),
        "value": _r(f(p)),
        "grad": _r(gk.grad(f)(p)),
        "angles": angles.tolist(),
        "D": _r(values),
        "window": [_r(lo), _r(hi)],
        "contours": contours,
    }


def _rosenbrock_contours() -> list[Any]:
    import contourpy

    import gradkit as gk

    gx, gy = np.meshgrid(np.linspace(-2, 2, 121), np.linspace(-2, 3, 121))
    z = gk.functions.rosenbrock(np.stack([gx, gy]))
    generator = contourpy.contour_generator(gx, gy, np.log10(z + 1e-3))
    return [_r(line, 4) for level in np.linspace(-1, 3, 9) for line in generator.lines(level)]


RACE_LR, RACE_BETA, RACE_STEPS = 1e-4, 0.9, 1000  # the tutorial's settings


def race_data() -> dict[str, Any]:
    """What the page's optimizer race needs: start, contours, and gradkit's own race at
    the initial settings (the tutorial's lr 1e-4, beta 0.9), which the page's JavaScript
    must reproduce.

    >>> data = race_data()
    >>> sorted(data["reference"])
    ['adam', 'gradient descent', 'momentum (tutorial)', 'nesterov']
    """
    import gradkit as gk
    from gradkit.optim.race import Racer

    lr, beta = RACE_LR, RACE_BETA
    racers = [
        Racer("gradient descent", gk.optim.sgd(lr), ""),
        Racer("momentum (tutorial)", gk.optim.momentum(lr, beta=beta), ""),
        Racer("nesterov", gk.optim.sgd(lr, momentum=beta, nesterov=True), ""),
        Racer("adam", gk.optim.adam(lr, betas=(beta, 0.999)), ""),
    ]
    race = gk.optim.race(gk.functions.rosenbrock, x0=(-1.5, -1.5), steps=RACE_STEPS, racers=racers)
    return {
        "x0": [-1.5, -1.5],
        "steps": RACE_STEPS,
        "lr": lr,
        "beta": beta,
        "reference": {r["optimizer"]: _r(r["final_value"], 8) for r in race.rows()},
        "contours": _rosenbrock_contours(),
    }


def _operation(name: str) -> Callable:
    import gradkit as gk

    for namespace in (np, gk.nn):
        fun = getattr(namespace, name, None)
        if callable(fun):
            return fun
    raise ValueError(
        f"graph_data: no function named {name!r} in numpy or gk.nn to take "
        f"the local derivative of; draw this graph with gk.viz.plot_graph"
    )


def graph_data(graph: Any, fun: Callable | None = None) -> dict[str, Any]:
    """Nodes (value, gradient, layered position) and edges (local derivative) of a scalar
    graph from :func:`gradkit.autodiff.graph.trace_graph`, for the step-through.

    Each edge's local derivative is gk.grad of the node's operation with respect to that
    argument; the chain rule (a node's gradient is the sum over its out-edges of local
    derivative times the child's gradient) is checked here, so the page cannot disagree
    with the graph.

    >>> from gradkit.autodiff.graph import trace_graph
    >>> data = graph_data(trace_graph(lambda x, y: x * y, 2.0, 3.0))
    >>> [(e["from"], e["to"], e["local"]) for e in data["edges"]]
    [(0, 2, 3.0), (1, 2, 2.0)]
    """
    import gradkit as gk

    nodes = graph.nodes
    if any(np.asarray(n.value).size != 1 for n in nodes):
        raise ValueError(
            "graph_data: the step-through shows scalar graphs only; "
            "use gk.viz.plot_graph for arrays"
        )
    depth: dict[int, int] = {}
    for n in nodes:
        depth[n.index] = 1 + max((depth[p] for p in n.parents), default=-1)
    layers: dict[int, list[int]] = {}
    for n in nodes:
        layers.setdefault(depth[n.index], []).append(n.index)
    edges = []
    for n in nodes:
        if not n.parents:
            continue
        op = _operation(n.op)
        args = [float(nodes[p].value) for p in n.parents]
        for i, p in enumerate(n.parents):
            local = float(gk.grad(op, argnums=i)(*args))
            edges.append({"from": p, "to": n.index, "local": _r(local)})
    for n in nodes:
        if n.kind == "constant" or n.index == graph.output:
            continue
        chained = sum(
            e["local"] * float(nodes[e["to"]].grad) for e in edges if e["from"] == n.index
        )
        if not np.isclose(chained, float(n.grad), rtol=1e-5, atol=1e-9):
            raise ValueError(
                f"graph_data: the chain rule does not give node {n.label}'s "
                f"gradient ({chained} against {float(n.grad)})"
            )
    return {
        "nodes": [
            {
                "label": n.label,
                "kind": n.kind,
                "value": _r(n.value),
                "grad": None if n.grad is None else _r(n.grad),
                "layer": depth[n.index],
                "row": layers[depth[n.index]].index(n.index),
                "rows": len(layers[depth[n.index]]),
            }
            for n in nodes
        ],
        "edges": edges,
        "output": graph.output,
        "layers": len(layers),
    }


def boundary_data(
    X: Any, y: Any, epochs: Sequence[int] = (0, 25, 100, 250, 500, 1000), grid: int = 41
) -> dict[str, Any]:
    """The tutorial network's predicted probability on a grid after each of ``epochs``
    (trained from the same start as the tour's, learning rate 0.1), with the data.

    >>> import gradkit as gk
    >>> X, y = gk.nn.datasets.tutorial_data()
    >>> data = boundary_data(X, y, epochs=(0, 10), grid=5)
    >>> [len(s["p"]) for s in data["snapshots"]], data["snapshots"][1]["epoch"]
    ([5, 5], 10)
    """
    import gradkit as gk

    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float).ravel()
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    net = gk.nn.SimpleNeuralNetwork(input_size=2, hidden_size=4, output_size=1, rng=0)
    snapshots, done = [], 0
    for epoch in epochs:
        if epoch > done:
            net.train(X, y.reshape(-1, 1), epochs=epoch - done, learning_rate=0.1)
            done = epoch
        p = net.forward(cells).reshape(grid, grid)
        snapshots.append(
            {
                "epoch": int(epoch),
                "p": _r(p, 3),
                "accuracy": _r(net.accuracy(X, y.reshape(-1, 1)), 4),
            }
        )
    return {
        "window": [_r(lo), _r(hi)],
        "grid": grid,
        "X": _r(X, 4),
        "y": y.astype(int).tolist(),
        "snapshots": snapshots,
    }


def derivation_steps(derivation: Any) -> str:
    """The TeX of a :class:`~gradkit.symbolic.Derivation`'s steps, for display math.

    >>> import gradkit as gk
    >>> derivation_steps(gk.symbolic.derive("x**2", "x")).startswith("\\\\begin{aligned}")
    True
    """
    return derivation.to_latex()


def readable(fig: Any, page_px: float = 920.0) -> Any:
    """Make a gk.viz figure readable on the page: legends moved below their axes, clear of
    the data, and no text that would show under 12 px when the figure (100 px per inch)
    is shrunk to the page's ``page_px`` column. Returns ``fig``.

    >>> import gradkit as gk
    >>> fig = readable(gk.viz.plot_activations(["relu"]))
    >>> min(t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")))
    9.0
    """
    from matplotlib.text import Text
    from matplotlib.ticker import MaxNLocator

    shrink = max(1.0, fig.get_size_inches()[0] * 100 / page_px)
    min_points = 9.0 * shrink  # 9 pt = 12.5 px at 100 px per inch
    for text in fig.findobj(Text):
        if text.get_fontsize() < min_points:
            text.set_fontsize(min_points)
    entries: dict[str, Any] = {}
    for ax in fig.axes:
        ax.tick_params(labelsize=min_points)  # tick labels are made lazily: set, not found
        if getattr(ax, "name", "") == "3d":  # fewer ticks, so larger ones do not collide
            for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
                axis.set_major_locator(MaxNLocator(4))
            if ax.get_title():  # the title names the surface; its z label collided
                ax.set_zlabel("")
            continue
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
        legend.remove()
    if entries:  # one legend for the figure, below the axes: clear of every curve
        entry_px = max(map(len, entries)) * 0.6 * min_points * 100 / 72 + 45  # text + handle
        columns = int(fig.get_size_inches()[0] * 100 // entry_px)  # as many as fit
        fig.legend(
            list(entries.values()),
            list(entries),
            loc="outside lower center",
            ncol=max(1, min(len(entries), columns)),
            frameon=False,
            fontsize=min_points,
        )
    return fig
