"""gradkit.viz: figures of calculus and deep learning, and computational-graph drawing.

Every figure function returns a ``matplotlib.figure.Figure`` built without pyplot, so it
works headless and leaves pyplot's global state alone; save it with ``gk.viz.save``. In
Jupyter, a cell that returns one shows it (the figures render themselves as PNG).
matplotlib is imported only when a figure function is first used.

>>> import gradkit as gk
>>> from matplotlib.figure import Figure
>>> fig = gk.viz.plot_derivative(lambda x: x**3, (-2, 2), at=1.0, num=21)
>>> isinstance(fig, Figure)
True
"""

from __future__ import annotations

import importlib
from typing import Any

from gradkit._optional import require

# public name -> the submodule that defines it
_EXPORTS = {
    "plot_derivative": "single",
    "plot_numerical_vs_analytical": "single",
    "plot_surface": "multivariate",
    "plot_contour_gradients": "multivariate",
    "plot_partial_slice": "multivariate",
    "plot_partial_derivatives": "multivariate",
    "plot_gradient_field": "multivariate",
    "plot_directional_derivatives": "multivariate",
    "plot_trajectories": "optimization",
    "plot_loss_curves": "optimization",
    "plot_training_history": "optimization",
    "plot_activations": "deep_learning",
    "plot_losses": "deep_learning",
    "plot_step_error": "numerics",
    "graph_to_dot": "graph",
    "render_graph": "graph",
    "GraphvizError": "errors",
    "plot_graph": "graph_drawing",
    "save": "saving",
    "FigureInputError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'gradkit.viz' has no attribute {name!r}")
    if module_name not in ("errors", "graph"):  # these two need no matplotlib
        require("matplotlib", f"gk.viz.{name}")
    value = getattr(importlib.import_module(f"gradkit.viz.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
