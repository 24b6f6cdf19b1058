"""The finite-difference step-error figure: the "V" where truncation error (falling with the
step h) meets rounding error (rising as h shrinks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz._common import COLORS, FigureInputError, check_callable, new_figure, style_axes

__all__ = ["plot_step_error"]

# The order of accuracy of each method: error ~ h**order until rounding takes over.
_ORDERS = {"forward": 1, "backward": 1, "central": 2}


def _exact_derivative(f: Callable[..., Any], x: float,
                      derivative: Callable[..., Any] | None) -> float:
    if derivative is not None:
        return float(check_callable(derivative, "derivative")(x))
    import gradkit as gk

    return float(gk.grad(f)(x))


def plot_step_error(f: Callable[..., Any], x: float = 1.0, *,
                    derivative: Callable[..., Any] | None = None,
                    methods: Sequence[str] = ("forward", "central"),
                    steps: Sequence[float] | None = None) -> Figure:
    """Return the error of finite-difference derivatives against the step size (log-log).

    Each method's error first falls like ``h**order`` (truncation), then rises like
    ``eps/h`` (rounding); the best step, at the bottom of the V, is marked. Dotted lines
    show the slopes 1 and 2 for reference.

    Args:
        f: a scalar function of one variable.
        x: where to differentiate.
        derivative: the exact derivative (a callable); default automatic differentiation.
        methods: finite-difference methods of ``gk.numerical.derivative``.
        steps: the steps h; default 10^-16 ... 10^0 (33 log-spaced values).

    Returns:
        A Figure with one log-log axes: one line per method, a star at its best step.

    >>> import numpy as np
    >>> fig = plot_step_error(np.sin, 1.0, derivative=np.cos, steps=np.geomspace(1e-12, 0.1, 6))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    import gradkit as gk

    check_callable(f)
    x = float(x)
    if isinstance(methods, str):
        methods = [methods]
    if not methods:
        raise FigureInputError("methods is empty: pass e.g. ('forward', 'central')")
    hs = np.geomspace(1e-16, 1.0, 33) if steps is None else np.asarray(steps, dtype=float)
    if hs.ndim != 1 or hs.size < 2 or np.any(~np.isfinite(hs)) or np.any(hs <= 0):
        raise FigureInputError("steps must be at least two positive, finite numbers")
    hs = np.sort(hs)
    exact = _exact_derivative(f, x, derivative)
    fig, (ax,) = new_figure(width=6.5, height=4.8)
    measured = []
    for i, method in enumerate(methods):
        errors = np.array([
            abs(float(gk.numerical.derivative(f, x, method=method, step=h)) - exact)
            for h in hs
        ])
        shown = np.where(errors > 0, errors, np.nan)  # an exact hit has no log value
        measured.append(shown[np.isfinite(shown)])
        color = COLORS[i % len(COLORS)]
        ax.plot(hs, shown, "o-", color=color, markersize=4, linewidth=1.6, label=method)
        if np.any(np.isfinite(shown)):
            best = int(np.nanargmin(shown))
            ax.plot([hs[best]], [shown[best]], "*", color=color, markersize=14,
                    markeredgecolor="black",
                    label=f"best {method}: h = {hs[best]:.0e}, error {shown[best]:.1e}")
    for order in sorted({_ORDERS[m] for m in methods if m in _ORDERS}):
        anchor = hs[-1]
        ax.plot(hs, 0.5 * (hs / anchor) ** order, ":", color="#7f7f7f", linewidth=1,
                label=f"slope {order} (O(h^{order}))")
    ax.set_xscale("log")
    ax.set_yscale("log")
    all_errors = np.concatenate(measured)
    if all_errors.size:
        # the reference slopes span many decades: keep the view on the measured errors
        ax.set_ylim(all_errors.min() / 10.0, all_errors.max() * 10.0)
    style_axes(ax, f"Finite-difference error at x = {x:g}", "step h",
               "|numerical - exact|")
    return fig
